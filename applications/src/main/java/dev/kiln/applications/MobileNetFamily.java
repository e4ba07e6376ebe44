package dev.kiln.applications;

import java.util.Arrays;

/**
 * What MobileNet and MobileNetV2 share: Keras publishes their ImageNet weights for several square
 * input sizes, names the model and the file after the input's height, and takes 224 when the height
 * is unknown.
 *
 * @param <B> the family's builder
 */
abstract class MobileNetFamily<B extends MobileNetFamily<B>> extends ApplicationBuilder<B> {
  MobileNetFamily() {}

  @Override
  int defaultSize() {
    return 224;
  }

  @Override
  int[] resolvedInputShape() {
    int[] s = super.resolvedInputShape();
    if ("imagenet".equals(weights()) && s[0] < 0) {
      return new int[] {224, 224, s[2]};
    }
    return s;
  }

  /** The input's height, or 224 when it is unknown. */
  int rows() {
    int r = resolvedInputShape()[0];
    return r > 0 ? r : 224;
  }

  /** Refuses ImageNet weights for an input height Keras publishes none for, as Keras does. */
  void checkImagenetRows(int... sizes) {
    int rows = rows();
    if (Arrays.stream(sizes).noneMatch(s -> s == rows)) {
      throw new IllegalArgumentException(
          "If imagenet weights are being loaded, the input size must be one of "
              + Arrays.toString(sizes)
              + ". Received: "
              + rows);
    }
  }
}
