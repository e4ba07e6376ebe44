package dev.kiln.api.layers.pooling;

import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * 3-D max pooling, as Keras's {@code MaxPooling3D}: the maximum of each window, over input {@code
 * (batch, depth, height, width, channels)} (channels-last, or channels second with {@code
 * data_format="channels_first"}).
 *
 * {@snippet :
 * MaxPooling3D pool = new MaxPooling3D(2).strides(1).padding("same");
 * }
 */
public class MaxPooling3D extends BasePooling<MaxPooling3D> {
  /** MaxPooling3D's declaration: its Keras class name (alias {@code MaxPool3D}) and arguments. */
  public static final KerasClass<MaxPooling3D> KERAS =
      declare("MaxPooling3D", MaxPooling3D.class, 3, MaxPooling3D::new).aliases("MaxPool3D");

  /** Pooling over windows of 2 on every axis, strides equal to the window. */
  public MaxPooling3D() {
    this(2);
  }

  /**
   * Pooling over windows of {@code poolSize} (one value for every axis, or one per axis).
   *
   * @throws dev.kiln.api.registry.ArgumentException if a size is not positive
   */
  public MaxPooling3D(int... poolSize) {
    super(3, poolSize);
  }

  @Override
  protected Value pool(Ops ops, Value x, int[] window, int[] strides, Padding padding) {
    return ops.maxPool(x, window, strides, padding);
  }

  /** A MaxPooling3D from its Keras config. */
  public static MaxPooling3D fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
