"""Writes Keras-layout weight files and golden outputs for KerasH5EquivalenceTest.

For each case below: builds the architecture in PyTorch (keras_nets.py, from Keras's structure),
gives every weight a value from a cheap periodic generator (in Keras's layout), writes them as a
Keras 2 ``save_weights`` file (root attribute ``layer_names``, per-layer ``weight_names``,
datasets ``<layer>/<layer>/<weight>:0``; datasets of 1024 values or more chunked (about 1 MB
chunks) and gzip-compressed, smaller ones contiguous), loads that file back by name into
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
For cases in PIXEL_INPUT it is ``127.5 * (v + 1)`` (float32), pixels in [0, 255].
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

# case name -> (architecture, (batch, height, width), arguments, name endings of the layers that
# end a residual branch: their BN gamma or kernel is small, so that the random net stays near its
# shortcuts and well conditioned, as a trained one is)
CASES = {
    "resnet50": ("resnet50", (2, 64, 48), {"classes": 10}, ("_3_bn",)),
    "mobilenet_v2": ("mobilenet_v2", (2, 64, 48), {"alpha": 1.0, "classes": 10}, ("project_BN",)),
    "mobilenet": ("mobilenet", (2, 64, 48), {"alpha": 1.0, "classes": 10}, ()),
    "vgg16": ("vgg16", (1, 64, 48), {"classes": 10}, ()),
    "resnet50_v2": ("resnet50_v2", (2, 64, 48), {"classes": 10}, ("_3_conv",)),
    "densenet121": ("densenet121", (2, 64, 48), {"classes": 10}, ()),
    "efficientnet_b0": ("efficientnet_b0", (2, 64, 48), {"classes": 10}, ("project_bn",)),
    # Its own preprocessing maps [0, 255] to [-1, 1]: the input is given as pixels.
    "mobilenet_v3_small": ("mobilenet_v3_small", (2, 64, 48), {"alpha": 1.0, "classes": 10},
                           ("project_bn",)),
    # 84 x 76: the 'same' max poolings see even and odd sizes (TensorFlow pads those
    # differently).
    "xception": ("xception", (2, 84, 76), {"classes": 10}, ("_sepconv3_bn",)),
    "inception_v3": ("inception_v3", (2, 80, 76), {"classes": 10}, ()),
    "convnext_tiny": ("convnext_tiny", (2, 64, 48), {"classes": 10}, ()),
    "efficientnet_v2_b0": ("efficientnet_v2_b0", (2, 64, 48), {"classes": 10}, ("project_bn",)),
    "inception_resnet_v2": ("inception_resnet_v2", (2, 80, 76), {"classes": 10}, ()),
    # 76 x 64: the strided stages see odd and even sizes (37 x 31, 19 x 16, 10 x 8, 5 x 4,
    # 3 x 2), so correct_pad pads on both sides and after only, and each cell's height and width
    # differ.
    "nasnet_mobile": ("nasnet_mobile", (2, 76, 64), {"classes": 10}, ()),
}


def periodic(n, a, b, scale, p=P):
    j = np.arange(n, dtype=np.int64)
    return (scale * (((j * a + b) % p) / p - 0.5)).astype(np.float32)


# Cases whose BN betas are shifted up: their long chains of convolution, BN and ReLU without
# shortcuts amplify float32 rounding about 1.2 times per layer when half the units are cut off;
# mostly active ReLUs keep the comparison within the tolerance (float32 vs float64 PyTorch:
# InceptionV3 9e-3 unshifted, 1.3e-5 shifted by 1.5).
BETA_SHIFT = {"inception_v3": 1.5, "inception_resnet_v2": 1.5}

# Cases written in HDF5's newer object format (h5py libver "latest": groups without symbol-table
# B-trees, single-chunk indexes), which halves the metadata of files with many layers; the others
# are in the default (oldest) format, as Keras's own files.
LATEST_FORMAT = {"densenet121", "inception_v3", "inception_resnet_v2", "efficientnet_b0",
                 "efficientnet_v2_b0", "xception", "convnext_tiny", "resnet50_v2", "nasnet_mobile"}


def _xception_order(layers):
    """Keras's model.layers order for Xception: by depth from the output, so each unnamed
    shortcut convolution and BN (created before their block's separable convolutions) follows
    the block's sepconv2_bn. Keras loads a Keras 2 file by this order (and Kiln falls back to it
    where the automatic names differ, as they do between sessions)."""
    out, pending = [], []
    for name in layers:
        if name.startswith(("conv2d", "batch_normalization")):
            pending.append(name)
            continue
        out.append(name)
        if name.endswith("_sepconv2_bn"):
            out += pending
            pending = []
    return out + pending


# The order of layer_names where Keras's differs from the order the script creates layers in.
LAYER_ORDER = {"xception": _xception_order}


def _convnext_nested(layers):
    """ConvNeXt's stem and downsampling pairs are nested Sequential models in Keras: each is one
    entry of layer_names whose weights are its layers', named <inner layer>/<weight>:0."""
    prefix = layers[0][: -len("_stem_conv")]
    groups = {prefix + "_stem": [prefix + "_stem_conv", prefix + "_stem_layernorm"]}
    for i in range(3):
        groups[f"{prefix}_downsampling_block_{i}"] = [
            f"{prefix}_downsampling_layernorm_{i}", f"{prefix}_downsampling_conv_{i}"]
    return groups


# Layers that Keras nests in a model of their own: {outer name: [inner layers]}.
NESTED = {"convnext_tiny": _convnext_nested}

# Cases whose input is pixels, 127.5 * (v + 1) in float32 for the input v above.
PIXEL_INPUT = {"mobilenet_v3_small"}


def golden_input(batch, h, w, pixels=False):
    n = batch * h * w * 3
    v = (2.0 * periodic(n, INPUT_A, INPUT_B, 1.0, INPUT_P)).reshape(batch, h, w, 3)
    if pixels:
        v = np.float32(127.5) * (v + np.float32(1.0))
    return v


class Init:
    """Gives each weight its generator values; counts datasets for their a_i, b_i."""

    def __init__(self, small=(), beta_shift=0.0):
        self.i = 0
        self.small = tuple(small)
        self.beta_shift = beta_shift

    def __call__(self, layer, weight, shape, role, fan_in, x):
        for d in shape:
            assert d % P != 0, f"{layer}/{weight}: dimension {d} is a multiple of {P}"
        self.i += 1
        a = 1 + (self.i * 37) % (P - 1)
        b = (self.i * 53) % P
        n = int(np.prod(shape))
        u = periodic(n, a, b, 1.0).astype(np.float64).reshape(shape)  # in [-0.5, 0.5)
        if role in ("kernel", "depthwise_kernel"):
            small = 0.2 if layer.endswith(self.small) else 1.0
            return small * u * np.sqrt(24.0 / fan_in)
        if role == "bias":
            return 0.2 * u
        if role == "gamma" and layer.endswith(self.small):
            return 0.2 + 0.2 * u
        if role in ("gamma", "ln_gamma"):
            return 1.0 + 0.6 * u
        if role == "beta":
            return self.beta_shift + 0.2 * u
        if role == "ln_beta":
            return 0.2 * u
        if role == "layerscale":
            # Small, as the residual branches' BN gammas elsewhere.
            return 0.2 * (1.0 + u)
        if role == "count":
            return np.array(1000.0)
        # BatchNormalization's statistics: one scale per layer, the mean square of its input on
        # the golden input, so activations stay of order one without normalizing layers. Per
        # channel statistics of a few positions would give some channels large gains and make the
        # random net chaotic: float32 rounding then grows past the tolerance through the depth.
        m2 = float((x.detach().double() ** 2).mean())
        if role in ("moving_mean", "norm_mean"):
            return 0.2 * np.sqrt(m2) * u
        if role in ("moving_variance", "norm_variance"):
            return m2 * (1.0 + 0.5 * u)
        raise ValueError(role)


def write_h5(path, layers, weight_names, values, latest=False, nested=None):
    """Writes {layer: [arrays]} in Keras 2's save_weights layout, layers in the given order;
    weight_names(layer) gives a layer's weight names without the layer prefix. nested maps an
    outer model's name to its inner layers, written as one entry in the first one's place."""
    nested = nested or {}
    inner_of = {i: outer for outer, inners in nested.items() for i in inners}
    entries = []
    for layer in layers:
        outer = inner_of.get(layer)
        if outer is None:
            entries.append((layer, [layer]))
        elif nested[outer][0] == layer:
            entries.append((outer, nested[outer]))
    tmp = path + ".tmp"
    with h5py.File(tmp, "w", libver="latest" if latest else "earliest") as f:
        f.attrs["layer_names"] = np.array([e.encode("utf8") for e, _ in entries])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.15.0"
        for entry, inners in entries:
            g = f.create_group(entry)
            names = [f"{i}/{w}:0" for i in inners for w in weight_names(i)]
            arrays = [a for i in inners for a in values[i]]
            g.attrs["weight_names"] = np.array([n.encode("utf8") for n in names])
            for name, a in zip(names, arrays):
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
            for n in g.attrs["weight_names"]:
                # A nested model's entry holds its layers' weights, each under its layer's name.
                name = n.decode("utf8")
                out.setdefault(name.split("/")[0], []).append(np.array(g[name]))
    return out


def run_case(case):
    arch_name, (batch, h, w), args, small = CASES[case]
    arch = keras_nets.ARCHITECTURES[arch_name]
    pixels = case in PIXEL_INPUT
    x = torch.from_numpy(golden_input(batch, h, w, pixels)).permute(0, 3, 1, 2).double()
    init = Init(small, BETA_SHIFT.get(case, 0.0))
    source = keras_nets.KerasNet(arch, (h, w), torch.float64, init, calibration=x, **args)
    # The Keras-layout values: the generator's, as float32 (what the file holds).
    values = {}
    for layer in source.keras_layers:
        values[layer] = [v.astype(np.int64 if w == "count" else np.float32)
                         for w, v in zip(source.keras_weights(layer), _keras_values(source, layer))]
    os.makedirs(OUT_DIR, exist_ok=True)
    h5 = os.path.join(OUT_DIR, case + ".h5")
    order = LAYER_ORDER.get(case, list)(list(source.keras_layers))
    nested = NESTED[case](order) if case in NESTED else None
    write_h5(h5, order, source.keras_weights, values, case in LATEST_FORMAT, nested)
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
        if pixels:
            f.write("input_pixels\n")
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
