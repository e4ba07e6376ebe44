package dev.kiln.applications;

import static dev.kiln.applications.Net.call;

import dev.kiln.api.KerasTensor;

/**
 * InceptionV3 (Szegedy et al. 2015) as Keras's {@code keras.applications.inception_v3} builds it: a
 * stem of unnamed convolution-BN-ReLU units (BN without scale), then the inception blocks, whose
 * concatenations Keras names {@code mixed0} ... {@code mixed10} (and {@code mixed9_0}, {@code
 * mixed9_1} inside the last two). Default input 299x299, smallest 75x75. Inputs are preprocessed
 * with {@link ImageNet.Mode#TF}.
 */
public final class InceptionV3 extends ApplicationBuilder<InceptionV3> {
  InceptionV3() {}

  /** How inputs to this model are preprocessed. */
  public ImageNet.Mode preprocessing() {
    return ImageNet.Mode.TF;
  }

  @Override
  String defaultName() {
    return "inception_v3";
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
    return "inception_v3_weights_tf_dim_ordering_tf_kernels"
        + (includeTop() ? "" : "_notop")
        + ".h5";
  }

  private static KerasTensor convBn(
      KerasTensor x, int filters, int rows, int cols, int stride, String padding) {
    return Inception.convBn(x, filters, rows, cols, stride, padding);
  }

  private static KerasTensor convBn(KerasTensor x, int filters, int rows, int cols) {
    return convBn(x, filters, rows, cols, 1, "same");
  }

  private static KerasTensor avgPool(KerasTensor x) {
    return call(x, "AveragePooling2D", "pool_size", 3, "strides", 1, "padding", "same");
  }

  @Override
  KerasTensor graph(KerasTensor input) {
    KerasTensor x = Inception.stem(input);

    int[] poolFilters = {32, 64, 64};
    for (int i = 0; i < 3; i++) {
      KerasTensor b1 = convBn(x, 64, 1, 1);
      KerasTensor b5 = convBn(convBn(x, 48, 1, 1), 64, 5, 5);
      KerasTensor b3 = convBn(convBn(convBn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3);
      KerasTensor bp = convBn(avgPool(x), poolFilters[i], 1, 1);
      x = Inception.concat("mixed" + i, b1, b5, b3, bp);
    }

    KerasTensor b3 = convBn(x, 384, 3, 3, 2, "valid");
    KerasTensor b3d = convBn(convBn(convBn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3, 2, "valid");
    x = Inception.concat("mixed3", b3, b3d, Inception.maxPool(x));

    int[] widths = {128, 160, 160, 192};
    for (int i = 0; i < 4; i++) {
      int c = widths[i];
      KerasTensor b1 = convBn(x, 192, 1, 1);
      KerasTensor b7 = convBn(convBn(convBn(x, c, 1, 1), c, 1, 7), 192, 7, 1);
      KerasTensor b7d = convBn(x, c, 1, 1);
      b7d = convBn(convBn(convBn(convBn(b7d, c, 7, 1), c, 1, 7), c, 7, 1), 192, 1, 7);
      KerasTensor bp = convBn(avgPool(x), 192, 1, 1);
      x = Inception.concat("mixed" + (4 + i), b1, b7, b7d, bp);
    }

    KerasTensor b33 = convBn(convBn(x, 192, 1, 1), 320, 3, 3, 2, "valid");
    KerasTensor b773 = convBn(convBn(convBn(x, 192, 1, 1), 192, 1, 7), 192, 7, 1);
    b773 = convBn(b773, 192, 3, 3, 2, "valid");
    x = Inception.concat("mixed8", b33, b773, Inception.maxPool(x));

    for (int i = 0; i < 2; i++) {
      KerasTensor b1 = convBn(x, 320, 1, 1);
      KerasTensor b3a = convBn(x, 384, 1, 1);
      KerasTensor b3s =
          Inception.concat("mixed9_" + i, convBn(b3a, 384, 1, 3), convBn(b3a, 384, 3, 1));
      KerasTensor bd = convBn(convBn(x, 448, 1, 1), 384, 3, 3);
      KerasTensor bds = Inception.concat(null, convBn(bd, 384, 1, 3), convBn(bd, 384, 3, 1));
      KerasTensor bp = convBn(avgPool(x), 192, 1, 1);
      x = Inception.concat("mixed" + (9 + i), b1, b3s, bds, bp);
    }
    if (includeTop()) {
      x = call(x, "GlobalAveragePooling2D", "name", "avg_pool");
      return classifier(x);
    }
    return headlessPooling(x, null, null);
  }
}
