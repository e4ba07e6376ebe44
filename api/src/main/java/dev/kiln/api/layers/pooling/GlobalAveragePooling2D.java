package dev.kiln.api.layers.pooling;

import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * Global average pooling, as Keras's {@code GlobalAveragePooling2D}: the mean over every spatial
 * axis of {@code (batch, height, width, channels)}, giving {@code (batch, channels)} (see {@link
 * GlobalPooling} for {@code keepdims} and channels-first).
 *
 * {@snippet :
 * GlobalAveragePooling2D pool = new GlobalAveragePooling2D().keepdims(true);
 * }
 */
public class GlobalAveragePooling2D extends GlobalPooling<GlobalAveragePooling2D> {
  /**
   * GlobalAveragePooling2D's declaration: its Keras class name (alias {@code GlobalAvgPool2D}) and
   * arguments.
   */
  public static final KerasClass<GlobalAveragePooling2D> KERAS =
      declare("GlobalAveragePooling2D", GlobalAveragePooling2D.class, GlobalAveragePooling2D::new)
          .aliases("GlobalAvgPool2D");

  /** A global average pooling. */
  public GlobalAveragePooling2D() {
    super(2);
  }

  @Override
  protected Value reduce(Ops ops, Value x, int[] axes, boolean keepdims) {
    return ops.mean(x, keepdims, axes);
  }

  /** A GlobalAveragePooling2D from its Keras config. */
  public static GlobalAveragePooling2D fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
