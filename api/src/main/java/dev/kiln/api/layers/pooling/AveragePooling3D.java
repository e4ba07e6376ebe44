package dev.kiln.api.layers.pooling;

import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * 3-D average pooling, as Keras's {@code AveragePooling3D}: the mean of each window (with same
 * padding, of the positions inside the input only, as Keras), over input {@code (batch, depth,
 * height, width, channels)} (channels-last, or channels second with {@code
 * data_format="channels_first"}).
 *
 * {@snippet :
 * AveragePooling3D pool = new AveragePooling3D(2).strides(1).padding("same");
 * }
 */
public class AveragePooling3D extends BasePooling<AveragePooling3D> {
  /**
   * AveragePooling3D's declaration: its Keras class name (alias {@code AvgPool3D}) and arguments.
   */
  public static final KerasClass<AveragePooling3D> KERAS =
      declare("AveragePooling3D", AveragePooling3D.class, 3, AveragePooling3D::new)
          .aliases("AvgPool3D");

  /** Pooling over windows of 2 on every axis, strides equal to the window. */
  public AveragePooling3D() {
    this(2);
  }

  /**
   * Pooling over windows of {@code poolSize} (one value for every axis, or one per axis).
   *
   * @throws dev.kiln.api.registry.ArgumentException if a size is not positive
   */
  public AveragePooling3D(int... poolSize) {
    super(3, poolSize);
  }

  @Override
  protected Value pool(Ops ops, Value x, int[] window, int[] strides, Padding padding) {
    return ops.avgPool(x, window, strides, padding);
  }

  /** A AveragePooling3D from its Keras config. */
  public static AveragePooling3D fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
