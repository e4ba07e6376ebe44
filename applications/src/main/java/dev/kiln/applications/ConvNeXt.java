package dev.kiln.applications;

import static dev.kiln.applications.Net.call;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.models.Sequential;

/**
 * ConvNeXt Tiny, Small, Base, Large and XLarge (Liu et al. 2022) as Keras's {@code
 * keras.applications.convnext} builds them: a 4x4 patchify stem and three downsampling blocks
 * (nested Sequential models {@code convnext_tiny_stem}, {@code convnext_tiny_downsampling_block_0},
 * ...), stages of blocks {@code convnext_tiny_stage_0_block_0_depthwise_conv} ... {@code
 * _layer_scale}, and a head of pooling, layer normalization and Dense. With {@code
 * includePreprocessing} (the default) the model normalizes its [0, 255] input itself ({@link
 * ImageNet.Mode#NONE}).
 */
public final class ConvNeXt extends ApplicationBuilder<ConvNeXt> {
  private static final String[] VARIANTS = {"tiny", "small", "base", "large", "xlarge"};
  private static final int[][] DEPTHS = {
    {3, 3, 9, 3}, {3, 3, 27, 3}, {3, 3, 27, 3}, {3, 3, 27, 3}, {3, 3, 27, 3}
  };
  private static final int[][] DIMS = {
    {96, 192, 384, 768},
    {96, 192, 384, 768},
    {128, 256, 512, 1024},
    {192, 384, 768, 1536},
    {256, 512, 1024, 2048}
  };
  private static final double LAYER_SCALE_INIT = 1e-6;

  private final int variant;
  private boolean includePreprocessing = true;

  ConvNeXt(int variant) {
    this.variant = variant;
  }

  /**
   * Whether the model normalizes its input with ImageNet's mean and variance itself (default true,
   * as Keras; the ImageNet weights expect it).
   */
  public ConvNeXt includePreprocessing(boolean includePreprocessing) {
    this.includePreprocessing = includePreprocessing;
    return this;
  }

  /** How inputs to this model are preprocessed. */
  public ImageNet.Mode preprocessing() {
    return includePreprocessing ? ImageNet.Mode.NONE : ImageNet.Mode.TORCH;
  }

  @Override
  String defaultName() {
    return "convnext_" + VARIANTS[variant];
  }

  @Override
  int defaultSize() {
    return 224;
  }

  @Override
  String kerasWeightsFile() {
    return defaultName() + (includeTop() ? "" : "_notop") + ".h5";
  }

  private static Layer layerNorm(String name) {
    return Net.layer("LayerNormalization", "epsilon", 1e-6, "name", name);
  }

  private static Layer conv(int filters, int kernel, String name) {
    return Net.layer(
        "Conv2D", "filters", filters, "kernel_size", kernel, "strides", kernel, "name", name);
  }

  @Override
  KerasTensor graph(KerasTensor input) {
    String model = defaultName();
    int[] dims = DIMS[variant];
    int[] depths = DEPTHS[variant];
    KerasTensor x = input;
    if (includePreprocessing && input.shape().dim(-1) == 3) {
      x =
          call(
              x,
              "Normalization",
              "mean",
              java.util.List.of(0.485 * 255, 0.456 * 255, 0.406 * 255),
              "variance",
              java.util.List.of(
                  Math.pow(0.229 * 255, 2), Math.pow(0.224 * 255, 2), Math.pow(0.225 * 255, 2)),
              "name",
              model + "_prestem_normalization");
    }
    for (int i = 0; i < 4; i++) {
      // Keras wraps the stem and each downsampling pair in a nested Sequential, which its weight
      // files store as one layer: the names must match for them to load.
      Sequential pair =
          i == 0
              ? new Sequential(
                  conv(dims[0], 4, model + "_stem_conv"), layerNorm(model + "_stem_layernorm"))
              : new Sequential(
                  layerNorm(model + "_downsampling_layernorm_" + (i - 1)),
                  conv(dims[i], 2, model + "_downsampling_conv_" + (i - 1)));
      pair.name(i == 0 ? model + "_stem" : model + "_downsampling_block_" + (i - 1));
      x = pair.apply(x);
      for (int j = 0; j < depths[i]; j++) {
        x = block(x, dims[i], model + "_stage_" + i + "_block_" + j);
      }
    }
    if (includeTop()) {
      x = call(x, "GlobalAveragePooling2D", "name", model + "_head_gap");
      x = call(x, "LayerNormalization", "epsilon", 1e-6, "name", model + "_head_layernorm");
      return call(
          x,
          "Dense",
          "units",
          classes(),
          "activation",
          classifierActivation(),
          "name",
          model + "_head_dense");
    }
    x = headlessPooling(x, null, null);
    return call(x, "LayerNormalization", "epsilon", 1e-6);
  }

  private static KerasTensor block(KerasTensor in, int dim, String name) {
    KerasTensor x =
        Net.conv2d(in, dim, 7, 1, "same", true, name + "_depthwise_conv", "groups", dim);
    x = call(x, "LayerNormalization", "epsilon", 1e-6, "name", name + "_layernorm");
    x = call(x, "Dense", "units", 4 * dim, "name", name + "_pointwise_conv_1");
    x = call(x, "Activation", "activation", "gelu", "name", name + "_gelu");
    x = call(x, "Dense", "units", dim, "name", name + "_pointwise_conv_2");
    x = Net.apply(new LayerScale(LAYER_SCALE_INIT, dim).name(name + "_layer_scale"), x);
    // Keras's default drop-path rate is 0, which it builds as an identity activation.
    x = call(x, "Activation", "activation", "linear", "name", name + "_identity");
    return Net.apply(Net.layer("Add"), in, x);
  }
}
