package dev.kiln.applications;

import static dev.kiln.applications.Net.call;

import dev.kiln.api.KerasTensor;
import java.util.List;

/**
 * EfficientNetV2 B0-B3, S, M and L (Tan and Le 2021) as Keras's {@code
 * keras.applications.efficientnet_v2} builds them: fused MBConv stages (a full convolution in place
 * of expansion and depthwise) then MBConv stages with squeeze-and-excitation, named {@code
 * block1a_} ... as EfficientNet. With {@code includePreprocessing} (the default) the model scales
 * its [0, 255] input itself ({@link ImageNet.Mode#NONE}).
 */
public final class EfficientNetV2 extends ApplicationBuilder<EfficientNetV2> {
  // kernel, repeats, filters in, filters out, expansion, stride, se (0 or 1), fused (0 or 1).
  private static final int[][] B = {
    {3, 1, 32, 16, 1, 1, 0, 1},
    {3, 2, 16, 32, 4, 2, 0, 1},
    {3, 2, 32, 48, 4, 2, 0, 1},
    {3, 3, 48, 96, 4, 2, 1, 0},
    {3, 5, 96, 112, 6, 1, 1, 0},
    {3, 8, 112, 192, 6, 2, 1, 0}
  };
  private static final int[][] S = {
    {3, 2, 24, 24, 1, 1, 0, 1},
    {3, 4, 24, 48, 4, 2, 0, 1},
    {3, 4, 48, 64, 4, 2, 0, 1},
    {3, 6, 64, 128, 4, 2, 1, 0},
    {3, 9, 128, 160, 6, 1, 1, 0},
    {3, 15, 160, 256, 6, 2, 1, 0}
  };
  private static final int[][] M = {
    {3, 3, 24, 24, 1, 1, 0, 1},
    {3, 5, 24, 48, 4, 2, 0, 1},
    {3, 5, 48, 80, 4, 2, 0, 1},
    {3, 7, 80, 160, 4, 2, 1, 0},
    {3, 14, 160, 176, 6, 1, 1, 0},
    {3, 18, 176, 304, 6, 2, 1, 0},
    {3, 5, 304, 512, 6, 1, 1, 0}
  };
  private static final int[][] L = {
    {3, 4, 32, 32, 1, 1, 0, 1},
    {3, 7, 32, 64, 4, 2, 0, 1},
    {3, 7, 64, 96, 4, 2, 0, 1},
    {3, 10, 96, 192, 4, 2, 1, 0},
    {3, 19, 192, 224, 6, 1, 1, 0},
    {3, 25, 224, 384, 6, 2, 1, 0},
    {3, 7, 384, 640, 6, 1, 1, 0}
  };
  private static final double DROP_CONNECT = 0.2;
  private static final double BN_MOMENTUM = 0.9;

  private final String variant;
  private final double width;
  private final double depth;
  private final int size;
  private final int[][] stages;
  private boolean includePreprocessing = true;

  EfficientNetV2(String variant) {
    this.variant = variant;
    switch (variant) {
      case "b0" -> {
        width = 1.0;
        depth = 1.0;
        size = 224;
      }
      case "b1" -> {
        width = 1.0;
        depth = 1.1;
        size = 240;
      }
      case "b2" -> {
        width = 1.1;
        depth = 1.2;
        size = 260;
      }
      case "b3" -> {
        width = 1.2;
        depth = 1.4;
        size = 300;
      }
      case "s" -> {
        width = 1.0;
        depth = 1.0;
        size = 384;
      }
      case "m", "l" -> {
        width = 1.0;
        depth = 1.0;
        size = 480;
      }
      default -> throw new IllegalArgumentException("EfficientNetV2 variant " + variant);
    }
    this.stages =
        switch (variant) {
          case "s" -> S;
          case "m" -> M;
          case "l" -> L;
          default -> B;
        };
  }

  /**
   * Whether the model scales its [0, 255] input itself (default true): B variants to [0, 1] then
   * ImageNet's mean and variance, S/M/L to [-1, 1].
   */
  public EfficientNetV2 includePreprocessing(boolean includePreprocessing) {
    this.includePreprocessing = includePreprocessing;
    return this;
  }

  /** How inputs to this model are preprocessed. */
  public ImageNet.Mode preprocessing() {
    return includePreprocessing ? ImageNet.Mode.NONE : ImageNet.Mode.TF;
  }

  @Override
  String defaultName() {
    return "efficientnetv2-" + variant;
  }

  @Override
  int defaultSize() {
    return size;
  }

  @Override
  String kerasWeightsFile() {
    return defaultName() + (includeTop() ? "" : "_notop") + ".h5";
  }

  /** Width scaling without MobileNet's 10% rule, as Keras's EfficientNetV2 rounds. */
  private int roundFilters(int filters) {
    double f = filters * width;
    return Math.max(8, (int) (f + 4) / 8 * 8);
  }

  private static KerasTensor bn(KerasTensor x, String name) {
    return call(x, "BatchNormalization", "axis", 3, "momentum", BN_MOMENTUM, "name", name);
  }

  /** The swish activation of EfficientNet and EfficientNetV2 blocks. */
  static KerasTensor swish(KerasTensor x, String name) {
    return call(x, "Activation", "activation", "swish", "name", name);
  }

  private static KerasTensor conv(KerasTensor x, int filters, int kernel, int stride, String name) {
    return Net.conv2d(x, filters, kernel, stride, "same", false, name);
  }

  @Override
  KerasTensor graph(KerasTensor input) {
    KerasTensor x = input;
    if (includePreprocessing) {
      if (variant.startsWith("b") && input.shape().dim(-1) == 3) {
        x = call(x, "Rescaling", "scale", 1.0 / 255);
        x =
            call(
                x,
                "Normalization",
                "axis",
                3,
                "mean",
                List.of(0.485, 0.456, 0.406),
                "variance",
                List.of(0.229 * 0.229, 0.224 * 0.224, 0.225 * 0.225));
      } else {
        x = call(x, "Rescaling", "scale", 1.0 / 128.0, "offset", -1.0);
      }
    }
    x = conv(x, roundFilters(stages[0][2]), 3, 2, "stem_conv");
    x = swish(bn(x, "stem_bn"), "stem_activation");

    // Keras spreads the drop-connect rate over the unscaled number of blocks.
    double total = 0;
    for (int[] s : stages) {
      total += s[1];
    }
    int b = 0;
    for (int i = 0; i < stages.length; i++) {
      int[] s = stages[i];
      int in = roundFilters(s[2]);
      int out = roundFilters(s[3]);
      int repeats = (int) Math.ceil(depth * s[1]);
      for (int j = 0; j < repeats; j++) {
        String name = "block" + (i + 1) + (char) ('a' + j) + "_";
        int blockIn = j == 0 ? in : out;
        int stride = j == 0 ? s[5] : 1;
        double drop = DROP_CONNECT * b / total;
        x =
            s[7] == 1
                ? fused(x, blockIn, out, s[4], s[0], stride, s[6] == 1, drop, name)
                : mbConv(x, blockIn, out, s[4], s[0], stride, s[6] == 1, drop, name);
        b++;
      }
    }

    x = conv(x, roundFilters(1280), 1, 1, "top_conv");
    x = swish(bn(x, "top_bn"), "top_activation");
    if (includeTop()) {
      x = call(x, "GlobalAveragePooling2D", "name", "avg_pool");
      x = call(x, "Dropout", "rate", 0.2, "name", "top_dropout");
      return classifier(x);
    }
    return headlessPooling(x, "avg_pool", "max_pool");
  }

  /**
   * The squeeze-and-excitation of an MBConv block, shared with {@link EfficientNet}: the squeeze
   * width follows the block's input filters, not its expanded width.
   */
  static KerasTensor squeezeExcite(KerasTensor x, int filtersIn, int filters, String name) {
    int squeezed = Math.max(1, (int) (filtersIn * 0.25));
    KerasTensor se = call(x, "GlobalAveragePooling2D", "name", name + "se_squeeze");
    se = call(se, "Reshape", "target_shape", List.of(1, 1, filters), "name", name + "se_reshape");
    se = Net.conv2d(se, squeezed, 1, 1, "same", true, name + "se_reduce", "activation", "swish");
    se = Net.conv2d(se, filters, 1, 1, "same", true, name + "se_expand", "activation", "sigmoid");
    return Net.apply(Net.layer("Multiply", "name", name + "se_excite"), x, se);
  }

  /**
   * The residual connection of an EfficientNet or EfficientNetV2 block, where its input and output
   * match: drop-connect (whole samples of the branch dropped) then the add.
   */
  static KerasTensor residual(
      KerasTensor x,
      KerasTensor in,
      int filtersIn,
      int filtersOut,
      int stride,
      double drop,
      String name) {
    if (stride == 1 && filtersIn == filtersOut) {
      if (drop > 0) {
        x =
            call(
                x,
                "Dropout",
                "rate",
                drop,
                "noise_shape",
                java.util.Arrays.asList(null, 1, 1, 1),
                "name",
                name + "drop");
      }
      x = Net.apply(Net.layer("Add", "name", name + "add"), x, in);
    }
    return x;
  }

  private static KerasTensor mbConv(
      KerasTensor in,
      int filtersIn,
      int filtersOut,
      int expansion,
      int kernel,
      int stride,
      boolean se,
      double drop,
      String name) {
    int filters = filtersIn * expansion;
    KerasTensor x = in;
    if (expansion != 1) {
      x = conv(x, filters, 1, 1, name + "expand_conv");
      x = swish(bn(x, name + "expand_bn"), name + "expand_activation");
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
            "same",
            "use_bias",
            false,
            "name",
            name + "dwconv2");
    x = swish(bn(x, name + "bn"), name + "activation");
    if (se) {
      x = squeezeExcite(x, filtersIn, filters, name);
    }
    x = conv(x, filtersOut, 1, 1, name + "project_conv");
    x = bn(x, name + "project_bn");
    return residual(x, in, filtersIn, filtersOut, stride, drop, name);
  }

  private static KerasTensor fused(
      KerasTensor in,
      int filtersIn,
      int filtersOut,
      int expansion,
      int kernel,
      int stride,
      boolean se,
      double drop,
      String name) {
    int filters = filtersIn * expansion;
    KerasTensor x = in;
    if (expansion != 1) {
      x = conv(x, filters, kernel, stride, name + "expand_conv");
      x = swish(bn(x, name + "expand_bn"), name + "expand_activation");
    }
    if (se) {
      x = squeezeExcite(x, filtersIn, filters, name);
    }
    // Without expansion the projection is the block's only (strided, full-size) convolution.
    x =
        conv(
            x,
            filtersOut,
            expansion != 1 ? 1 : kernel,
            expansion != 1 ? 1 : stride,
            name + "project_conv");
    x = bn(x, name + "project_bn");
    if (expansion == 1) {
      x = swish(x, name + "project_activation");
    }
    return residual(x, in, filtersIn, filtersOut, stride, drop, name);
  }
}
