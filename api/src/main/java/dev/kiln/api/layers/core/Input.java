package dev.kiln.api.layers.core;

import dev.kiln.api.KerasTensor;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;

/**
 * Creates the symbolic inputs of Functional models, as Keras's {@code keras.Input}.
 *
 * {@snippet :
 * KerasTensor image = Input.of(28, 28, 1);            // (None, 28, 28, 1) float32
 * KerasTensor tokens = Input.of(DType.INT32, 100);     // (None, 100) int32
 * }
 */
public final class Input {
  private Input() {}

  /** A float32 input of this shape per sample (the batch axis is added, unknown). */
  public static KerasTensor of(int... shape) {
    return of(DType.FLOAT32, shape);
  }

  /** An input of this dtype and shape per sample. */
  public static KerasTensor of(DType dtype, int... shape) {
    return named(null, dtype, shape);
  }

  /** A named input ({@code name} may be null for {@code input_layer}, {@code input_layer_1}...). */
  public static KerasTensor named(String name, DType dtype, int... shape) {
    int[] b = new int[shape.length + 1];
    b[0] = Shape.UNKNOWN;
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] <= 0 && shape[i] != Shape.UNKNOWN) {
        throw new IllegalArgumentException(
            "Input sizes must be positive or -1 (unknown). Received: shape="
                + Shape.of(shape.clone()));
      }
      b[i + 1] = shape[i];
    }
    return new InputLayer(Shape.of(b), dtype, name).output();
  }
}
