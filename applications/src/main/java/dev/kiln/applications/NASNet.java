package dev.kiln.applications;

import static dev.kiln.applications.Net.call;

import dev.kiln.api.KerasTensor;
import java.util.List;

/**
 * NASNet-A (Zoph et al. 2018) as Keras's {@code keras.applications.nasnet} builds it: a strided
 * stem ({@code stem_conv1}, {@code stem_bn1}), two stem reduction cells, then three stacks of
 * {@code numBlocks} normal cells ({@code normal_conv_1_0}, {@code separable_conv_1_normal_left1_0},
 * ...) separated by reduction cells ({@code reduction_conv_1_reduce_4}, ...). Each cell reads the
 * two previous cells' outputs; a previous output of another spatial size or width is first adjusted
 * ({@code adjust_conv_1_0}, {@code adjust_conv_projection_1}, ...). NASNetMobile is NASNet-A (4 @
 * 1056) at 224x224, NASNetLarge NASNet-A (6 @ 4032) at 331x331. Inputs are preprocessed with {@link
 * ImageNet.Mode#TF}.
 *
 * <p>The input's height and width must be known: the cells decide from the spatial sizes whether a
 * previous output needs a strided adjustment. Without an input shape the model takes the default
 * size, with or without the top (Keras's NASNetMobile does the same; its NASNetLarge only for
 * ImageNet weights, building a different graph otherwise).
 */
public final class NASNet extends ApplicationBuilder<NASNet> {
  private static final double BN_MOMENTUM = 0.9997;
  private static final double BN_EPSILON = 1e-3;

  private final boolean large;
  private int penultimateFilters;
  private int numBlocks;
  private int stemBlockFilters;
  private boolean skipReduction;
  private int filterMultiplier = 2;

  NASNet(boolean large) {
    this.large = large;
    penultimateFilters = large ? 4032 : 1056;
    numBlocks = large ? 6 : 4;
    stemBlockFilters = large ? 96 : 32;
    skipReduction = large;
  }

  /**
   * The filters of the last stack's cells, 24 times its cells' filters (1056 for NASNetMobile, 4032
   * for NASNetLarge); a multiple of {@code 24 * filterMultiplier^2}.
   */
  public NASNet penultimateFilters(int penultimateFilters) {
    this.penultimateFilters = penultimateFilters;
    return this;
  }

  /** The normal cells in each of the three stacks (4 for NASNetMobile, 6 for NASNetLarge). */
  public NASNet numBlocks(int numBlocks) {
    this.numBlocks = numBlocks;
    return this;
  }

  /** The stem convolution's filters (32 for NASNetMobile, 96 for NASNetLarge). */
  public NASNet stemBlockFilters(int stemBlockFilters) {
    this.stemBlockFilters = stemBlockFilters;
    return this;
  }

  /**
   * Whether the first cell after a reduction cell reads the cell before the reduction (true, as
   * NASNetLarge) or the reduction's input (false, as NASNetMobile) as its previous output.
   */
  public NASNet skipReduction(boolean skipReduction) {
    this.skipReduction = skipReduction;
    return this;
  }

  /** The factor by which each stack widens the cells (default 2). */
  public NASNet filterMultiplier(int filterMultiplier) {
    this.filterMultiplier = filterMultiplier;
    return this;
  }

  /** How inputs to this model are preprocessed. */
  public ImageNet.Mode preprocessing() {
    return ImageNet.Mode.TF;
  }

  @Override
  String defaultName() {
    return "NASNet";
  }

  @Override
  int defaultSize() {
    return large ? 331 : 224;
  }

  @Override
  boolean defaultSizeWithoutTop() {
    return true;
  }

  private boolean kerasConfiguration() {
    return penultimateFilters == (large ? 4032 : 1056)
        && numBlocks == (large ? 6 : 4)
        && stemBlockFilters == (large ? 96 : 32)
        && skipReduction == large
        && filterMultiplier == 2;
  }

  @Override
  String kerasWeightsFile() {
    if (!kerasConfiguration()) {
      return null;
    }
    return "nasnet_" + (large ? "large" : "mobile") + (includeTop() ? "" : "_no_top") + ".h5";
  }

  @Override
  void checkArgs() {
    if (filterMultiplier < 1) {
      throw new IllegalArgumentException(
          "filterMultiplier must be at least 1. Received: filterMultiplier=" + filterMultiplier);
    }
    if (numBlocks < 1 || stemBlockFilters < 1) {
      throw new IllegalArgumentException(
          "numBlocks and stemBlockFilters must be at least 1. Received: numBlocks="
              + numBlocks
              + ", stemBlockFilters="
              + stemBlockFilters);
    }
    int unit = 24 * filterMultiplier * filterMultiplier;
    if (penultimateFilters < unit || penultimateFilters % unit != 0) {
      throw new IllegalArgumentException(
          "For NASNet-A models, penultimateFilters must be a multiple of 24 * filterMultiplier^2 = "
              + unit
              + ". Received: penultimateFilters="
              + penultimateFilters);
    }
    int[] shape = resolvedInputShape();
    if (shape.length == 3 && (shape[0] < 0 || shape[1] < 0)) {
      throw new IllegalArgumentException(
          "NASNet needs a static input height and width: its cells compare spatial sizes to"
              + " decide where to adjust. Received: inputShape="
              + java.util.Arrays.toString(shape));
    }
  }

  private static KerasTensor bn(KerasTensor x, String name) {
    return call(
        x,
        "BatchNormalization",
        "axis",
        -1,
        "momentum",
        BN_MOMENTUM,
        "epsilon",
        BN_EPSILON,
        "name",
        name);
  }

  private static KerasTensor relu(KerasTensor x, String name) {
    return call(x, "Activation", "activation", "relu", "name", name);
  }

  /** A 1x1 convolution without bias, as every NASNet projection. */
  private static KerasTensor conv1x1(KerasTensor x, int filters, String name) {
    return Net.conv2d(x, filters, 1, 1, "same", false, name, "kernel_initializer", "he_normal");
  }

  private static KerasTensor pool(
      String className, KerasTensor x, int size, int stride, String padding, String name) {
    return call(
        x, className, "pool_size", size, "strides", stride, "padding", padding, "name", name);
  }

  private static KerasTensor add(KerasTensor a, KerasTensor b, String name) {
    return Net.apply(Net.layer("Add", "name", name), a, b);
  }

  /** Two relu, separable convolution, batch normalization stacks; the first may be strided. */
  private static KerasTensor separable(
      KerasTensor in, int filters, int kernel, int stride, String id) {
    KerasTensor x = relu(in, null);
    String padding = "same";
    if (stride == 2) {
      x = Net.correctPad(x, kernel, "separable_conv_1_pad_" + id);
      padding = "valid";
    }
    x = sepConv(x, filters, kernel, stride, padding, "separable_conv_1_" + id);
    x = bn(x, "separable_conv_1_bn_" + id);
    x = relu(x, null);
    x = sepConv(x, filters, kernel, 1, "same", "separable_conv_2_" + id);
    return bn(x, "separable_conv_2_bn_" + id);
  }

  private static KerasTensor sepConv(
      KerasTensor x, int filters, int kernel, int stride, String padding, String name) {
    return call(
        x,
        "SeparableConv2D",
        "filters",
        filters,
        "kernel_size",
        kernel,
        "strides",
        stride,
        "padding",
        padding,
        "use_bias",
        false,
        "name",
        name);
  }

  /**
   * Fits the previous output {@code p} to the current input {@code ip}: a factorized strided
   * reduction where their spatial sizes differ, a 1x1 projection where only the widths differ.
   */
  private static KerasTensor adjust(KerasTensor p, KerasTensor ip, int filters, String id) {
    if (p == null) {
      return ip;
    }
    if (p.shape().dim(-2) != ip.shape().dim(-2)) {
      p = relu(p, "adjust_relu_1_" + id);
      KerasTensor p1 = pool("AveragePooling2D", p, 1, 2, "valid", "adjust_avg_pool_1_" + id);
      p1 = conv1x1(p1, filters / 2, "adjust_conv_1_" + id);
      // The second path samples the pixels the first one skips: shifted by one, then strided.
      KerasTensor p2 = Net.pad(p, 0, 1, 0, 1, null);
      p2 = call(p2, "Cropping2D", "cropping", List.of(List.of(1, 0), List.of(1, 0)));
      p2 = pool("AveragePooling2D", p2, 1, 2, "valid", "adjust_avg_pool_2_" + id);
      p2 = conv1x1(p2, filters / 2, "adjust_conv_2_" + id);
      KerasTensor cat = Net.apply(Net.layer("Concatenate", "axis", -1), p1, p2);
      return bn(cat, "adjust_bn_" + id);
    }
    if (p.shape().dim(-1) != filters) {
      p = relu(p, null);
      p = conv1x1(p, filters, "adjust_conv_projection_" + id);
      return bn(p, "adjust_bn_" + id);
    }
    return p;
  }

  /** The input of a cell after a relu, 1x1 convolution and batch normalization. */
  private static KerasTensor squeeze(KerasTensor ip, int filters, String kind, String id) {
    KerasTensor h = relu(ip, null);
    h = conv1x1(h, filters, kind + "_conv_1_" + id);
    return bn(h, kind + "_bn_1_" + id);
  }

  /** A normal cell; returns its output (its input becomes the next cell's previous output). */
  private static KerasTensor normalCell(KerasTensor ip, KerasTensor p, int filters, String id) {
    p = adjust(p, ip, filters, id);
    KerasTensor h = squeeze(ip, filters, "normal", id);
    KerasTensor x1 =
        add(
            separable(h, filters, 5, 1, "normal_left1_" + id),
            separable(p, filters, 3, 1, "normal_right1_" + id),
            "normal_add_1_" + id);
    KerasTensor x2 =
        add(
            separable(p, filters, 5, 1, "normal_left2_" + id),
            separable(p, filters, 3, 1, "normal_right2_" + id),
            "normal_add_2_" + id);
    KerasTensor x3 =
        add(
            pool("AveragePooling2D", h, 3, 1, "same", "normal_left3_" + id),
            p,
            "normal_add_3_" + id);
    KerasTensor x4 =
        add(
            pool("AveragePooling2D", p, 3, 1, "same", "normal_left4_" + id),
            pool("AveragePooling2D", p, 3, 1, "same", "normal_right4_" + id),
            "normal_add_4_" + id);
    KerasTensor x5 =
        add(separable(h, filters, 3, 1, "normal_left5_" + id), h, "normal_add_5_" + id);
    return Net.apply(
        Net.layer("Concatenate", "axis", -1, "name", "normal_concat_" + id), p, x1, x2, x3, x4, x5);
  }

  /** A reduction cell, halving the spatial size. */
  private static KerasTensor reductionCell(KerasTensor ip, KerasTensor p, int filters, String id) {
    p = adjust(p, ip, filters, id);
    KerasTensor h = squeeze(ip, filters, "reduction", id);
    KerasTensor h3 = Net.correctPad(h, 3, "reduction_pad_1_" + id);
    KerasTensor x1 =
        add(
            separable(h, filters, 5, 2, "reduction_left1_" + id),
            separable(p, filters, 7, 2, "reduction_right1_" + id),
            "reduction_add_1_" + id);
    KerasTensor x2 =
        add(
            pool("MaxPooling2D", h3, 3, 2, "valid", "reduction_left2_" + id),
            separable(p, filters, 7, 2, "reduction_right2_" + id),
            "reduction_add_2_" + id);
    // Keras names this add and the fifth branch's without the underscore before the number.
    KerasTensor x3 =
        add(
            pool("AveragePooling2D", h3, 3, 2, "valid", "reduction_left3_" + id),
            separable(p, filters, 5, 2, "reduction_right3_" + id),
            "reduction_add3_" + id);
    KerasTensor x4 =
        add(x2, pool("AveragePooling2D", x1, 3, 1, "same", "reduction_left4_" + id), null);
    KerasTensor x5 =
        add(
            separable(x1, filters, 3, 1, "reduction_left4_" + id),
            pool("MaxPooling2D", h3, 3, 2, "valid", "reduction_right5_" + id),
            "reduction_add4_" + id);
    return Net.apply(
        Net.layer("Concatenate", "axis", -1, "name", "reduction_concat_" + id), x2, x3, x4, x5);
  }

  @Override
  KerasTensor graph(KerasTensor input) {
    int filters = penultimateFilters / 24;
    int m = filterMultiplier;
    KerasTensor x =
        Net.conv2d(
            input,
            stemBlockFilters,
            3,
            2,
            "valid",
            false,
            "stem_conv1",
            "kernel_initializer",
            "he_normal");
    x = bn(x, "stem_bn1");

    // Each cell returns its output; its input is the next cell's previous output p.
    KerasTensor p = null;
    KerasTensor ip = x;
    x = reductionCell(ip, p, filters / (m * m), "stem_1");
    p = ip;
    ip = x;
    x = reductionCell(ip, p, filters / m, "stem_2");
    p = ip;
    int width = filters;
    for (int stack = 0; stack < 3; stack++) {
      if (stack > 0) {
        // The reduction between stacks; skipReduction keeps the previous p across it.
        ip = x;
        x = reductionCell(ip, p, width, "reduce_" + (stack * numBlocks));
        if (!skipReduction) {
          p = ip;
        }
      }
      for (int i = 0; i < numBlocks; i++) {
        ip = x;
        // Keras numbers the cells on from the reduction cell between stacks: 0.., N+1.., 2N+1..
        int id = stack * numBlocks + (stack > 0 ? 1 : 0) + i;
        x = normalCell(ip, p, width, String.valueOf(id));
        p = ip;
      }
      width *= m;
    }
    x = relu(x, null);
    if (includeTop()) {
      x = call(x, "GlobalAveragePooling2D");
      return classifier(x);
    }
    return headlessPooling(x, null, null);
  }
}
