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
    settings = (f"PyTorch {torch.__version__}, torch.set_num_threads({threads}), "
                f"{torch.backends.mkldnn.is_available() and 'oneDNN' or 'no oneDNN'}")
    print(f"RESULT\tpytorch\t{name}\t{(steps - 1) * batch / seconds:.1f}\t{rss_mb:.1f}\t{loss:.4f}\t{settings}")


if __name__ == "__main__":
    main()
