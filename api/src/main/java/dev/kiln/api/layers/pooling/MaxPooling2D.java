package dev.kiln.api.layers.pooling;

import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * 2-D max pooling, as Keras's {@code MaxPooling2D}: the maximum of each window, over input {@code
 * (batch, height, width, channels)} (channels-last, or channels second with {@code
 * data_format="channels_first"}).
 *
 * {@snippet :
 * MaxPooling2D pool = new MaxPooling2D(2).strides(1).padding("same");
 * }
 */
public class MaxPooling2D extends BasePooling<MaxPooling2D> {
  /** MaxPooling2D's declaration: its Keras class name (alias {@code MaxPool2D}) and arguments. */
  public static final KerasClass<MaxPooling2D> KERAS =
      declare("MaxPooling2D", MaxPooling2D.class, 2, MaxPooling2D::new).aliases("MaxPool2D");

  /** Pooling over windows of 2 on every axis, strides equal to the window. */
  public MaxPooling2D() {
    this(2);
  }

  /**
   * Pooling over windows of {@code poolSize} (one value for every axis, or one per axis).
   *
   * @throws dev.kiln.api.registry.ArgumentException if a size is not positive
   */
  public MaxPooling2D(int... poolSize) {
    super(2, poolSize);
  }

  @Override
  protected Value pool(Ops ops, Value x, int[] window, int[] strides, Padding padding) {
    return ops.maxPool(x, window, strides, padding);
  }

  /** A MaxPooling2D from its Keras config. */
  public static MaxPooling2D fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
