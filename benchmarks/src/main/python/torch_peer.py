"""The PyTorch peer of Kiln's end-to-end benchmark: one epoch of the same MLP or LeNet on MNIST,
or STEPS training steps of the same small ResNet (MNIST images) or 1-layer LSTM (random sequences).

Usage: torch_peer.py mlp|lenet|resnet|lstm DATA_DIR [STEPS]; prints one RESULT line
(tab-separated) that dev.kiln.benchmarks.EndToEnd parses. TORCH_PEER_MEMORY_FORMAT=channels_last
or contiguous overrides the ResNet's memory format (default: MEMORY_FORMAT below);
TORCH_PEER_THREADS=N the number of threads (default 2). Unless the variable is set, EndToEnd runs
this script with one thread and with every core and keeps the faster run.
"""
import gzip
import os
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


# The ResNet's memory format, the faster of the two on the project's 2-core machine: 20 steps,
# alternating, contiguous 658 / 678 samples/s, channels_last 802 / 771 (see benchmarks/RESULTS.md).
MEMORY_FORMAT = "channels_last"

LSTM_STEPS, LSTM_FEATURES, LSTM_UNITS = 100, 32, 128


class Block(nn.Module):
    """conv-BN-ReLU-conv-BN plus the shortcut (1x1 strided conv + BN where the shape changes),
    added, then ReLU: the residual block of KilnModels.resnetApi."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, padding=1, bias=False), nn.BatchNorm2d(cout),
            nn.ReLU(),
            nn.Conv2d(cout, cout, 3, 1, padding=1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = (nn.Identity() if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)))

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


class LastStep(nn.Module):
    """nn.LSTM(32, 128, batch_first=True), its last output, then Linear(128, 10)."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(LSTM_FEATURES, LSTM_UNITS, batch_first=True)
        self.out = nn.Linear(LSTM_UNITS, 10)

    def forward(self, x):
        seq, _ = self.lstm(x)
        return self.out(seq[:, -1])


def model(name):
    if name == "resnet":
        # Logits: CrossEntropyLoss applies the softmax that Kiln's Dense(10, softmax) does.
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            Block(16, 16, 1), Block(16, 32, 2), Block(32, 64, 2),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
    if name == "lstm":
        return LastStep()
    if name == "mlp":
        return nn.Sequential(
            nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
    return nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(20, 50, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10))


def main():
    name, data_dir = sys.argv[1], sys.argv[2]
    # Two, as Kiln's pool; TORCH_PEER_THREADS overrides (on a loaded machine two OpenMP threads can
    # be many times slower than one, see benchmarks/RESULTS.md).
    threads = int(os.environ.get("TORCH_PEER_THREADS", "2"))
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    batch = 128 if name == "mlp" else 64
    if name == "lstm":
        steps = int(sys.argv[3])
        # Random sequences and labels, as the Kiln side: only speed is measured.
        gen = torch.Generator().manual_seed(7)
        xt = torch.randn(steps * batch, LSTM_STEPS, LSTM_FEATURES, generator=gen)
        yt = torch.randint(0, 10, (steps * batch,), generator=gen)
    else:
        x, y = load(data_dir)
        steps = len(x) // batch
        if len(sys.argv) > 3 and sys.argv[3]:
            steps = min(steps, int(sys.argv[3]))
        xt = torch.from_numpy(x)
        yt = torch.from_numpy(y)
    memory_format = os.environ.get("TORCH_PEER_MEMORY_FORMAT", MEMORY_FORMAT)
    fmt = torch.channels_last if memory_format == "channels_last" else torch.contiguous_format
    net = model(name)
    if name == "resnet":
        net = net.to(memory_format=fmt)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    start = None
    half = None
    loss = float("nan")
    for s in range(steps):
        if s == 1:
            start = time.perf_counter()
        if s == steps // 2:
            half = time.perf_counter()
        xb = xt[s * batch:(s + 1) * batch]
        if name in ("lenet", "resnet"):
            xb = xb.view(batch, 1, 28, 28)
        if name == "resnet":
            xb = xb.contiguous(memory_format=fmt)
        opt.zero_grad()
        out = loss_fn(net(xb), yt[s * batch:(s + 1) * batch])
        out.backward()
        opt.step()
        loss = out.item()
    end = time.perf_counter()
    seconds = end - start
    steady = (steps - steps // 2) * batch / (end - half)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    libs, kind = blas()
    what = {"resnet": f"ResNet (stem + blocks 16/32/64, BN), {steps} steps, {memory_format}, ",
            "lstm": f"nn.LSTM(32, 128) over 100 steps + Linear, {steps} steps, "}.get(name, "")
    # Parameters and BN's running statistics: what Kiln's countParams counts.
    weights = sum(p.numel() for p in net.parameters()) + sum(
        b.numel() for n, b in net.named_buffers() if not n.endswith("num_batches_tracked"))
    what = what + f"{weights} weights, " if what else ""
    settings = (f"{what}PyTorch {torch.__version__}, torch.set_num_threads({threads}), "
                f"{torch.backends.mkldnn.is_available() and 'oneDNN' or 'no oneDNN'}, "
                f"BLAS: {kind} ({libs}), sgemm 1024^3: {sgemm_gflops():.1f} GFLOP/s")
    print(f"RESULT\tpytorch\t{name}\t{(steps - 1) * batch / seconds:.1f}\t{rss_mb:.1f}\t{loss:.4f}\t{settings}\t{steady:.1f}")


if __name__ == "__main__":
    main()
