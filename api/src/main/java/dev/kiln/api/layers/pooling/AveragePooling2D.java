package dev.kiln.api.layers.pooling;

import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * 2-D average pooling, as Keras's {@code AveragePooling2D}: the mean of each window (with same
 * padding, of the positions inside the input only, as Keras), over input {@code (batch, height,
 * width, channels)} (channels-last, or channels second with {@code data_format="channels_first"}).
 *
 * {@snippet :
 * AveragePooling2D pool = new AveragePooling2D(2).strides(1).padding("same");
 * }
 */
public class AveragePooling2D extends BasePooling<AveragePooling2D> {
  /**
   * AveragePooling2D's declaration: its Keras class name (alias {@code AvgPool2D}) and arguments.
   */
  public static final KerasClass<AveragePooling2D> KERAS =
      declare("AveragePooling2D", AveragePooling2D.class, 2, AveragePooling2D::new)
          .aliases("AvgPool2D");

  /** Pooling over windows of 2 on every axis, strides equal to the window. */
  public AveragePooling2D() {
    this(2);
  }

  /**
   * Pooling over windows of {@code poolSize} (one value for every axis, or one per axis).
   *
   * @throws dev.kiln.api.registry.ArgumentException if a size is not positive
   */
  public AveragePooling2D(int... poolSize) {
    super(2, poolSize);
  }

  @Override
  protected Value pool(Ops ops, Value x, int[] window, int[] strides, Padding padding) {
    return ops.avgPool(x, window, strides, padding);
  }

  /** A AveragePooling2D from its Keras config. */
  public static AveragePooling2D fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
