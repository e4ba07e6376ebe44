package dev.kiln.applications;

import static dev.kiln.applications.Net.call;

import dev.kiln.api.KerasTensor;
import java.util.List;

/**
 * What InceptionV3 and InceptionResNetV2 share in Keras's builds: the convolution, batch
 * normalization (without scale) and relu of their {@code conv2d_bn}, and the stem both start with.
 */
final class Inception {
  private Inception() {}

  /** Convolution without bias, batch normalization without scale, relu; all unnamed. */
  static KerasTensor convBn(
      KerasTensor x, int filters, int rows, int cols, int stride, String padding) {
    return convBn(x, filters, rows, cols, stride, padding, true, false, null);
  }

  /**
   * Convolution, then (without bias) BN without scale, then (with {@code activation}) relu; named
   * {@code name}, {@code name_bn}, {@code name_ac} when a name is given, else automatically.
   */
  static KerasTensor convBn(
      KerasTensor x,
      int filters,
      int rows,
      int cols,
      int stride,
      String padding,
      boolean activation,
      boolean useBias,
      String name) {
    x = Net.conv2d(x, filters, List.of(rows, cols), stride, padding, useBias, name);
    if (!useBias) {
      x =
          call(
              x,
              "BatchNormalization",
              "axis",
              3,
              "scale",
              false,
              "name",
              name == null ? null : name + "_bn");
    }
    if (activation) {
      x = call(x, "Activation", "activation", "relu", "name", name == null ? null : name + "_ac");
    }
    return x;
  }

  /** A 3x3 max pooling of stride 2 without padding. */
  static KerasTensor maxPool(KerasTensor x) {
    return call(x, "MaxPooling2D", "pool_size", 3, "strides", 2, "padding", "valid");
  }

  /** The inputs concatenated on the channel axis by a layer named {@code name}. */
  static KerasTensor concat(String name, KerasTensor... xs) {
    return Net.apply(Net.layer("Concatenate", "axis", 3, "name", name), xs);
  }

  /** The stem: 299x299x3 to 35x35x192 through five convolutions and two poolings. */
  static KerasTensor stem(KerasTensor input) {
    KerasTensor x = convBn(input, 32, 3, 3, 2, "valid");
    x = convBn(x, 32, 3, 3, 1, "valid");
    x = convBn(x, 64, 3, 3, 1, "same");
    x = maxPool(x);
    x = convBn(x, 80, 1, 1, 1, "valid");
    x = convBn(x, 192, 3, 3, 1, "valid");
    return maxPool(x);
  }
}
