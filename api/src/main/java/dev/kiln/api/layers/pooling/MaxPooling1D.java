package dev.kiln.api.layers.pooling;

import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * 1-D max pooling, as Keras's {@code MaxPooling1D}: the maximum of each window, over input {@code
 * (batch, steps, channels)} (channels-last, or channels second with {@code
 * data_format="channels_first"}).
 *
 * {@snippet :
 * MaxPooling1D pool = new MaxPooling1D(2).strides(1).padding("same");
 * }
 */
public class MaxPooling1D extends BasePooling<MaxPooling1D> {
  /** MaxPooling1D's declaration: its Keras class name (alias {@code MaxPool1D}) and arguments. */
  public static final KerasClass<MaxPooling1D> KERAS =
      declare("MaxPooling1D", MaxPooling1D.class, 1, MaxPooling1D::new).aliases("MaxPool1D");

  /** Pooling over windows of 2 on every axis, strides equal to the window. */
  public MaxPooling1D() {
    this(2);
  }

  /**
   * Pooling over windows of {@code poolSize} (one value for every axis, or one per axis).
   *
   * @throws dev.kiln.api.registry.ArgumentException if a size is not positive
   */
  public MaxPooling1D(int... poolSize) {
    super(1, poolSize);
  }

  @Override
  protected Value pool(Ops ops, Value x, int[] window, int[] strides, Padding padding) {
    return ops.maxPool(x, window, strides, padding);
  }

  /** A MaxPooling1D from its Keras config. */
  public static MaxPooling1D fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
