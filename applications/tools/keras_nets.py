"""keras.applications architectures rebuilt in PyTorch, with Keras's layer and weight names.

Written from the structure of Keras 3's keras/src/applications/*.py (layer names, epsilons,
paddings), not from Kiln's code. Each architecture is a function ``arch(net, x, **args)`` that
calls the layer operations of a :class:`KerasNet` on an NCHW tensor; the net creates each layer's
parameters the first time the function runs (``build``) and keeps, per Keras layer, its weights
in Keras's order and layouts, so a Keras 2 ``save_weights`` file (``layer_names`` /
``weight_names``) loads into it by name and the same values can be written out as one.

Keras semantics that PyTorch's defaults do not share, and how they are kept here:
- ``padding="same"`` is TensorFlow's: the total padding ``max((ceil(n/s)-1)*s + k_eff - n, 0)``
  goes half before and the rest (one more when odd) after, so a stride-2 'same' convolution on an
  even size pads only after.
- Pooling with 'same' pads max pooling with -inf and leaves the padding out of an average's count.
- ``Flatten`` flattens channels-last (NHWC) order.
- Kernels: Conv2D (kh, kw, in, out); DepthwiseConv2D (kh, kw, in, multiplier) with output channel
  ``c * multiplier + m``; SeparableConv2D depthwise (kh, kw, in, 1) then pointwise (1, 1, in, out);
  Dense (in, out).
"""
import math
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def _tf_same(n, k, s, d=1):
    """TensorFlow's 'same' padding (before, after) for size n, kernel k, stride s, dilation d."""
    keff = (k - 1) * d + 1
    out = -(-n // s)
    total = max((out - 1) * s + keff - n, 0)
    return total // 2, total - total // 2


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


class KerasNet(nn.Module):
    """A model made by an architecture function; see the module's doc.

    ``init(layer, weight, shape, role, fan_in, x)`` gives each weight's value in Keras's layout
    when the net is built (``x`` is the layer's input, for calibrating BatchNormalization); without
    it weights start at zero (to be loaded).
    """

    def __init__(self, arch, input_hw, dtype=torch.float32, init=None, calibration=None, **args):
        super().__init__()
        self._arch = arch
        self._args = args
        self._init = init
        self.params = nn.ParameterDict()
        # Keras layer name -> [(weight name, Keras-layout shape, parameter key, to_torch)]
        self.keras_layers = OrderedDict()
        # Keras layer name -> the init's values, in Keras's layout (when built with an init)
        self.initial_values = OrderedDict()
        self._building = True
        self._dtype = dtype
        x = calibration if calibration is not None else torch.zeros(1, 3, *input_hw, dtype=dtype)
        with torch.no_grad():
            self.forward(x.to(dtype))
        self._building = False

    def forward(self, x):
        return self._arch(self, x, **self._args)

    # ------------------------------------------------------------------ weights

    def _weights(self, layer, specs, x):
        """The layer's parameters in PyTorch layout; specs: (weight name, Keras shape, role,
        fan_in, to_torch)."""
        if not self._building:
            return [self.params[f"{layer}__{w}"] for w, *_ in specs]
        if layer in self.keras_layers:
            raise ValueError(f"layer name {layer} used twice")
        entries = []
        out = []
        initial = []
        for w, shape, role, fan_in, to_torch in specs:
            if self._init is not None:
                value = np.asarray(self._init(layer, w, shape, role, fan_in, x), dtype=np.float32)
                assert value.shape == tuple(shape), (layer, w, value.shape, shape)
                initial.append(value)
                t = to_torch(torch.from_numpy(value).to(self._dtype))
            else:
                t = to_torch(torch.zeros(shape, dtype=self._dtype))
            key = f"{layer}__{w}"
            self.params[key] = nn.Parameter(t.contiguous(), requires_grad=False)
            entries.append((w, tuple(shape), key, to_torch))
            out.append(self.params[key])
        self.keras_layers[layer] = entries
        if self._init is not None:
            self.initial_values[layer] = initial
        return out

    def keras_weights(self, layer):
        """The names of a layer's weights, in Keras's order."""
        return [w for w, *_ in self.keras_layers[layer]]

    def load_keras(self, values):
        """Loads {layer: [Keras-layout arrays in Keras's weight order]} into the parameters."""
        for layer, entries in self.keras_layers.items():
            arrays = values[layer]
            if len(arrays) != len(entries):
                raise ValueError(f"{layer}: {len(arrays)} arrays for {len(entries)} weights")
            for (w, shape, key, to_torch), a in zip(entries, arrays):
                if tuple(a.shape) != shape:
                    raise ValueError(f"{layer}/{w}: shape {a.shape}, expected {shape}")
                t = to_torch(torch.from_numpy(np.asarray(a)).to(self._dtype)).contiguous()
                with torch.no_grad():
                    self.params[key].copy_(t)

    # ------------------------------------------------------------------ layers with weights

    def conv(self, x, name, filters, kernel, strides=1, padding="valid", use_bias=True,
             dilation=1, groups=1):
        kh, kw = _pair(kernel)
        sh, sw = _pair(strides)
        cin = x.shape[1]
        fan_in = kh * kw * cin // groups
        specs = [("kernel", (kh, kw, cin // groups, filters), "kernel", fan_in,
                  lambda t: t.permute(3, 2, 0, 1))]
        if use_bias:
            specs.append(("bias", (filters,), "bias", fan_in, lambda t: t))
        ws = self._weights(name, specs, x)
        if padding == "same":
            x = self._same_pad(x, (kh, kw), (sh, sw), dilation, 0.0)
        return F.conv2d(x, ws[0], ws[1] if use_bias else None, (sh, sw), 0, dilation, groups)

    def depthwise(self, x, name, kernel, strides=1, padding="valid", use_bias=True,
                  multiplier=1):
        kh, kw = _pair(kernel)
        sh, sw = _pair(strides)
        cin = x.shape[1]
        specs = [("depthwise_kernel", (kh, kw, cin, multiplier), "depthwise_kernel", kh * kw,
                  lambda t: t.permute(2, 3, 0, 1).reshape(cin * multiplier, 1, kh, kw))]
        if use_bias:
            specs.append(("bias", (cin * multiplier,), "bias", kh * kw, lambda t: t))
        ws = self._weights(name, specs, x)
        if padding == "same":
            x = self._same_pad(x, (kh, kw), (sh, sw), 1, 0.0)
        return F.conv2d(x, ws[0], ws[1] if use_bias else None, (sh, sw), 0, 1, cin)

    def separable(self, x, name, filters, kernel, strides=1, padding="valid", use_bias=True):
        kh, kw = _pair(kernel)
        sh, sw = _pair(strides)
        cin = x.shape[1]
        specs = [
            ("depthwise_kernel", (kh, kw, cin, 1), "depthwise_kernel", kh * kw,
             lambda t: t.permute(2, 3, 0, 1).reshape(cin, 1, kh, kw)),
            ("pointwise_kernel", (1, 1, cin, filters), "kernel", cin,
             lambda t: t.permute(3, 2, 0, 1)),
        ]
        if use_bias:
            specs.append(("bias", (filters,), "bias", cin, lambda t: t))
        ws = self._weights(name, specs, x)
        if padding == "same":
            x = self._same_pad(x, (kh, kw), (sh, sw), 1, 0.0)
        x = F.conv2d(x, ws[0], None, (sh, sw), 0, 1, cin)
        return F.conv2d(x, ws[1], ws[2] if use_bias else None)

    def bn(self, x, name, epsilon=1e-3, scale=True, center=True):
        c = x.shape[1]
        specs = []
        if scale:
            specs.append(("gamma", (c,), "gamma", None, lambda t: t))
        if center:
            specs.append(("beta", (c,), "beta", None, lambda t: t))
        specs.append(("moving_mean", (c,), "moving_mean", None, lambda t: t))
        specs.append(("moving_variance", (c,), "moving_variance", None, lambda t: t))
        ws = self._weights(name, specs, x)
        gamma = ws[0] if scale else None
        beta = ws[1 if scale else 0] if center else None
        return F.batch_norm(x, ws[-2], ws[-1], gamma, beta, False, 0.0, epsilon)

    def layer_norm(self, x, name, epsilon=1e-6):
        """LayerNormalization over the channels (Keras's last axis)."""
        c = x.shape[1]
        ws = self._weights(name, [("gamma", (c,), "ln_gamma", None, lambda t: t),
                                  ("beta", (c,), "ln_beta", None, lambda t: t)], x)
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, (c,), ws[0], ws[1], epsilon)
        return x.permute(0, 3, 1, 2)

    def dense(self, x, name, units, use_bias=True):
        """Dense on (N, features), or on the channels of an NCHW tensor."""
        cin = x.shape[1]
        specs = [("kernel", (cin, units), "kernel", cin, lambda t: t.t())]
        if use_bias:
            specs.append(("bias", (units,), "bias", cin, lambda t: t))
        ws = self._weights(name, specs, x)
        if x.dim() == 4:
            y = F.linear(x.permute(0, 2, 3, 1), ws[0], ws[1] if use_bias else None)
            return y.permute(0, 3, 1, 2)
        return F.linear(x, ws[0], ws[1] if use_bias else None)

    def scale_weight(self, x, name, weight, role="layerscale"):
        """A layer holding one per-channel weight that multiplies its input (ConvNeXt's
        LayerScale)."""
        c = x.shape[1]
        (g,) = self._weights(name, [(weight, (c,), role, None, lambda t: t)], x)
        return x * g.view(1, -1, 1, 1)

    # ------------------------------------------------------------------ layers without weights

    @staticmethod
    def _same_pad(x, k, s, d, value):
        t, b = _tf_same(x.shape[2], k[0], s[0], d)
        l, r = _tf_same(x.shape[3], k[1], s[1], d)
        return F.pad(x, (l, r, t, b), value=value)

    @staticmethod
    def zero_pad(x, padding):
        """ZeroPadding2D; padding int, (h, w) or ((top, bottom), (left, right))."""
        if isinstance(padding, int):
            padding = ((padding, padding), (padding, padding))
        elif isinstance(padding[0], int):
            padding = ((padding[0], padding[0]), (padding[1], padding[1]))
        (t, b), (l, r) = padding
        return F.pad(x, (l, r, t, b))

    @staticmethod
    def correct_pad(x, kernel):
        """keras.applications' imagenet_utils.correct_pad for an NCHW tensor."""
        k = _pair(kernel)
        adjust = (1 - x.shape[2] % 2, 1 - x.shape[3] % 2)
        c = (k[0] // 2, k[1] // 2)
        return ((c[0] - adjust[0], c[0]), (c[1] - adjust[1], c[1]))

    def max_pool(self, x, pool, strides=None, padding="valid"):
        k = _pair(pool)
        s = _pair(strides if strides is not None else pool)
        if padding == "same":
            x = self._same_pad(x, k, s, 1, float("-inf"))
        return F.max_pool2d(x, k, s)

    def avg_pool(self, x, pool, strides=None, padding="valid"):
        k = _pair(pool)
        s = _pair(strides if strides is not None else pool)
        if padding == "same":
            ones = torch.ones_like(x[:1, :1])
            total = F.avg_pool2d(self._same_pad(x, k, s, 1, 0.0), k, s) * (k[0] * k[1])
            count = F.avg_pool2d(self._same_pad(ones, k, s, 1, 0.0), k, s) * (k[0] * k[1])
            return total / count
        return F.avg_pool2d(x, k, s)

    @staticmethod
    def gap(x, keepdims=False):
        return x.mean(dim=(2, 3), keepdim=keepdims)

    @staticmethod
    def gmp(x):
        return x.amax(dim=(2, 3))

    @staticmethod
    def flatten(x):
        """Keras's Flatten: channels-last order."""
        return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)


def relu6(x):
    return torch.clamp(x, 0.0, 6.0)


def hard_sigmoid(x):
    """MobileNetV3's hard_sigmoid: ReLU6(x + 3) / 6 (a Rescaling by 1/6)."""
    return relu6(x + 3.0) * (1.0 / 6.0)


def hard_swish(x):
    return x * hard_sigmoid(x)


# ---------------------------------------------------------------------- ResNet50


def _resnet_v1_block(n, x, filters, name, stride=1, conv_shortcut=True):
    eps = 1.001e-5
    if conv_shortcut:
        shortcut = n.conv(x, name + "_0_conv", 4 * filters, 1, stride)
        shortcut = n.bn(shortcut, name + "_0_bn", eps)
    else:
        shortcut = x
    x = n.conv(x, name + "_1_conv", filters, 1, stride)
    x = F.relu(n.bn(x, name + "_1_bn", eps))
    x = n.conv(x, name + "_2_conv", filters, 3, padding="same")
    x = F.relu(n.bn(x, name + "_2_bn", eps))
    x = n.conv(x, name + "_3_conv", 4 * filters, 1)
    x = n.bn(x, name + "_3_bn", eps)
    return F.relu(shortcut + x)


def _resnet_v1_stack(n, x, filters, blocks, name, stride1=2):
    x = _resnet_v1_block(n, x, filters, name + "_block1", stride=stride1)
    for i in range(2, blocks + 1):
        x = _resnet_v1_block(n, x, filters, f"{name}_block{i}", conv_shortcut=False)
    return x


def resnet50(n, x, classes=1000):
    """keras.applications.ResNet50 with the top, logits (no softmax)."""
    x = n.zero_pad(x, 3)
    x = n.conv(x, "conv1_conv", 64, 7, 2)
    x = F.relu(n.bn(x, "conv1_bn", 1.001e-5))
    x = n.zero_pad(x, 1)
    x = n.max_pool(x, 3, 2)
    x = _resnet_v1_stack(n, x, 64, 3, "conv2", stride1=1)
    x = _resnet_v1_stack(n, x, 128, 4, "conv3")
    x = _resnet_v1_stack(n, x, 256, 6, "conv4")
    x = _resnet_v1_stack(n, x, 512, 3, "conv5")
    return n.dense(n.gap(x), "predictions", classes)


# ---------------------------------------------------------------------- MobileNetV2


def make_divisible(v, divisor=8, min_value=None):
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _mbv2_block(n, inputs, expansion, stride, alpha, filters, block_id):
    cin = inputs.shape[1]
    pointwise = make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = n.conv(x, prefix + "expand", expansion * cin, 1, use_bias=False)
        x = relu6(n.bn(x, prefix + "expand_BN", 1e-3))
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = n.zero_pad(x, n.correct_pad(x, 3))
    x = n.depthwise(x, prefix + "depthwise", 3, stride, "same" if stride == 1 else "valid",
                    use_bias=False)
    x = relu6(n.bn(x, prefix + "depthwise_BN", 1e-3))
    x = n.conv(x, prefix + "project", pointwise, 1, use_bias=False)
    x = n.bn(x, prefix + "project_BN", 1e-3)
    if cin == pointwise and stride == 1:
        return inputs + x
    return x


def mobilenet_v2(n, x, alpha=1.0, classes=1000):
    """keras.applications.MobileNetV2 with the top, logits (no softmax)."""
    x = n.conv(x, "Conv1", make_divisible(32 * alpha, 8), 3, 2, "same", use_bias=False)
    x = relu6(n.bn(x, "bn_Conv1", 1e-3))
    plan = [(16, 1, 1, 1), (24, 2, 6, 2), (32, 3, 6, 2), (64, 4, 6, 2), (96, 3, 6, 1),
            (160, 3, 6, 2), (320, 1, 6, 1)]
    block_id = 0
    for filters, repeats, expansion, stride in plan:
        for r in range(repeats):
            x = _mbv2_block(n, x, expansion, stride if r == 0 else 1, alpha, filters, block_id)
            block_id += 1
    last = make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = n.conv(x, "Conv_1", last, 1, use_bias=False)
    x = relu6(n.bn(x, "Conv_1_bn", 1e-3))
    return n.dense(n.gap(x), "predictions", classes)


ARCHITECTURES = {
    "resnet50": resnet50,
    "mobilenet_v2": mobilenet_v2,
}
