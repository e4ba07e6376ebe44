package dev.kiln.applications;

import static dev.kiln.applications.Net.call;
import static dev.kiln.applications.Net.relu6;

import dev.kiln.api.KerasTensor;
import java.util.Locale;

/**
 * MobileNetV2 (Sandler et al. 2018) as Keras's {@code keras.applications.mobilenet_v2} builds it:
 * inverted residual blocks ({@code expanded_conv_*}, {@code block_1_expand}, ..., {@code
 * block_16_project}) whose widths scale with {@code alpha}, rounded to multiples of 8. Inputs are
 * preprocessed with {@link ImageNet.Mode#TF}.
 */
public final class MobileNetV2 extends MobileNetFamily<MobileNetV2> {
  // filters, stride, expansion for each inverted residual block.
  private static final int[][] BLOCKS = {
    {16, 1, 1}, {24, 2, 6}, {24, 1, 6}, {32, 2, 6}, {32, 1, 6}, {32, 1, 6}, {64, 2, 6},
    {64, 1, 6}, {64, 1, 6}, {64, 1, 6}, {96, 1, 6}, {96, 1, 6}, {96, 1, 6}, {160, 2, 6},
    {160, 1, 6}, {160, 1, 6}, {320, 1, 6}
  };
  private static final double[] IMAGENET_ALPHAS = {0.35, 0.5, 0.75, 1.0, 1.3, 1.4};

  private double alpha = 1.0;

  MobileNetV2() {}

  /**
   * The width multiplier (default 1.0); ImageNet weights exist for 0.35, 0.5, 0.75, 1, 1.3, 1.4.
   */
  public MobileNetV2 alpha(double alpha) {
    this.alpha = alpha;
    return this;
  }

  double alpha() {
    return alpha;
  }

  /** How inputs to this model are preprocessed. */
  public ImageNet.Mode preprocessing() {
    return ImageNet.Mode.TF;
  }

  /**
   * {@code v} rounded to the nearest multiple of {@code divisor}, at least {@code divisor}, never
   * more than 10% below {@code v} (the width rule of the reference implementation).
   */
  static int makeDivisible(double v, int divisor) {
    int n = Math.max(divisor, (int) (v + divisor / 2.0) / divisor * divisor);
    return n < 0.9 * v ? n + divisor : n;
  }

  @Override
  void checkArgs() {
    if (!(alpha > 0)) {
      throw new IllegalArgumentException("alpha must be positive. Received: alpha=" + alpha);
    }
    if ("imagenet".equals(weights())) {
      boolean known = false;
      for (double a : IMAGENET_ALPHAS) {
        known |= a == alpha;
      }
      if (!known) {
        throw new IllegalArgumentException(
            "If imagenet weights are being loaded, alpha must be one of 0.35, 0.50, 0.75, 1.0,"
                + " 1.3 or 1.4 only. Received: alpha="
                + alpha);
      }
      checkImagenetRows(96, 128, 160, 192, 224);
    }
  }

  @Override
  String defaultName() {
    return String.format(Locale.ROOT, "mobilenetv2_%.2f_%d", alpha, rows());
  }

  @Override
  String kerasWeightsFile() {
    // Keras writes the alpha as Python's str(float(alpha)): 1.0, 0.35, 1.4.
    String a = Double.toString(alpha);
    return "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_"
        + a
        + "_"
        + rows()
        + (includeTop() ? "" : "_no_top")
        + ".h5";
  }

  private static KerasTensor bn(KerasTensor x, String name) {
    return call(x, "BatchNormalization", "epsilon", 1e-3, "momentum", 0.999, "name", name);
  }

  private static KerasTensor conv1x1(KerasTensor x, int filters, String name) {
    return Net.conv2d(x, filters, 1, 1, "same", false, name);
  }

  @Override
  KerasTensor graph(KerasTensor input) {
    KerasTensor x = Net.conv2d(input, makeDivisible(32 * alpha, 8), 3, 2, "same", false, "Conv1");
    x = relu6(bn(x, "bn_Conv1"), "Conv1_relu");
    for (int i = 0; i < BLOCKS.length; i++) {
      x = invertedResidual(x, BLOCKS[i][0], BLOCKS[i][1], BLOCKS[i][2], i);
    }
    // Only widening multipliers widen the last convolution.
    int last = alpha > 1.0 ? makeDivisible(1280 * alpha, 8) : 1280;
    x = conv1x1(x, last, "Conv_1");
    x = relu6(bn(x, "Conv_1_bn"), "out_relu");
    if (includeTop()) {
      x = call(x, "GlobalAveragePooling2D");
      return classifier(x);
    }
    return headlessPooling(x, null, null);
  }

  private KerasTensor invertedResidual(
      KerasTensor in, int filters, int stride, int expansion, int blockId) {
    int channels = in.shape().dim(-1);
    int pointwise = makeDivisible((int) (filters * alpha), 8);
    String prefix = blockId == 0 ? "expanded_conv_" : "block_" + blockId + "_";
    KerasTensor x = in;
    if (blockId > 0) {
      x = conv1x1(x, expansion * channels, prefix + "expand");
      x = relu6(bn(x, prefix + "expand_BN"), prefix + "expand_relu");
    }
    if (stride == 2) {
      x = Net.correctPad(x, 3, prefix + "pad");
    }
    x =
        call(
            x,
            "DepthwiseConv2D",
            "kernel_size",
            3,
            "strides",
            stride,
            "use_bias",
            false,
            "padding",
            stride == 1 ? "same" : "valid",
            "name",
            prefix + "depthwise");
    x = relu6(bn(x, prefix + "depthwise_BN"), prefix + "depthwise_relu");
    x = conv1x1(x, pointwise, prefix + "project");
    x = bn(x, prefix + "project_BN");
    if (channels == pointwise && stride == 1) {
      x = Net.apply(Net.layer("Add", "name", prefix + "add"), in, x);
    }
    return x;
  }
}
