package dev.kiln.api.layers.pooling;

import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * Global max pooling, as Keras's {@code GlobalMaxPooling3D}: the maximum over every spatial axis of
 * {@code (batch, depth, height, width, channels)}, giving {@code (batch, channels)} (see {@link
 * GlobalPooling} for {@code keepdims} and channels-first).
 *
 * {@snippet :
 * GlobalMaxPooling3D pool = new GlobalMaxPooling3D().keepdims(true);
 * }
 */
public class GlobalMaxPooling3D extends GlobalPooling<GlobalMaxPooling3D> {
  /**
   * GlobalMaxPooling3D's declaration: its Keras class name (alias {@code GlobalMaxPool3D}) and
   * arguments.
   */
  public static final KerasClass<GlobalMaxPooling3D> KERAS =
      declare("GlobalMaxPooling3D", GlobalMaxPooling3D.class, GlobalMaxPooling3D::new)
          .aliases("GlobalMaxPool3D");

  /** A global max pooling. */
  public GlobalMaxPooling3D() {
    super(3);
  }

  @Override
  protected Value reduce(Ops ops, Value x, int[] axes, boolean keepdims) {
    return ops.max(x, keepdims, axes);
  }

  /** A GlobalMaxPooling3D from its Keras config. */
  public static GlobalMaxPooling3D fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
