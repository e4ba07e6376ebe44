"""Writes Keras-layout weight files and golden outputs for KerasH5EquivalenceTest.

For each case below: builds the architecture in PyTorch (keras_nets.py, from Keras's structure),
gives every weight a value from a cheap periodic generator (in Keras's layout), writes them as a
Keras 2 ``save_weights`` file (root attribute ``layer_names``, per-layer ``weight_names``,
datasets ``<layer>/<layer>/<weight>:0``; gzip-compressed chunks), loads that file back by name into
a fresh PyTorch net and writes its output for a fixed input (in float64) as ``<case>.golden``.

Run with Debian's python3 (python3-torch, python3-h5py), from the repository root:
    /usr/bin/python3 applications/tools/keras_h5_golden.py [CASE...]
Output: applications/src/test/resources/dev/kiln/applications/h5golden/<case>.h5 and .golden

The generator: the j-th value (C order, Keras's layout) of the i-th dataset is
``scale_i * (((j * a_i + b_i) mod 251) / 251 - 0.5)``; 251 is prime and divides no dimension of
any dataset (checked), so the same values in a transposed layout give different numbers. Kernels
are scaled as He's initialization (variance 2 / fan_in). BatchNormalization's moving mean and
variance are scaled by the layer input's mean square on the golden input (times
the generator) so that activations stay of order one through the depth; see Init.

The input: value j of the (N, H, W, 3) input is ``2 * (((j * 29 + 7) mod 97) / 97 - 0.5)``.
The golden file holds the case's arguments, the input's shape and the output, logits of a top
with ``classes`` classes and no activation.
"""
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_nets  # noqa: E402

P = 251
INPUT_P, INPUT_A, INPUT_B = 97, 29, 7
OUT_DIR = "applications/src/test/resources/dev/kiln/applications/h5golden"

# case name -> (architecture, (batch, height, width), arguments, BN layer name endings whose
# gamma is small: the last BN of a residual branch, so that the random net stays near its
# shortcuts and well conditioned, as a trained one is)
CASES = {
    "resnet50": ("resnet50", (2, 64, 48), {"classes": 10}, ("_3_bn",)),
    "mobilenet_v2": ("mobilenet_v2", (2, 64, 48), {"alpha": 1.0, "classes": 10}, ("project_BN",)),
}


def periodic(n, a, b, scale, p=P):
    j = np.arange(n, dtype=np.int64)
    return (scale * (((j * a + b) % p) / p - 0.5)).astype(np.float32)


def golden_input(batch, h, w):
    n = batch * h * w * 3
    return (2.0 * periodic(n, INPUT_A, INPUT_B, 1.0, INPUT_P)).reshape(batch, h, w, 3)


class Init:
    """Gives each weight its generator values; counts datasets for their a_i, b_i."""

    def __init__(self, small_gamma=()):
        self.i = 0
        self.small_gamma = tuple(small_gamma)

    def __call__(self, layer, weight, shape, role, fan_in, x):
        for d in shape:
            assert d % P != 0, f"{layer}/{weight}: dimension {d} is a multiple of {P}"
        self.i += 1
        a = 1 + (self.i * 37) % (P - 1)
        b = (self.i * 53) % P
        n = int(np.prod(shape))
        u = periodic(n, a, b, 1.0).astype(np.float64).reshape(shape)  # in [-0.5, 0.5)
        if role in ("kernel", "depthwise_kernel"):
            return u * np.sqrt(24.0 / fan_in)
        if role == "bias":
            return 0.2 * u
        if role == "gamma" and layer.endswith(self.small_gamma):
            return 0.2 + 0.2 * u
        if role in ("gamma", "ln_gamma"):
            return 1.0 + 0.6 * u
        if role in ("beta", "ln_beta"):
            return 0.2 * u
        if role == "layerscale":
            return 0.5 + u
        # BatchNormalization's statistics: one scale per layer, the mean square of its input on
        # the golden input, so activations stay of order one without normalizing layers. Per
        # channel statistics of a few positions would give some channels large gains and make the
        # random net chaotic: float32 rounding then grows past the tolerance through the depth.
        m2 = float((x.detach().double() ** 2).mean())
        if role == "moving_mean":
            return 0.2 * np.sqrt(m2) * u
        if role == "moving_variance":
            return m2 * (1.0 + 0.5 * u)
        raise ValueError(role)


def write_h5(path, net, values):
    """Writes {layer: [arrays]} in Keras 2's save_weights layout, layers in build order."""
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as f:
        layers = list(net.keras_layers)
        f.attrs["layer_names"] = np.array([n.encode("utf8") for n in layers])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.15.0"
        for layer in layers:
            g = f.create_group(layer)
            names = [f"{layer}/{w}:0" for w in net.keras_weights(layer)]
            g.attrs["weight_names"] = np.array([n.encode("utf8") for n in names])
            for name, a in zip(names, values[layer]):
                if a.size < 1024:
                    # Small ones contiguous, as Keras writes them: a chunk's index costs more.
                    g.create_dataset(name, data=a)
                else:
                    g.create_dataset(name, data=a, chunks=_chunks(a.shape), compression="gzip",
                                     compression_opts=9)
    os.replace(tmp, path)


def _chunks(shape):
    """About 1 MB chunks, whole trailing dimensions: small ones (h5py's default) would compress
    one period at a time."""
    if len(shape) == 0:
        return None
    inner = int(np.prod(shape[1:]))
    return (max(1, min(shape[0], (1 << 18) // max(inner, 1))),) + tuple(shape[1:])


def read_h5(path):
    out = {}
    with h5py.File(path, "r") as f:
        for layer in [n.decode("utf8") for n in f.attrs["layer_names"]]:
            g = f[layer]
            out[layer] = [np.array(g[n.decode("utf8")]) for n in g.attrs["weight_names"]]
    return out


def run_case(case):
    arch_name, (batch, h, w), args, small_gamma = CASES[case]
    arch = keras_nets.ARCHITECTURES[arch_name]
    x = torch.from_numpy(golden_input(batch, h, w)).permute(0, 3, 1, 2).double()
    init = Init(small_gamma)
    source = keras_nets.KerasNet(arch, (h, w), torch.float64, init, calibration=x, **args)
    # The Keras-layout values: the generator's, as float32 (what the file holds).
    values = {}
    for layer in source.keras_layers:
        values[layer] = [v.astype(np.float32) for v in _keras_values(source, layer)]
    os.makedirs(OUT_DIR, exist_ok=True)
    h5 = os.path.join(OUT_DIR, case + ".h5")
    write_h5(h5, source, values)
    # A fresh net with the file's values, loaded by name: the golden output.
    net = keras_nets.KerasNet(arch, (h, w), torch.float64, **args)
    net.load_keras(read_h5(h5))
    with torch.no_grad():
        y = net(x)
    if y.dim() == 4:
        y = y.permute(0, 2, 3, 1)
    y = y.numpy()
    params = sum(int(np.prod(a.shape)) for v in values.values() for a in v)
    with open(os.path.join(OUT_DIR, case + ".golden.tmp"), "w") as f:
        f.write(f"# {case}: written by applications/tools/keras_h5_golden.py\n")
        f.write(f"architecture {arch_name}\n")
        for k, v in args.items():
            f.write(f"arg {k} {v}\n")
        f.write(f"input {batch} {h} {w} 3\n")
        f.write(f"params {params}\n")
        f.write("output " + " ".join(str(d) for d in y.shape) + "\n")
        f.write(" ".join(f"{v:.10e}" for v in y.reshape(-1)) + "\n")
    os.replace(os.path.join(OUT_DIR, case + ".golden.tmp"),
               os.path.join(OUT_DIR, case + ".golden"))
    print(f"{case}: {params} params, file {os.path.getsize(h5)} bytes, output {y.shape},"
          f" |y| max {np.abs(y).max():.3g}")


def _keras_values(net, layer):
    """The Keras-layout values the init gave, recovered exactly by inverting to_torch."""
    return net.initial_values[layer]


def main():
    torch.set_num_threads(os.cpu_count() or 1)
    cases = sys.argv[1:] or list(CASES)
    for c in cases:
        run_case(c)


if __name__ == "__main__":
    main()
