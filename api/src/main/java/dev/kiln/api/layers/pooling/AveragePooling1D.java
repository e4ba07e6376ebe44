package dev.kiln.api.layers.pooling;

import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * 1-D average pooling, as Keras's {@code AveragePooling1D}: the mean of each window (with same
 * padding, of the positions inside the input only, as Keras), over input {@code (batch, steps,
 * channels)} (channels-last, or channels second with {@code data_format="channels_first"}).
 *
 * {@snippet :
 * AveragePooling1D pool = new AveragePooling1D(2).strides(1).padding("same");
 * }
 */
public class AveragePooling1D extends BasePooling<AveragePooling1D> {
  /**
   * AveragePooling1D's declaration: its Keras class name (alias {@code AvgPool1D}) and arguments.
   */
  public static final KerasClass<AveragePooling1D> KERAS =
      declare("AveragePooling1D", AveragePooling1D.class, 1, AveragePooling1D::new)
          .aliases("AvgPool1D");

  /** Pooling over windows of 2 on every axis, strides equal to the window. */
  public AveragePooling1D() {
    this(2);
  }

  /**
   * Pooling over windows of {@code poolSize} (one value for every axis, or one per axis).
   *
   * @throws dev.kiln.api.registry.ArgumentException if a size is not positive
   */
  public AveragePooling1D(int... poolSize) {
    super(1, poolSize);
  }

  @Override
  protected Value pool(Ops ops, Value x, int[] window, int[] strides, Padding padding) {
    return ops.avgPool(x, window, strides, padding);
  }

  /** A AveragePooling1D from its Keras config. */
  public static AveragePooling1D fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
