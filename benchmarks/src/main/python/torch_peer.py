"""The PyTorch peer of Kiln's end-to-end benchmark: one epoch of the same MLP or LeNet on MNIST.

Usage: torch_peer.py mlp|lenet DATA_DIR [STEPS]; prints one RESULT line (tab-separated) that
dev.kiln.benchmarks.EndToEnd parses.
"""
import gzip
import resource
import sys
import time

import numpy as np
import torch
from torch import nn


def load(data_dir):
    with gzip.open(f"{data_dir}/train-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(f"{data_dir}/train-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    return images.astype(np.float32) / 255.0, labels.astype(np.int64)


def blas():
    """The BLAS library this process loaded, from /proc/self/maps, and what kind it is.

    Debian's python3-torch links the generic libblas.so.3, which the alternatives system points at
    the reference BLAS unless an optimized one (libopenblas0-pthread) is installed; the reference
    one makes PyTorch several times slower, so the benchmark must say which it got.
    """
    import os
    paths = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            if "blas" in os.path.basename(path) or "mkl" in os.path.basename(path):
                paths.add(os.path.realpath(path))
    if not paths:
        return "no BLAS library mapped", "unknown"
    kinds = []
    for p in sorted(paths):
        if "openblas" in p:
            kinds.append("OpenBLAS")
        elif "mkl" in p:
            kinds.append("MKL")
        elif "/blas/" in p or p.endswith("libblas.so.3"):
            kinds.append("reference BLAS")
        else:
            kinds.append("other")
    kind = "reference BLAS" if kinds == ["reference BLAS"] else ", ".join(sorted(set(kinds)))
    return ", ".join(sorted(paths)), kind


def sgemm_gflops():
    a = torch.rand(1024, 1024)
    b = torch.rand(1024, 1024)
    torch.mm(a, b)
    start = time.perf_counter()
    reps = 10
    for _ in range(reps):
        torch.mm(a, b)
    return 2 * 1024 ** 3 * reps / (time.perf_counter() - start) / 1e9


def model(name):
    if name == "mlp":
        return nn.Sequential(
            nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
    return nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(20, 50, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10))


def main():
    name, data_dir = sys.argv[1], sys.argv[2]
    threads = 2
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    x, y = load(data_dir)
    batch = 128 if name == "mlp" else 64
    steps = len(x) // batch
    if len(sys.argv) > 3 and sys.argv[3]:
        steps = min(steps, int(sys.argv[3]))
    net = model(name)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y)
    start = None
    loss = float("nan")
    for s in range(steps):
        if s == 1:
            start = time.perf_counter()
        xb = xt[s * batch:(s + 1) * batch]
        if name == "lenet":
            xb = xb.view(batch, 1, 28, 28)
        opt.zero_grad()
        out = loss_fn(net(xb), yt[s * batch:(s + 1) * batch])
        out.backward()
        opt.step()
        loss = out.item()
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    libs, kind = blas()
    settings = (f"PyTorch {torch.__version__}, torch.set_num_threads({threads}), "
                f"{torch.backends.mkldnn.is_available() and 'oneDNN' or 'no oneDNN'}, "
                f"BLAS: {kind} ({libs}), sgemm 1024^3: {sgemm_gflops():.1f} GFLOP/s")
    print(f"RESULT\tpytorch\t{name}\t{(steps - 1) * batch / seconds:.1f}\t{rss_mb:.1f}\t{loss:.4f}\t{settings}")


if __name__ == "__main__":
    main()
