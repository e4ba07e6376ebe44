"""The PyTorch peer of Kiln's GPU benchmark (dev.kiln.benchmarks.GpuBenchmark): training
images/s and peak device memory of Keras's ResNet-50 in PyTorch eager mode.

The architecture is the one KerasH5EquivalenceTest checks Kiln against
(applications/tools/keras_nets.py, built from Keras's structure; this script looks for it beside
itself, then in the repository), here with BatchNormalization in training mode (batch statistics,
Keras's momentum 0.99) and every kernel, bias, gamma and beta trainable. Random weights (He uniform
kernels), synthetic images uniform in [0, 1) and random labels; logits, cross-entropy, SGD with
momentum 0.9 and learning rate 0.01, as the Kiln side. The batch is copied from (pinned) host memory
each step, as Kiln's api does. Warm-up steps, then timed steps until --steps or --train-seconds or
--time-limit; the stream is drained before the clock starts and stops.

Usage: torch_train.py [--device cuda|cpu] [--image 224] [--batch 64] [--classes 1000]
[--warmup 3] [--steps 30] [--train-seconds 20] [--precision float32|tf32|mixed_bfloat16]
[--memory-format channels_last|contiguous] [--time-limit S]. Prints a PARTIAL line after each timed
step and one RESULT line at the end, tab-separated key=value fields that GpuBenchmark parses.
Precision: float32 turns TF32 off in cuDNN and matmuls (PyTorch's own default lets cuDNN use TF32);
tf32 turns it on in both; mixed_bfloat16 runs under torch.autocast with bfloat16. cuDNN's autotuner
(torch.backends.cudnn.benchmark) is on.
"""
import argparse
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.join(HERE, "..", "..", "..", "..", "applications", "tools"))
import keras_nets  # noqa: E402


class TrainableKerasNet(keras_nets.KerasNet):
    """KerasNet with BatchNormalization in training mode once built (Keras's momentum 0.99 is
    PyTorch's 0.01); building runs one image, too few for batch statistics."""

    def _bn_mode(self):
        return self.training and not self._building, 0.01


def init(layer, weight, shape, role, fan_in, x):
    """He uniform kernels, zero biases and betas, unit gammas and variances, as Keras's defaults
    (Keras's kernels are Glorot uniform; the scale does not change the speed)."""
    rng = np.random.default_rng(abs(hash((layer, weight))) % (1 << 32))
    if role in ("kernel", "depthwise_kernel"):
        return rng.uniform(-1, 1, shape) * np.sqrt(6.0 / fan_in)
    if role in ("gamma", "moving_variance"):
        return np.ones(shape)
    return np.zeros(shape)


def fields(kind, values):
    return kind + "".join(f"\t{k}={str(v).replace(chr(9), ' ')}" for k, v in values.items())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    p.add_argument("--image", type=int, default=224)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--classes", type=int, default=1000)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--train-seconds", type=float, default=20.0)
    p.add_argument("--precision", default="float32",
                   choices=["float32", "tf32", "mixed_bfloat16"])
    p.add_argument("--memory-format", default="channels_last",
                   choices=["channels_last", "contiguous"])
    p.add_argument("--time-limit", type=float, default=600.0)
    a = p.parse_args()
    begin = time.perf_counter()

    cuda = a.device == "cuda"
    if cuda and not torch.cuda.is_available():
        sys.exit("torch_train.py: --device cuda, but torch.cuda.is_available() is False")
    device = torch.device("cuda:0" if cuda else "cpu")
    tf32 = a.precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(42)

    net = TrainableKerasNet(keras_nets.resnet50, (a.image, a.image), torch.float32, init,
                            classes=a.classes)
    for key, param in net.params.items():
        param.requires_grad_(not key.endswith(("__moving_mean", "__moving_variance")))
    fmt = torch.channels_last if a.memory_format == "channels_last" else torch.contiguous_format
    net = net.to(device=device, memory_format=fmt).train()
    trainable = [q for q in net.parameters() if q.requires_grad]
    opt = torch.optim.SGD(trainable, lr=0.01, momentum=0.9)
    weights = sum(q.numel() for q in trainable)

    gen = torch.Generator().manual_seed(1)
    x_host = torch.rand(a.batch, 3, a.image, a.image, generator=gen)
    x_host = x_host.contiguous(memory_format=fmt)
    y_host = torch.randint(0, a.classes, (a.batch,), generator=gen)
    if cuda:
        x_host = x_host.pin_memory()
        y_host = y_host.pin_memory()
        torch.cuda.reset_peak_memory_stats()
    autocast = a.precision == "mixed_bfloat16"

    def step():
        x = x_host.to(device, non_blocking=True)
        y = y_host.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
            logits = net(x)
            loss = F.cross_entropy(logits.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    def sync():
        if cuda:
            torch.cuda.synchronize()

    print(f"pytorch: ResNet-50 built, {weights} trainable weights on {device}"
          f"{' (' + torch.cuda.get_device_name(0) + ')' if cuda else ''}", flush=True)
    first_loss = float("nan")
    warm = 0.0
    warmed = 0
    for w in range(a.warmup):
        warmed = w + 1
        t = time.perf_counter()
        loss = float(step())
        if w == 0:
            first_loss = loss
        s = time.perf_counter() - t
        warm += s
        print(f"pytorch: warm-up step {w + 1}: {s:.2f} s, loss {loss:.4f}", flush=True)
        # Leave time for timed steps: warm-up counts for nothing if none follows.
        if time.perf_counter() - begin + 3 * s > a.time_limit:
            print("pytorch: warm-up cut short by the time limit", flush=True)
            break

    sync()
    out = {"peer": "pytorch",
           "model": f"resnet50-{a.image}-b{a.batch}-{a.precision}",
           "warmup_steps": warmed}
    steps = 0
    start = time.perf_counter()
    last = 0.0
    loss_t = None
    while steps < a.steps:
        elapsed = time.perf_counter() - start
        if steps >= 2 and elapsed >= a.train_seconds:
            break
        if steps >= 1 and time.perf_counter() - begin + 1.5 * last > a.time_limit:
            out["stopped"] = "time limit"
            break
        t = time.perf_counter()
        loss_t = step()
        sync()
        last = time.perf_counter() - t
        steps += 1
        total = time.perf_counter() - start
        out.update(images_per_s=f"{steps * a.batch / total:.2f}", steps=steps,
                   seconds=f"{total:.3f}", batch=a.batch, image=a.image,
                   warmup_seconds=f"{warm:.2f}")
        if cuda:
            out.update(peak_reserved_bytes=torch.cuda.max_memory_reserved(),
                       peak_in_use_bytes=torch.cuda.max_memory_allocated(),
                       memory="device (torch.cuda.max_memory_reserved / max_memory_allocated)")
        else:
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
            out.update(peak_reserved_bytes=-1, peak_in_use_bytes=-1,
                       memory=f"no device memory on the CPU; process peak RSS {rss:.0f} MB")
        print(fields("PARTIAL", out), flush=True)
        if steps == 1 or steps % 5 == 0:
            print(f"pytorch: {steps} timed steps, {steps * a.batch / total:.1f} images/s",
                  flush=True)
    if steps == 0:
        sys.exit(f"torch_train.py: no timed step within the time limit of {a.time_limit} s")
    out.update(first_loss=f"{first_loss:.5f}", last_loss=f"{float(loss_t):.5f}")
    cudnn = torch.backends.cudnn.version() if cuda else None
    out["settings"] = (
        f"PyTorch {torch.__version__} eager, keras_nets ResNet-50 (BN training mode),"
        f" SGD(0.01, momentum 0.9), cross_entropy on logits, {a.memory_format},"
        f" precision {a.precision} (cudnn.allow_tf32={torch.backends.cudnn.allow_tf32},"
        f" matmul.allow_tf32={torch.backends.cuda.matmul.allow_tf32}),"
        f" cudnn.benchmark=True, cuDNN {cudnn}, warm-up {a.warmup} steps in {warm:.1f} s,"
        f" {torch.get_num_threads()} CPU threads")
    print(fields("RESULT", out), flush=True)


if __name__ == "__main__":
    main()
