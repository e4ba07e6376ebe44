"""The PyTorch peer of Kiln's inference benchmark: images/s of MobileNetV2 (alpha 1.0) or ResNet50
at 224x224 and a given batch, forward only, under torch.no_grad().

The architectures are the ones KerasH5EquivalenceTest checks Kiln against
(applications/tools/keras_nets.py, built from Keras's structure), with arbitrary weights: speed
does not depend on their values.

Usage: torch_inference.py mobilenetv2|resnet50 BATCH [SECONDS]; prints one RESULT line
(tab-separated) that dev.kiln.benchmarks.Inference parses. TORCH_PEER_THREADS=N sets the number of
threads (default 2); TORCH_PEER_MEMORY_FORMAT=channels_last|contiguous the layout (default
channels_last, the faster here).
"""
import os
import resource
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "applications", "tools"))
import keras_nets  # noqa: E402
from torch_peer import blas, sgemm_gflops  # noqa: E402

SIZE = 224


def init(layer, weight, shape, role, fan_in, x):
    """Arbitrary weights of a sensible scale (He for kernels, unit BN statistics)."""
    rng = np.random.default_rng(abs(hash((layer, weight))) % (1 << 32))
    if role in ("kernel", "depthwise_kernel"):
        return rng.uniform(-1, 1, shape) * np.sqrt(6.0 / fan_in)
    if role in ("gamma", "moving_variance", "ln_gamma"):
        return np.ones(shape)
    return np.zeros(shape)


def main():
    name, batch = sys.argv[1], int(sys.argv[2])
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 15.0
    threads = int(os.environ.get("TORCH_PEER_THREADS", "2"))
    torch.set_num_threads(threads)
    arch, args = {"mobilenetv2": (keras_nets.mobilenet_v2, {"alpha": 1.0}),
                  "resnet50": (keras_nets.resnet50, {})}[name]
    net = keras_nets.KerasNet(arch, (SIZE, SIZE), torch.float32, init, **args).eval()
    memory_format = os.environ.get("TORCH_PEER_MEMORY_FORMAT", "channels_last")
    fmt = torch.channels_last if memory_format == "channels_last" else torch.contiguous_format
    net = net.to(memory_format=fmt)
    x = torch.rand(batch, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1))
    x = x.contiguous(memory_format=fmt)
    with torch.no_grad():
        y = net(x)
        n = 0
        start = time.perf_counter()
        while n < 2 or time.perf_counter() - start < seconds:
            y = net(x)
            n += 1
        elapsed = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    libs, kind = blas()
    weights = sum(p.numel() for p in net.parameters())
    settings = (f"{n} batches in {elapsed:.1f} s after 1 warm-up, {weights} weights,"
                f" {memory_format}, PyTorch {torch.__version__},"
                f" torch.set_num_threads({threads}),"
                f" {torch.backends.mkldnn.is_available() and 'oneDNN' or 'no oneDNN'},"
                f" BLAS: {kind} ({libs}), sgemm 1024^3: {sgemm_gflops():.1f} GFLOP/s")
    print(f"RESULT\tpytorch-t{threads}\t{name}-b{batch}\t{n * batch / elapsed:.2f}\t{rss_mb:.1f}"
          f"\t{float(y.float().mean()):.4f}\t{settings}")


if __name__ == "__main__":
    main()
