package dev.kiln.api.layers.pooling;

import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * Global max pooling, as Keras's {@code GlobalMaxPooling2D}: the maximum over every spatial axis of
 * {@code (batch, height, width, channels)}, giving {@code (batch, channels)} (see {@link
 * GlobalPooling} for {@code keepdims} and channels-first).
 *
 * {@snippet :
 * GlobalMaxPooling2D pool = new GlobalMaxPooling2D().keepdims(true);
 * }
 */
public class GlobalMaxPooling2D extends GlobalPooling<GlobalMaxPooling2D> {
  /**
   * GlobalMaxPooling2D's declaration: its Keras class name (alias {@code GlobalMaxPool2D}) and
   * arguments.
   */
  public static final KerasClass<GlobalMaxPooling2D> KERAS =
      declare("GlobalMaxPooling2D", GlobalMaxPooling2D.class, GlobalMaxPooling2D::new)
          .aliases("GlobalMaxPool2D");

  /** A global max pooling. */
  public GlobalMaxPooling2D() {
    super(2);
  }

  @Override
  protected Value reduce(Ops ops, Value x, int[] axes, boolean keepdims) {
    return ops.max(x, keepdims, axes);
  }

  /** A GlobalMaxPooling2D from its Keras config. */
  public static GlobalMaxPooling2D fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
