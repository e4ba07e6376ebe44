package dev.kiln.api.layers.pooling;

import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * Global average pooling, as Keras's {@code GlobalAveragePooling3D}: the mean over every spatial
 * axis of {@code (batch, depth, height, width, channels)}, giving {@code (batch, channels)} (see
 * {@link GlobalPooling} for {@code keepdims} and channels-first).
 *
 * {@snippet :
 * GlobalAveragePooling3D pool = new GlobalAveragePooling3D().keepdims(true);
 * }
 */
public class GlobalAveragePooling3D extends GlobalPooling<GlobalAveragePooling3D> {
  /**
   * GlobalAveragePooling3D's declaration: its Keras class name (alias {@code GlobalAvgPool3D}) and
   * arguments.
   */
  public static final KerasClass<GlobalAveragePooling3D> KERAS =
      declare("GlobalAveragePooling3D", GlobalAveragePooling3D.class, GlobalAveragePooling3D::new)
          .aliases("GlobalAvgPool3D");

  /** A global average pooling. */
  public GlobalAveragePooling3D() {
    super(3);
  }

  @Override
  protected Value reduce(Ops ops, Value x, int[] axes, boolean keepdims) {
    return ops.mean(x, keepdims, axes);
  }

  /** A GlobalAveragePooling3D from its Keras config. */
  public static GlobalAveragePooling3D fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
