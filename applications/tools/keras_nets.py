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
        training, momentum = self._bn_mode()
        return F.batch_norm(x, ws[-2], ws[-1], gamma, beta, training, momentum, epsilon)

    def _bn_mode(self):
        """Whether batch normalization uses batch statistics, and PyTorch's momentum for them."""
        return False, 0.0

    def layer_norm(self, x, name, epsilon=1e-6):
        """LayerNormalization over the channels (Keras's last axis)."""
        c = x.shape[1]
        ws = self._weights(name, [("gamma", (c,), "ln_gamma", None, lambda t: t),
                                  ("beta", (c,), "ln_beta", None, lambda t: t)], x)
        if x.dim() == 2:
            return F.layer_norm(x, (c,), ws[0], ws[1], epsilon)
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, (c,), ws[0], ws[1], epsilon)
        return x.permute(0, 3, 1, 2)

    def normalization(self, x, name):
        """Keras's Normalization(axis=-1) without given statistics: weights mean, variance and
        count (a scalar int, kept for compatibility; unused)."""
        c = x.shape[1]
        ws = self._weights(name, [("mean", (c,), "norm_mean", None, lambda t: t),
                                  ("variance", (c,), "norm_variance", None, lambda t: t),
                                  ("count", (), "count", None, lambda t: t)], x)
        std = torch.clamp(torch.sqrt(ws[1]), min=1e-7).view(1, -1, 1, 1)
        return (x - ws[0].view(1, -1, 1, 1)) / std

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


def swish(x):
    return x * torch.sigmoid(x)


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


# ---------------------------------------------------------------------- MobileNet


def _mbv1_block(n, x, filters, alpha, strides, block_id):
    filters = int(filters * alpha)
    if strides != 1:
        x = n.zero_pad(x, ((0, 1), (0, 1)))
    x = n.depthwise(x, f"conv_dw_{block_id}", 3, strides, "same" if strides == 1 else "valid",
                    use_bias=False)
    x = relu6(n.bn(x, f"conv_dw_{block_id}_bn"))
    x = n.conv(x, f"conv_pw_{block_id}", filters, 1, use_bias=False)
    return relu6(n.bn(x, f"conv_pw_{block_id}_bn"))


def mobilenet(n, x, alpha=1.0, classes=1000):
    """keras.applications.MobileNet (depth multiplier 1) with the top, logits."""
    x = n.conv(x, "conv1", int(32 * alpha), 3, 2, "same", use_bias=False)
    x = relu6(n.bn(x, "conv1_bn"))
    plan = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [
        (1024, 2), (1024, 1)]
    for i, (filters, strides) in enumerate(plan):
        x = _mbv1_block(n, x, filters, alpha, strides, i + 1)
    x = n.gap(x, keepdims=True)
    x = n.conv(x, "conv_preds", classes, 1, padding="same")
    return x.reshape(x.shape[0], classes)


# ---------------------------------------------------------------------- VGG16


def vgg16(n, x, classes=1000):
    """keras.applications.VGG16 with the top (Flatten, fc1, fc2), logits."""
    for block, (filters, convs) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]):
        for c in range(convs):
            x = F.relu(n.conv(x, f"block{block + 1}_conv{c + 1}", filters, 3, padding="same"))
        x = n.max_pool(x, 2, 2)
    x = n.flatten(x)
    x = F.relu(n.dense(x, "fc1", 4096))
    x = F.relu(n.dense(x, "fc2", 4096))
    return n.dense(x, "predictions", classes)


# ---------------------------------------------------------------------- ResNet50V2


def _resnet_v2_block(n, x, filters, name, stride=1, conv_shortcut=False):
    eps = 1.001e-5
    preact = F.relu(n.bn(x, name + "_preact_bn", eps))
    if conv_shortcut:
        shortcut = n.conv(preact, name + "_0_conv", 4 * filters, 1, stride)
    else:
        shortcut = n.max_pool(x, 1, stride) if stride > 1 else x
    x = n.conv(preact, name + "_1_conv", filters, 1, use_bias=False)
    x = F.relu(n.bn(x, name + "_1_bn", eps))
    x = n.zero_pad(x, 1)
    x = n.conv(x, name + "_2_conv", filters, 3, stride, use_bias=False)
    x = F.relu(n.bn(x, name + "_2_bn", eps))
    x = n.conv(x, name + "_3_conv", 4 * filters, 1)
    return shortcut + x


def _resnet_v2_stack(n, x, filters, blocks, name, stride1=2):
    x = _resnet_v2_block(n, x, filters, name + "_block1", conv_shortcut=True)
    for i in range(2, blocks):
        x = _resnet_v2_block(n, x, filters, f"{name}_block{i}")
    return _resnet_v2_block(n, x, filters, f"{name}_block{blocks}", stride=stride1)


def resnet50_v2(n, x, classes=1000):
    """keras.applications.ResNet50V2 with the top, logits."""
    x = n.zero_pad(x, 3)
    x = n.conv(x, "conv1_conv", 64, 7, 2)
    x = n.zero_pad(x, 1)
    x = n.max_pool(x, 3, 2)
    x = _resnet_v2_stack(n, x, 64, 3, "conv2")
    x = _resnet_v2_stack(n, x, 128, 4, "conv3")
    x = _resnet_v2_stack(n, x, 256, 6, "conv4")
    x = _resnet_v2_stack(n, x, 512, 3, "conv5", stride1=1)
    x = F.relu(n.bn(x, "post_bn", 1.001e-5))
    return n.dense(n.gap(x), "predictions", classes)


# ---------------------------------------------------------------------- DenseNet121


def densenet121(n, x, classes=1000):
    """keras.applications.DenseNet121 with the top, logits."""
    eps = 1.001e-5
    x = n.zero_pad(x, 3)
    x = n.conv(x, "conv1_conv", 64, 7, 2, use_bias=False)
    x = F.relu(n.bn(x, "conv1_bn", eps))
    x = n.zero_pad(x, 1)
    x = n.max_pool(x, 3, 2)
    for stage, blocks in enumerate([6, 12, 24, 16]):
        name = f"conv{stage + 2}"
        for i in range(blocks):
            b = f"{name}_block{i + 1}"
            y = F.relu(n.bn(x, b + "_0_bn", eps))
            y = n.conv(y, b + "_1_conv", 128, 1, use_bias=False)
            y = F.relu(n.bn(y, b + "_1_bn", eps))
            y = n.conv(y, b + "_2_conv", 32, 3, padding="same", use_bias=False)
            x = torch.cat([x, y], dim=1)
        if stage < 3:
            p = f"pool{stage + 2}"
            x = F.relu(n.bn(x, p + "_bn", eps))
            x = n.conv(x, p + "_conv", int(x.shape[1] * 0.5), 1, use_bias=False)
            x = n.avg_pool(x, 2, 2)
    x = F.relu(n.bn(x, "bn", eps))
    return n.dense(n.gap(x), "predictions", classes)


ARCHITECTURES.update({
    "mobilenet": mobilenet,
    "vgg16": vgg16,
    "resnet50_v2": resnet50_v2,
    "densenet121": densenet121,
})


# ---------------------------------------------------------------------- EfficientNetB0

EFFICIENTNET_B0_BLOCKS = [
    # kernel, repeats, filters_in, filters_out, expand_ratio, strides, se_ratio
    (3, 1, 32, 16, 1, 1, 0.25),
    (3, 2, 16, 24, 6, 2, 0.25),
    (5, 2, 24, 40, 6, 2, 0.25),
    (3, 3, 40, 80, 6, 2, 0.25),
    (5, 3, 80, 112, 6, 1, 0.25),
    (5, 4, 112, 192, 6, 2, 0.25),
    (3, 1, 192, 320, 6, 1, 0.25),
]


def _efficientnet_block(n, inputs, name, filters_in, filters_out, kernel, strides, expand_ratio,
                        se_ratio):
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = n.conv(x, name + "expand_conv", filters, 1, padding="same", use_bias=False)
        x = swish(n.bn(x, name + "expand_bn"))
    if strides == 2:
        x = n.zero_pad(x, n.correct_pad(x, kernel))
    x = n.depthwise(x, name + "dwconv", kernel, strides, "valid" if strides == 2 else "same",
                    use_bias=False)
    x = swish(n.bn(x, name + "bn"))
    if 0 < se_ratio <= 1:
        se = n.gap(x, keepdims=True)
        se = swish(n.conv(se, name + "se_reduce", max(1, int(filters_in * se_ratio)), 1,
                          padding="same"))
        se = torch.sigmoid(n.conv(se, name + "se_expand", filters, 1, padding="same"))
        x = x * se
    x = n.conv(x, name + "project_conv", filters_out, 1, padding="same", use_bias=False)
    x = n.bn(x, name + "project_bn")
    if strides == 1 and filters_in == filters_out:
        x = x + inputs
    return x


def efficientnet_b0(n, x, classes=1000):
    """keras.applications.EfficientNetB0 with the top, logits; its stem rescales by 1/255 and
    normalizes with the Normalization layer's weights."""
    x = x * (1.0 / 255.0)
    x = n.normalization(x, "normalization")
    x = n.zero_pad(x, n.correct_pad(x, 3))
    x = n.conv(x, "stem_conv", 32, 3, 2, "valid", use_bias=False)
    x = swish(n.bn(x, "stem_bn"))
    for i, (k, repeats, fin, fout, expand, strides, se) in enumerate(EFFICIENTNET_B0_BLOCKS):
        for j in range(repeats):
            x = _efficientnet_block(n, x, f"block{i + 1}{chr(j + 97)}_", fin if j == 0 else fout,
                                    fout, k, strides if j == 0 else 1, expand, se)
    x = n.conv(x, "top_conv", 1280, 1, padding="same", use_bias=False)
    x = swish(n.bn(x, "top_bn"))
    return n.dense(n.gap(x), "predictions", classes)


ARCHITECTURES["efficientnet_b0"] = efficientnet_b0


# ---------------------------------------------------------------------- MobileNetV3Small


def _mbv3_block(n, x, expansion, filters, kernel, stride, se_ratio, act, block_id):
    shortcut = x
    prefix = "expanded_conv_"
    infilters = x.shape[1]
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = n.conv(x, prefix + "expand", make_divisible(infilters * expansion), 1,
                   padding="same", use_bias=False)
        x = act(n.bn(x, prefix + "expand_bn", 1e-3))
    if stride == 2:
        x = n.zero_pad(x, n.correct_pad(x, kernel))
    x = n.depthwise(x, prefix + "depthwise", kernel, stride, "same" if stride == 1 else "valid",
                    use_bias=False)
    x = act(n.bn(x, prefix + "depthwise_bn", 1e-3))
    if se_ratio:
        filters_se = make_divisible(infilters * expansion)
        se = n.gap(x, keepdims=True)
        se = F.relu(n.conv(se, prefix + "squeeze_excite_conv",
                           make_divisible(filters_se * se_ratio), 1, padding="same"))
        se = hard_sigmoid(n.conv(se, prefix + "squeeze_excite_conv_1", filters_se, 1,
                                 padding="same"))
        x = x * se
    x = n.conv(x, prefix + "project", filters, 1, padding="same", use_bias=False)
    x = n.bn(x, prefix + "project_bn", 1e-3)
    if stride == 1 and infilters == filters:
        x = shortcut + x
    return x


def mobilenet_v3_small(n, x, alpha=1.0, classes=1000):
    """keras.applications.MobileNetV3Small (not minimalistic, with its preprocessing) with the
    top, logits."""
    x = x * (1.0 / 127.5) - 1.0
    x = n.conv(x, "conv", 16, 3, 2, "same", use_bias=False)
    x = hard_swish(n.bn(x, "conv_bn", 1e-3))

    def depth(d):
        return make_divisible(d * alpha)

    k, hs, se, relu = 5, hard_swish, 0.25, F.relu
    plan = [(1, depth(16), 3, 2, se, relu), (72.0 / 16, depth(24), 3, 2, None, relu),
            (88.0 / 24, depth(24), 3, 1, None, relu), (4, depth(40), k, 2, se, hs),
            (6, depth(40), k, 1, se, hs), (6, depth(40), k, 1, se, hs),
            (3, depth(48), k, 1, se, hs), (3, depth(48), k, 1, se, hs),
            (6, depth(96), k, 2, se, hs), (6, depth(96), k, 1, se, hs),
            (6, depth(96), k, 1, se, hs)]
    for i, (e, f, kk, s, r, a) in enumerate(plan):
        x = _mbv3_block(n, x, e, f, kk, s, r, a, i)
    x = n.conv(x, "conv_1", make_divisible(x.shape[1] * 6), 1, padding="same", use_bias=False)
    x = hard_swish(n.bn(x, "conv_1_bn", 1e-3))
    x = n.gap(x, keepdims=True)
    x = hard_swish(n.conv(x, "conv_2", 1024, 1, padding="same"))
    x = n.conv(x, "logits", classes, 1, padding="same")
    return x.reshape(x.shape[0], classes)


ARCHITECTURES["mobilenet_v3_small"] = mobilenet_v3_small


# ---------------------------------------------------------------------- Xception


def xception(n, x, classes=1000):
    """keras.applications.Xception with the top, logits. Its shortcut convolutions and BNs have
    no names in Keras, so they get Keras 3's automatic ones: conv2d, conv2d_1, ...,
    batch_normalization, batch_normalization_1, ..."""
    auto = [0]

    def shortcut(x, filters):
        i = auto[0]
        auto[0] += 1
        suffix = f"_{i}" if i else ""
        r = n.conv(x, "conv2d" + suffix, filters, 1, 2, "same", use_bias=False)
        return n.bn(r, "batch_normalization" + suffix)

    x = n.conv(x, "block1_conv1", 32, 3, 2, use_bias=False)
    x = F.relu(n.bn(x, "block1_conv1_bn"))
    x = n.conv(x, "block1_conv2", 64, 3, use_bias=False)
    x = F.relu(n.bn(x, "block1_conv2_bn"))
    for block, filters, first_relu in [(2, 128, False), (3, 256, True), (4, 728, True)]:
        residual = shortcut(x, filters)
        if first_relu:
            x = F.relu(x)
        x = n.separable(x, f"block{block}_sepconv1", filters, 3, padding="same", use_bias=False)
        x = F.relu(n.bn(x, f"block{block}_sepconv1_bn"))
        x = n.separable(x, f"block{block}_sepconv2", filters, 3, padding="same", use_bias=False)
        x = n.bn(x, f"block{block}_sepconv2_bn")
        x = n.max_pool(x, 3, 2, "same") + residual
    for i in range(8):
        residual = x
        prefix = f"block{i + 5}"
        for c in range(3):
            x = F.relu(x)
            x = n.separable(x, f"{prefix}_sepconv{c + 1}", 728, 3, padding="same",
                            use_bias=False)
            x = n.bn(x, f"{prefix}_sepconv{c + 1}_bn")
        x = x + residual
    residual = shortcut(x, 1024)
    x = F.relu(x)
    x = n.separable(x, "block13_sepconv1", 728, 3, padding="same", use_bias=False)
    x = F.relu(n.bn(x, "block13_sepconv1_bn"))
    x = n.separable(x, "block13_sepconv2", 1024, 3, padding="same", use_bias=False)
    x = n.bn(x, "block13_sepconv2_bn")
    x = n.max_pool(x, 3, 2, "same") + residual
    x = n.separable(x, "block14_sepconv1", 1536, 3, padding="same", use_bias=False)
    x = F.relu(n.bn(x, "block14_sepconv1_bn"))
    x = n.separable(x, "block14_sepconv2", 2048, 3, padding="same", use_bias=False)
    x = F.relu(n.bn(x, "block14_sepconv2_bn"))
    return n.dense(n.gap(x), "predictions", classes)


ARCHITECTURES["xception"] = xception


# ---------------------------------------------------------------------- InceptionV3


class _AutoNames:
    """Keras 3's automatic layer names, in creation order: conv2d, conv2d_1, ..."""

    def __init__(self):
        self.counts = {}

    def __call__(self, base):
        i = self.counts.get(base, 0)
        self.counts[base] = i + 1
        return base + (f"_{i}" if i else "")


def inception_v3(n, x, classes=1000):
    """keras.applications.InceptionV3 with the top, logits. Its convolutions and BNs (scale=False,
    epsilon 1e-3) have Keras 3's automatic names, in the order Keras creates them."""
    names = _AutoNames()

    def cbn(x, filters, rows, cols, padding="same", strides=1):
        x = n.conv(x, names("conv2d"), filters, (rows, cols), strides, padding, use_bias=False)
        return F.relu(n.bn(x, names("batch_normalization"), 1e-3, scale=False))

    def avg(x):
        return n.avg_pool(x, 3, 1, "same")

    x = cbn(x, 32, 3, 3, "valid", 2)
    x = cbn(x, 32, 3, 3, "valid")
    x = cbn(x, 64, 3, 3)
    x = n.max_pool(x, 3, 2)
    x = cbn(x, 80, 1, 1, "valid")
    x = cbn(x, 192, 3, 3, "valid")
    x = n.max_pool(x, 3, 2)
    for pool_filters in (32, 64, 64):
        b1 = cbn(x, 64, 1, 1)
        b5 = cbn(cbn(x, 48, 1, 1), 64, 5, 5)
        b3 = cbn(cbn(cbn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
        bp = cbn(avg(x), pool_filters, 1, 1)
        x = torch.cat([b1, b5, b3, bp], 1)
    b3 = cbn(x, 384, 3, 3, "valid", 2)
    bd = cbn(cbn(cbn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3, "valid", 2)
    x = torch.cat([b3, bd, n.max_pool(x, 3, 2)], 1)
    for f in (128, 160, 160, 192):
        b1 = cbn(x, 192, 1, 1)
        b7 = cbn(cbn(cbn(x, f, 1, 1), f, 1, 7), 192, 7, 1)
        bd = cbn(x, f, 1, 1)
        bd = cbn(cbn(cbn(cbn(bd, f, 7, 1), f, 1, 7), f, 7, 1), 192, 1, 7)
        bp = cbn(avg(x), 192, 1, 1)
        x = torch.cat([b1, b7, bd, bp], 1)
    b3 = cbn(cbn(x, 192, 1, 1), 320, 3, 3, "valid", 2)
    b7 = cbn(cbn(cbn(cbn(x, 192, 1, 1), 192, 1, 7), 192, 7, 1), 192, 3, 3, "valid", 2)
    x = torch.cat([b3, b7, n.max_pool(x, 3, 2)], 1)
    for _ in range(2):
        b1 = cbn(x, 320, 1, 1)
        b3 = cbn(x, 384, 1, 1)
        b3 = torch.cat([cbn(b3, 384, 1, 3), cbn(b3, 384, 3, 1)], 1)
        bd = cbn(cbn(x, 448, 1, 1), 384, 3, 3)
        bd = torch.cat([cbn(bd, 384, 1, 3), cbn(bd, 384, 3, 1)], 1)
        bp = cbn(avg(x), 192, 1, 1)
        x = torch.cat([b1, b3, bd, bp], 1)
    return n.dense(n.gap(x), "predictions", classes)


ARCHITECTURES["inception_v3"] = inception_v3


# ---------------------------------------------------------------------- ConvNeXtTiny


def convnext_tiny(n, x, classes=1000):
    """keras.applications.ConvNeXtTiny without its preprocessing, with the top, logits."""
    name = "convnext_tiny"
    depths, dims = [3, 3, 9, 3], [96, 192, 384, 768]
    x = n.conv(x, name + "_stem_conv", dims[0], 4, 4)
    x = n.layer_norm(x, name + "_stem_layernorm")
    for i in range(4):
        if i > 0:
            x = n.layer_norm(x, f"{name}_downsampling_layernorm_{i - 1}")
            x = n.conv(x, f"{name}_downsampling_conv_{i - 1}", dims[i], 2, 2)
        for j in range(depths[i]):
            b = f"{name}_stage_{i}_block_{j}"
            y = n.conv(x, b + "_depthwise_conv", dims[i], 7, padding="same", groups=dims[i])
            y = n.layer_norm(y, b + "_layernorm")
            y = F.gelu(n.dense(y, b + "_pointwise_conv_1", 4 * dims[i]))
            y = n.dense(y, b + "_pointwise_conv_2", dims[i])
            x = x + n.scale_weight(y, b + "_layer_scale", "gamma")
    x = n.layer_norm(n.gap(x), name + "_head_layernorm")
    return n.dense(x, name + "_head_dense", classes)


ARCHITECTURES["convnext_tiny"] = convnext_tiny


# ---------------------------------------------------------------------- EfficientNetV2B0

EFFICIENTNET_V2_B0_BLOCKS = [
    # kernel, repeats, filters_in, filters_out, expand_ratio, strides, se_ratio, fused
    (3, 1, 32, 16, 1, 1, 0.0, True),
    (3, 2, 16, 32, 4, 2, 0.0, True),
    (3, 2, 32, 48, 4, 2, 0.0, True),
    (3, 3, 48, 96, 4, 2, 0.25, False),
    (3, 5, 96, 112, 6, 1, 0.25, False),
    (3, 8, 112, 192, 6, 2, 0.25, False),
]


def _se(n, x, name, filters_in, filters, se_ratio):
    se = n.gap(x, keepdims=True)
    se = swish(n.conv(se, name + "se_reduce", max(1, int(filters_in * se_ratio)), 1,
                      padding="same"))
    se = torch.sigmoid(n.conv(se, name + "se_expand", filters, 1, padding="same"))
    return x * se


def efficientnet_v2_b0(n, x, classes=1000):
    """keras.applications.EfficientNetV2B0 without its preprocessing, with the top, logits. Its
    stride-2 convolutions are 'same' (TensorFlow's, padding after on even sizes)."""
    x = n.conv(x, "stem_conv", 32, 3, 2, "same", use_bias=False)
    x = swish(n.bn(x, "stem_bn"))
    for i, (k, repeats, fin0, fout, expand, strides0, se, fused) in enumerate(
            EFFICIENTNET_V2_B0_BLOCKS):
        for j in range(repeats):
            name = f"block{i + 1}{chr(j + 97)}_"
            fin = fin0 if j == 0 else fout
            strides = strides0 if j == 0 else 1
            filters = fin * expand
            inputs = x
            if fused:
                if expand != 1:
                    x = n.conv(x, name + "expand_conv", filters, k, strides, "same",
                               use_bias=False)
                    x = swish(n.bn(x, name + "expand_bn"))
                if 0 < se <= 1:
                    x = _se(n, x, name, fin, filters, se)
                x = n.conv(x, name + "project_conv", fout, 1 if expand != 1 else k,
                           1 if expand != 1 else strides, "same", use_bias=False)
                x = n.bn(x, name + "project_bn")
                if expand == 1:
                    x = swish(x)
            else:
                if expand != 1:
                    x = n.conv(x, name + "expand_conv", filters, 1, padding="same",
                               use_bias=False)
                    x = swish(n.bn(x, name + "expand_bn"))
                x = n.depthwise(x, name + "dwconv2", k, strides, "same", use_bias=False)
                x = swish(n.bn(x, name + "bn"))
                if 0 < se <= 1:
                    x = _se(n, x, name, fin, filters, se)
                x = n.conv(x, name + "project_conv", fout, 1, padding="same", use_bias=False)
                x = n.bn(x, name + "project_bn")
            if strides == 1 and fin == fout:
                x = x + inputs
    x = n.conv(x, "top_conv", 1280, 1, padding="same", use_bias=False)
    x = swish(n.bn(x, "top_bn"))
    return n.dense(n.gap(x), "predictions", classes)


ARCHITECTURES["efficientnet_v2_b0"] = efficientnet_v2_b0


# ---------------------------------------------------------------------- InceptionResNetV2


def inception_resnet_v2(n, x, classes=1000):
    """keras.applications.InceptionResNetV2 with the top, logits. Unnamed convolutions and BNs
    (scale=False, epsilon 1e-3) get Keras 3's automatic names in creation order."""
    names = _AutoNames()

    def cbn(x, filters, kernel, strides=1, padding="same", activation=True, name=None):
        x = n.conv(x, name or names("conv2d"), filters, kernel, strides, padding, use_bias=False)
        x = n.bn(x, name + "_bn" if name else names("batch_normalization"), 1e-3, scale=False)
        return F.relu(x) if activation else x

    def block(x, scale, block_type, idx, activation=True):
        if block_type == "block35":
            b0 = cbn(x, 32, 1)
            b1 = cbn(cbn(x, 32, 1), 32, 3)
            b2 = cbn(cbn(cbn(x, 32, 1), 48, 3), 64, 3)
            branches = [b0, b1, b2]
        elif block_type == "block17":
            b0 = cbn(x, 192, 1)
            b1 = cbn(cbn(cbn(x, 128, 1), 160, (1, 7)), 192, (7, 1))
            branches = [b0, b1]
        else:
            b0 = cbn(x, 192, 1)
            b1 = cbn(cbn(cbn(x, 192, 1), 224, (1, 3)), 256, (3, 1))
            branches = [b0, b1]
        up = n.conv(torch.cat(branches, 1), f"{block_type}_{idx}_conv", x.shape[1], 1,
                    padding="same")
        x = x + up * scale
        return F.relu(x) if activation else x

    x = cbn(x, 32, 3, 2, "valid")
    x = cbn(x, 32, 3, padding="valid")
    x = cbn(x, 64, 3)
    x = n.max_pool(x, 3, 2)
    x = cbn(x, 80, 1, padding="valid")
    x = cbn(x, 192, 3, padding="valid")
    x = n.max_pool(x, 3, 2)
    b0 = cbn(x, 96, 1)
    b1 = cbn(cbn(x, 48, 1), 64, 5)
    b2 = cbn(cbn(cbn(x, 64, 1), 96, 3), 96, 3)
    bp = cbn(n.avg_pool(x, 3, 1, "same"), 64, 1)
    x = torch.cat([b0, b1, b2, bp], 1)
    for i in range(1, 11):
        x = block(x, 0.17, "block35", i)
    b0 = cbn(x, 384, 3, 2, "valid")
    b1 = cbn(cbn(cbn(x, 256, 1), 256, 3), 384, 3, 2, "valid")
    x = torch.cat([b0, b1, n.max_pool(x, 3, 2)], 1)
    for i in range(1, 21):
        x = block(x, 0.1, "block17", i)
    b0 = cbn(cbn(x, 256, 1), 384, 3, 2, "valid")
    b1 = cbn(cbn(x, 256, 1), 288, 3, 2, "valid")
    b2 = cbn(cbn(cbn(x, 256, 1), 288, 3), 320, 3, 2, "valid")
    x = torch.cat([b0, b1, b2, n.max_pool(x, 3, 2)], 1)
    for i in range(1, 10):
        x = block(x, 0.2, "block8", i)
    x = block(x, 1.0, "block8", 10, activation=False)
    x = cbn(x, 1536, 1, name="conv_7b")
    return n.dense(n.gap(x), "predictions", classes)


ARCHITECTURES["inception_resnet_v2"] = inception_resnet_v2


# ---------------------------------------------------------------------- NASNetMobile


def _nasnet_bn(n, x, name):
    return n.bn(x, name, 1e-3)


def _nasnet_sep_stack(n, x, filters, kernel, strides, block_id):
    """Two relu, separable convolution, BN stacks; a strided first one is zero-padded by
    correct_pad and 'valid', a stride-1 one 'same'."""
    x = F.relu(x)
    if strides == 2:
        x = n.zero_pad(x, n.correct_pad(x, kernel))
    x = n.separable(x, f"separable_conv_1_{block_id}", filters, kernel, strides,
                    "valid" if strides == 2 else "same", use_bias=False)
    x = F.relu(_nasnet_bn(n, x, f"separable_conv_1_bn_{block_id}"))
    x = n.separable(x, f"separable_conv_2_{block_id}", filters, kernel, padding="same",
                    use_bias=False)
    return _nasnet_bn(n, x, f"separable_conv_2_bn_{block_id}")


def _nasnet_adjust(n, p, ip, filters, block_id):
    """Keras's _adjust_block: the previous output p made to fit ip. Keras compares the widths
    (axis -2 of NHWC, the last axis here)."""
    if p is None:
        return ip
    if p.shape[3] != ip.shape[3]:
        p = F.relu(p)
        p1 = p[:, :, ::2, ::2]  # AveragePooling2D((1, 1), strides 2, 'valid')
        p1 = n.conv(p1, f"adjust_conv_1_{block_id}", filters // 2, 1, padding="same",
                    use_bias=False)
        # ZeroPadding2D(((0, 1), (0, 1))) then Cropping2D(((1, 0), (1, 0))): shifted by one.
        p2 = n.zero_pad(p, ((0, 1), (0, 1)))[:, :, 1:, 1:]
        p2 = p2[:, :, ::2, ::2]
        p2 = n.conv(p2, f"adjust_conv_2_{block_id}", filters // 2, 1, padding="same",
                    use_bias=False)
        return _nasnet_bn(n, torch.cat([p1, p2], 1), f"adjust_bn_{block_id}")
    if p.shape[1] != filters:
        p = n.conv(F.relu(p), f"adjust_conv_projection_{block_id}", filters, 1, padding="same",
                   use_bias=False)
        return _nasnet_bn(n, p, f"adjust_bn_{block_id}")
    return p


def _nasnet_normal(n, ip, p, filters, block_id):
    p = _nasnet_adjust(n, p, ip, filters, block_id)
    h = n.conv(F.relu(ip), f"normal_conv_1_{block_id}", filters, 1, padding="same",
               use_bias=False)
    h = _nasnet_bn(n, h, f"normal_bn_1_{block_id}")
    x1 = (_nasnet_sep_stack(n, h, filters, 5, 1, f"normal_left1_{block_id}")
          + _nasnet_sep_stack(n, p, filters, 3, 1, f"normal_right1_{block_id}"))
    x2 = (_nasnet_sep_stack(n, p, filters, 5, 1, f"normal_left2_{block_id}")
          + _nasnet_sep_stack(n, p, filters, 3, 1, f"normal_right2_{block_id}"))
    x3 = n.avg_pool(h, 3, 1, "same") + p
    x4 = n.avg_pool(p, 3, 1, "same") + n.avg_pool(p, 3, 1, "same")
    x5 = _nasnet_sep_stack(n, h, filters, 3, 1, f"normal_left5_{block_id}") + h
    return torch.cat([p, x1, x2, x3, x4, x5], 1), ip


def _nasnet_reduction(n, ip, p, filters, block_id):
    p = _nasnet_adjust(n, p, ip, filters, block_id)
    h = n.conv(F.relu(ip), f"reduction_conv_1_{block_id}", filters, 1, padding="same",
               use_bias=False)
    h = _nasnet_bn(n, h, f"reduction_bn_1_{block_id}")
    h3 = n.zero_pad(h, n.correct_pad(h, 3))
    x1 = (_nasnet_sep_stack(n, h, filters, 5, 2, f"reduction_left1_{block_id}")
          + _nasnet_sep_stack(n, p, filters, 7, 2, f"reduction_right1_{block_id}"))
    x2 = (n.max_pool(h3, 3, 2)
          + _nasnet_sep_stack(n, p, filters, 7, 2, f"reduction_right2_{block_id}"))
    # Keras averages over the zero padding of h3 here (a 'valid' pooling of a padded tensor).
    x3 = (n.avg_pool(h3, 3, 2)
          + _nasnet_sep_stack(n, p, filters, 5, 2, f"reduction_right3_{block_id}"))
    x4 = x2 + n.avg_pool(x1, 3, 1, "same")
    x5 = (_nasnet_sep_stack(n, x1, filters, 3, 1, f"reduction_left4_{block_id}")
          + n.max_pool(h3, 3, 2))
    return torch.cat([x2, x3, x4, x5], 1), ip


def nasnet_mobile(n, x, classes=1000):
    """keras.applications.NASNetMobile (NASNet-A 4 @ 1056, stem 32 filters, skip_reduction
    false, filter multiplier 2) with the top, logits."""
    blocks, m = 4, 2
    filters = 1056 // 24
    x = n.conv(x, "stem_conv1", 32, 3, 2, use_bias=False)
    x = _nasnet_bn(n, x, "stem_bn1")
    x, p = _nasnet_reduction(n, x, None, filters // (m * m), "stem_1")
    x, p = _nasnet_reduction(n, x, p, filters // m, "stem_2")
    for stack in range(3):
        width = filters * m ** stack
        if stack:
            # skip_reduction false: the reduction's input becomes the next cell's p.
            x, p = _nasnet_reduction(n, x, p, width, f"reduce_{stack * blocks}")
        for i in range(blocks):
            block_id = str(stack * blocks + (1 if stack else 0) + i)
            x, p = _nasnet_normal(n, x, p, width, block_id)
    x = F.relu(x)
    return n.dense(n.gap(x), "predictions", classes)


ARCHITECTURES["nasnet_mobile"] = nasnet_mobile
