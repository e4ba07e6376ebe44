package dev.kiln.applications;

import static dev.kiln.applications.Net.call;

import dev.kiln.api.KerasTensor;

/**
 * EfficientNetB0 to B7 (Tan and Le 2019) as Keras's {@code keras.applications.efficientnet} builds
 * them: MBConv blocks ({@code block1a_}, {@code block2a_}, ...) with squeeze-and-excitation, whose
 * widths and repeats scale with each variant's width and depth coefficients. The model rescales its
 * [0, 255] input itself ({@code Rescaling} then {@code Normalization}), so its inputs need no
 * preprocessing ({@link ImageNet.Mode#NONE}).
 */
public final class EfficientNet extends ApplicationBuilder<EfficientNet> {
  // kernel, repeats, filters in, filters out, expansion, stride for each stage (se ratio 0.25).
  private static final int[][] STAGES = {
    {3, 1, 32, 16, 1, 1},
    {3, 2, 16, 24, 6, 2},
    {5, 2, 24, 40, 6, 2},
    {3, 3, 40, 80, 6, 2},
    {5, 3, 80, 112, 6, 1},
    {5, 4, 112, 192, 6, 2},
    {3, 1, 192, 320, 6, 1}
  };
  // width, depth, resolution, dropout of B0 ... B7.
  private static final double[][] VARIANTS = {
    {1.0, 1.0, 224, 0.2},
    {1.0, 1.1, 240, 0.2},
    {1.1, 1.2, 260, 0.3},
    {1.2, 1.4, 300, 0.3},
    {1.4, 1.8, 380, 0.4},
    {1.6, 2.2, 456, 0.4},
    {1.8, 2.6, 528, 0.5},
    {2.0, 3.1, 600, 0.5}
  };
  private static final double DROP_CONNECT = 0.2;
  private static final double[] IMAGENET_STDDEV = {0.229, 0.224, 0.225};

  private final int variant;
  private final double width;
  private final double depth;

  EfficientNet(int variant) {
    if (variant < 0 || variant >= VARIANTS.length) {
      throw new IllegalArgumentException("EfficientNet variant B" + variant);
    }
    this.variant = variant;
    this.width = VARIANTS[variant][0];
    this.depth = VARIANTS[variant][1];
  }

  /** How inputs to this model are preprocessed: not at all, the model does it. */
  public ImageNet.Mode preprocessing() {
    return ImageNet.Mode.NONE;
  }

  @Override
  String defaultName() {
    return "efficientnetb" + variant;
  }

  @Override
  int defaultSize() {
    return (int) VARIANTS[variant][2];
  }

  @Override
  String kerasWeightsFile() {
    return defaultName() + (includeTop() ? "" : "_notop") + ".h5";
  }

  private int roundFilters(double filters) {
    return MobileNetV2.makeDivisible(filters * width, 8);
  }

  private int roundRepeats(int repeats) {
    return (int) Math.ceil(depth * repeats);
  }

  private static KerasTensor bn(KerasTensor x, String name) {
    return call(x, "BatchNormalization", "axis", 3, "name", name);
  }

  @Override
  KerasTensor graph(KerasTensor input) {
    KerasTensor x = call(input, "Rescaling", "scale", 1.0 / 255.0);
    x = call(x, "Normalization", "axis", 3);
    if ("imagenet".equals(weights())) {
      // Keras's ImageNet weights were trained on inputs divided by the standard deviation, not by
      // the square root of the variance the Normalization uses: one more per-channel division.
      x =
          call(
              x,
              "Rescaling",
              "scale",
              java.util.List.of(
                  1 / Math.sqrt(IMAGENET_STDDEV[0]),
                  1 / Math.sqrt(IMAGENET_STDDEV[1]),
                  1 / Math.sqrt(IMAGENET_STDDEV[2])));
    }
    x = Net.correctPad(x, 3, "stem_conv_pad");
    x = Net.conv2d(x, roundFilters(32), 3, 2, "valid", false, "stem_conv");
    x = EfficientNetV2.swish(bn(x, "stem_bn"), "stem_activation");

    double total = 0;
    for (int[] s : STAGES) {
      total += roundRepeats(s[1]);
    }
    int b = 0;
    for (int i = 0; i < STAGES.length; i++) {
      int[] s = STAGES[i];
      int in = roundFilters(s[2]);
      int out = roundFilters(s[3]);
      int repeats = roundRepeats(s[1]);
      for (int j = 0; j < repeats; j++) {
        String name = "block" + (i + 1) + (char) ('a' + j) + "_";
        x =
            block(
                x,
                DROP_CONNECT * b / total,
                name,
                j == 0 ? in : out,
                out,
                s[0],
                j == 0 ? s[5] : 1,
                s[4]);
        b++;
      }
    }

    x = Net.conv2d(x, roundFilters(1280), 1, 1, "same", false, "top_conv");
    x = EfficientNetV2.swish(bn(x, "top_bn"), "top_activation");
    if (includeTop()) {
      x = call(x, "GlobalAveragePooling2D", "name", "avg_pool");
      x = call(x, "Dropout", "rate", VARIANTS[variant][3], "name", "top_dropout");
      return classifier(x);
    }
    return headlessPooling(x, "avg_pool", "max_pool");
  }

  private static KerasTensor block(
      KerasTensor inputs,
      double dropRate,
      String name,
      int filtersIn,
      int filtersOut,
      int kernel,
      int stride,
      int expansion) {
    int filters = filtersIn * expansion;
    KerasTensor x = inputs;
    if (expansion != 1) {
      x = Net.conv2d(x, filters, 1, 1, "same", false, name + "expand_conv");
      x = EfficientNetV2.swish(bn(x, name + "expand_bn"), name + "expand_activation");
    }
    if (stride == 2) {
      x = Net.correctPad(x, kernel, name + "dwconv_pad");
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
            stride == 2 ? "valid" : "same",
            "use_bias",
            false,
            "name",
            name + "dwconv");
    x = EfficientNetV2.swish(bn(x, name + "bn"), name + "activation");

    x = EfficientNetV2.squeezeExcite(x, filtersIn, filters, name);

    x = Net.conv2d(x, filtersOut, 1, 1, "same", false, name + "project_conv");
    x = bn(x, name + "project_bn");
    return EfficientNetV2.residual(x, inputs, filtersIn, filtersOut, stride, dropRate, name);
  }
}
