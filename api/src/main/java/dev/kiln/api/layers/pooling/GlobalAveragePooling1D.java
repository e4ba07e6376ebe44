package dev.kiln.api.layers.pooling;

import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * Global average pooling, as Keras's {@code GlobalAveragePooling1D}: the mean over every spatial
 * axis of {@code (batch, steps, channels)}, giving {@code (batch, channels)} (see {@link
 * GlobalPooling} for {@code keepdims} and channels-first). With a mask {@code (batch, steps)} (from
 * {@code Masking} or {@code Embedding(mask_zero=true)}) it averages the unmasked steps only, as
 * Keras; the mask stops here.
 *
 * {@snippet :
 * GlobalAveragePooling1D pool = new GlobalAveragePooling1D().keepdims(true);
 * }
 */
public class GlobalAveragePooling1D extends GlobalPooling<GlobalAveragePooling1D> {
  /**
   * GlobalAveragePooling1D's declaration: its Keras class name (alias {@code GlobalAvgPool1D}) and
   * arguments.
   */
  public static final KerasClass<GlobalAveragePooling1D> KERAS =
      declare("GlobalAveragePooling1D", GlobalAveragePooling1D.class, GlobalAveragePooling1D::new)
          .aliases("GlobalAvgPool1D");

  /** A global average pooling. */
  public GlobalAveragePooling1D() {
    super(1);
  }

  @Override
  protected Value reduce(Ops ops, Value x, int[] axes, boolean keepdims) {
    Value mask = ops.mask(x);
    if (mask == null) {
      return ops.mean(x, keepdims, axes);
    }
    // Keras: sum(x * mask) / sum(mask) over the steps, the mask broadcast over the channels.
    int channelAxis = axes[0] == 1 ? 2 : 1;
    Value m = ops.expandDims(ops.cast(mask, x.dtype()), channelAxis);
    return ops.div(ops.sum(ops.mul(x, m), keepdims, axes), ops.sum(m, keepdims, axes));
  }

  /** A GlobalAveragePooling1D from its Keras config. */
  public static GlobalAveragePooling1D fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
