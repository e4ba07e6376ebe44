package dev.kiln.applications;

import static dev.kiln.applications.Net.call;

import dev.kiln.api.KerasTensor;

/**
 * MobileNetV3Small and MobileNetV3Large (Howard et al. 2019) as Keras's {@code
 * keras.applications.mobilenet_v3} builds them: inverted residual blocks {@code expanded_conv_*}
 * with squeeze-and-excitation and hard-swish, or, {@code minimalistic}, 3x3 kernels, ReLU and no
 * squeeze-and-excitation. With {@code includePreprocessing} (the default) the model rescales its
 * [0, 255] input itself ({@link ImageNet.Mode#NONE}).
 */
public final class MobileNetV3 extends ApplicationBuilder<MobileNetV3> {
  // expansion, filters, kernel (0: the variant's), stride, squeeze-excite, hard-swish per block.
  private static final double[][] SMALL = {
    {1, 16, 3, 2, 1, 0},
    {72.0 / 16, 24, 3, 2, 0, 0},
    {88.0 / 24, 24, 3, 1, 0, 0},
    {4, 40, 0, 2, 1, 1},
    {6, 40, 0, 1, 1, 1},
    {6, 40, 0, 1, 1, 1},
    {3, 48, 0, 1, 1, 1},
    {3, 48, 0, 1, 1, 1},
    {6, 96, 0, 2, 1, 1},
    {6, 96, 0, 1, 1, 1},
    {6, 96, 0, 1, 1, 1}
  };
  private static final double[][] LARGE = {
    {1, 16, 3, 1, 0, 0},
    {4, 24, 3, 2, 0, 0},
    {3, 24, 3, 1, 0, 0},
    {3, 40, 0, 2, 1, 0},
    {3, 40, 0, 1, 1, 0},
    {3, 40, 0, 1, 1, 0},
    {6, 80, 3, 2, 0, 1},
    {2.5, 80, 3, 1, 0, 1},
    {2.3, 80, 3, 1, 0, 1},
    {2.3, 80, 3, 1, 0, 1},
    {6, 112, 3, 1, 1, 1},
    {6, 112, 3, 1, 1, 1},
    {6, 160, 0, 2, 1, 1},
    {6, 160, 0, 1, 1, 1},
    {6, 160, 0, 1, 1, 1}
  };

  private final boolean large;
  private double alpha = 1.0;
  private boolean minimalistic;
  private double dropout = 0.2;
  private boolean includePreprocessing = true;

  MobileNetV3(boolean large) {
    this.large = large;
  }

  /** The width multiplier (default 1.0). */
  public MobileNetV3 alpha(double alpha) {
    this.alpha = alpha;
    return this;
  }

  /** 3x3 kernels, ReLU and no squeeze-and-excitation (default false). */
  public MobileNetV3 minimalistic(boolean minimalistic) {
    this.minimalistic = minimalistic;
    return this;
  }

  /** The dropout rate before the classifier (default 0.2). */
  public MobileNetV3 dropout(double dropout) {
    this.dropout = dropout;
    return this;
  }

  /** Whether the model rescales [0, 255] input to [-1, 1] itself (default true). */
  public MobileNetV3 includePreprocessing(boolean includePreprocessing) {
    this.includePreprocessing = includePreprocessing;
    return this;
  }

  /** How inputs to this model are preprocessed. */
  public ImageNet.Mode preprocessing() {
    return includePreprocessing ? ImageNet.Mode.NONE : ImageNet.Mode.TF;
  }

  @Override
  void checkArgs() {
    if (!(alpha > 0)) {
      throw new IllegalArgumentException("alpha must be positive. Received: alpha=" + alpha);
    }
    if ("imagenet".equals(weights())
        && ((!minimalistic && alpha != 0.75 && alpha != 1.0) || (minimalistic && alpha != 1.0))) {
      throw new IllegalArgumentException(
          "If imagenet weights are being loaded, alpha can be one of 0.75, 1.0 for non"
              + " minimalistic or 1.0 for minimalistic only. Received: alpha="
              + alpha);
    }
  }

  @Override
  String defaultName() {
    return large ? "MobileNetV3Large" : "MobileNetV3Small";
  }

  @Override
  int defaultSize() {
    return 224;
  }

  @Override
  String kerasWeightsFile() {
    String model =
        (large ? "large" : "small")
            + (minimalistic ? "_minimalistic" : "")
            + "_224_"
            + Double.toString(alpha)
            + "_float";
    return "weights_mobilenet_v3_" + model + (includeTop() ? "" : "_no_top_v2") + ".h5";
  }

  private static int depth(double v) {
    return MobileNetV2.makeDivisible(v, 8);
  }

  private static KerasTensor bn(KerasTensor x, String name) {
    return call(x, "BatchNormalization", "epsilon", 1e-3, "momentum", 0.999, "name", name);
  }

  private static KerasTensor activation(KerasTensor x, boolean hardSwish) {
    return hardSwish ? call(x, "Activation", "activation", "hard_swish") : call(x, "ReLU");
  }

  /** relu6(x + 3) / 6, which Keras writes as operations on the tensor rather than layers. */
  private static KerasTensor hardSigmoid(KerasTensor x) {
    x = call(x, "Rescaling", "scale", 1.0, "offset", 3.0);
    x = call(x, "ReLU", "max_value", 6.0);
    return call(x, "Rescaling", "scale", 1.0 / 6.0);
  }

  @Override
  KerasTensor graph(KerasTensor input) {
    boolean swish = !minimalistic;
    KerasTensor x = input;
    if (includePreprocessing) {
      x = call(x, "Rescaling", "scale", 1.0 / 127.5, "offset", -1.0);
    }
    x = Net.conv2d(x, 16, 3, 2, "same", false, "conv");
    x = activation(bn(x, "conv_bn"), swish);
    double[][] blocks = large ? LARGE : SMALL;
    for (int i = 0; i < blocks.length; i++) {
      double[] b = blocks[i];
      int kernel = b[2] > 0 || minimalistic ? 3 : 5;
      if (b[2] > 0) {
        kernel = (int) b[2];
      }
      x =
          invertedResidual(
              x,
              b[0],
              depth(b[1] * alpha),
              kernel,
              (int) b[3],
              b[4] > 0 && !minimalistic,
              b[5] > 0 && !minimalistic,
              i);
    }
    int lastConv = depth(x.shape().dim(-1) * 6);
    int lastPoint = large ? 1280 : 1024;
    if (alpha > 1.0) {
      lastPoint = depth(lastPoint * alpha);
    }
    x = Net.conv2d(x, lastConv, 1, 1, "same", false, "conv_1");
    x = activation(bn(x, "conv_1_bn"), swish);
    if (includeTop()) {
      x = call(x, "GlobalAveragePooling2D", "keepdims", true);
      x = Net.conv2d(x, lastPoint, 1, 1, "same", true, "conv_2");
      x = activation(x, swish);
      if (dropout > 0) {
        x = call(x, "Dropout", "rate", dropout);
      }
      x = Net.conv2d(x, classes(), 1, 1, "same", true, "logits");
      x = call(x, "Flatten");
      return call(x, "Activation", "activation", classifierActivation(), "name", "predictions");
    }
    return headlessPooling(x, "avg_pool", "max_pool");
  }

  private static KerasTensor invertedResidual(
      KerasTensor in,
      double expansion,
      int filters,
      int kernel,
      int stride,
      boolean squeezeExcite,
      boolean hardSwish,
      int blockId) {
    int inFilters = in.shape().dim(-1);
    String prefix = blockId == 0 ? "expanded_conv_" : "expanded_conv_" + blockId + "_";
    KerasTensor x = in;
    if (blockId > 0) {
      x = Net.conv2d(x, depth(inFilters * expansion), 1, 1, "same", false, prefix + "expand");
      x = activation(bn(x, prefix + "expand_bn"), hardSwish);
    }
    if (stride == 2) {
      x = Net.correctPad(x, kernel, prefix + "depthwise_pad");
    }
    x =
        call(
            x,
            "DepthwiseConv2D",
            "kernel_size",
            kernel,
            "strides",
            stride,
            "padding",
            stride == 1 ? "same" : "valid",
            "use_bias",
            false,
            "name",
            prefix + "depthwise");
    x = activation(bn(x, prefix + "depthwise_bn"), hardSwish);
    if (squeezeExcite) {
      int expanded = depth(inFilters * expansion);
      KerasTensor s =
          call(
              x,
              "GlobalAveragePooling2D",
              "keepdims",
              true,
              "name",
              prefix + "squeeze_excite_avg_pool");
      s = Net.conv2d(s, depth(expanded * 0.25), 1, 1, "same", true, prefix + "squeeze_excite_conv");
      s = call(s, "ReLU", "name", prefix + "squeeze_excite_relu");
      s = Net.conv2d(s, expanded, 1, 1, "same", true, prefix + "squeeze_excite_conv_1");
      s = hardSigmoid(s);
      x = Net.apply(Net.layer("Multiply", "name", prefix + "squeeze_excite_mul"), x, s);
    }
    x = Net.conv2d(x, filters, 1, 1, "same", false, prefix + "project");
    x = bn(x, prefix + "project_bn");
    if (stride == 1 && inFilters == filters) {
      x = Net.apply(Net.layer("Add", "name", prefix + "add"), in, x);
    }
    return x;
  }
}
