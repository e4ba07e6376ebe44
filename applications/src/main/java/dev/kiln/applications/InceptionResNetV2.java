package dev.kiln.applications;

import static dev.kiln.applications.Net.call;

import dev.kiln.api.KerasTensor;

/**
 * InceptionResNetV2 (Szegedy et al. 2016) as Keras's {@code keras.applications.inception_resnet_v2}
 * builds it: a stem, {@code mixed_5b}, ten {@code block35_*}, {@code mixed_6a}, twenty {@code
 * block17_*}, {@code mixed_7a}, ten {@code block8_*} (the last without activation) and {@code
 * conv_7b}; each residual block adds its branch scaled by 0.17, 0.1 or 0.2. Default input 299x299,
 * smallest 75x75. Inputs are preprocessed with {@link ImageNet.Mode#TF}.
 */
public final class InceptionResNetV2 extends ApplicationBuilder<InceptionResNetV2> {
  InceptionResNetV2() {}

  /** How inputs to this model are preprocessed. */
  public ImageNet.Mode preprocessing() {
    return ImageNet.Mode.TF;
  }

  @Override
  String defaultName() {
    return "inception_resnet_v2";
  }

  @Override
  int defaultSize() {
    return 299;
  }

  @Override
  int minSize() {
    return 75;
  }

  @Override
  String kerasWeightsFile() {
    return "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels"
        + (includeTop() ? "" : "_notop")
        + ".h5";
  }

  private static KerasTensor cb(KerasTensor x, int filters, int kernel) {
    return Inception.convBn(x, filters, kernel, kernel, 1, "same");
  }

  private static KerasTensor cb(KerasTensor x, int filters, int rows, int cols) {
    return Inception.convBn(x, filters, rows, cols, 1, "same");
  }

  private static KerasTensor cbValid(KerasTensor x, int filters, int kernel, int stride) {
    return Inception.convBn(x, filters, kernel, kernel, stride, "valid");
  }

  private static KerasTensor residualBlock(
      KerasTensor x, double scale, String type, int index, boolean activation) {
    KerasTensor[] branches;
    switch (type) {
      case "block35" ->
          branches =
              new KerasTensor[] {
                cb(x, 32, 1), cb(cb(x, 32, 1), 32, 3), cb(cb(cb(x, 32, 1), 48, 3), 64, 3)
              };
      case "block17" ->
          branches = new KerasTensor[] {cb(x, 192, 1), cb(cb(cb(x, 128, 1), 160, 1, 7), 192, 7, 1)};
      default ->
          branches = new KerasTensor[] {cb(x, 192, 1), cb(cb(cb(x, 192, 1), 224, 1, 3), 256, 3, 1)};
    }
    String name = type + "_" + index;
    KerasTensor mixed = Inception.concat(name + "_mixed", branches);
    KerasTensor up =
        Inception.convBn(mixed, x.shape().dim(-1), 1, 1, 1, "same", false, true, name + "_conv");
    x = Net.apply(new CustomScaleLayer(scale), x, up);
    if (activation) {
      x = call(x, "Activation", "activation", "relu", "name", name + "_ac");
    }
    return x;
  }

  @Override
  KerasTensor graph(KerasTensor input) {
    KerasTensor x = Inception.stem(input);

    KerasTensor b0 = cb(x, 96, 1);
    KerasTensor b1 = cb(cb(x, 48, 1), 64, 5);
    KerasTensor b2 = cb(cb(cb(x, 64, 1), 96, 3), 96, 3);
    KerasTensor bp =
        cb(call(x, "AveragePooling2D", "pool_size", 3, "strides", 1, "padding", "same"), 64, 1);
    x = Inception.concat("mixed_5b", b0, b1, b2, bp);
    for (int i = 1; i <= 10; i++) {
      x = residualBlock(x, 0.17, "block35", i, true);
    }

    b0 = cbValid(x, 384, 3, 2);
    b1 = cbValid(cb(cb(x, 256, 1), 256, 3), 384, 3, 2);
    x = Inception.concat("mixed_6a", b0, b1, Inception.maxPool(x));
    for (int i = 1; i <= 20; i++) {
      x = residualBlock(x, 0.1, "block17", i, true);
    }

    b0 = cbValid(cb(x, 256, 1), 384, 3, 2);
    b1 = cbValid(cb(x, 256, 1), 288, 3, 2);
    b2 = cbValid(cb(cb(x, 256, 1), 288, 3), 320, 3, 2);
    x = Inception.concat("mixed_7a", b0, b1, b2, Inception.maxPool(x));
    for (int i = 1; i < 10; i++) {
      x = residualBlock(x, 0.2, "block8", i, true);
    }
    x = residualBlock(x, 1.0, "block8", 10, false);

    x = Inception.convBn(x, 1536, 1, 1, 1, "same", true, false, "conv_7b");
    if (includeTop()) {
      x = call(x, "GlobalAveragePooling2D", "name", "avg_pool");
      return classifier(x);
    }
    return headlessPooling(x, null, null);
  }
}
