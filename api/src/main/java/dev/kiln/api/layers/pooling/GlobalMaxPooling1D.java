package dev.kiln.api.layers.pooling;

import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * Global max pooling, as Keras's {@code GlobalMaxPooling1D}: the maximum over every spatial axis of
 * {@code (batch, steps, channels)}, giving {@code (batch, channels)} (see {@link GlobalPooling} for
 * {@code keepdims} and channels-first).
 *
 * {@snippet :
 * GlobalMaxPooling1D pool = new GlobalMaxPooling1D().keepdims(true);
 * }
 */
public class GlobalMaxPooling1D extends GlobalPooling<GlobalMaxPooling1D> {
  /**
   * GlobalMaxPooling1D's declaration: its Keras class name (alias {@code GlobalMaxPool1D}) and
   * arguments.
   */
  public static final KerasClass<GlobalMaxPooling1D> KERAS =
      declare("GlobalMaxPooling1D", GlobalMaxPooling1D.class, GlobalMaxPooling1D::new)
          .aliases("GlobalMaxPool1D");

  /** A global max pooling. */
  public GlobalMaxPooling1D() {
    super(1);
  }

  @Override
  protected Value reduce(Ops ops, Value x, int[] axes, boolean keepdims) {
    return ops.max(x, keepdims, axes);
  }

  /** A GlobalMaxPooling1D from its Keras config. */
  public static GlobalMaxPooling1D fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
