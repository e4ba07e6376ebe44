package dev.kiln.api.layers.pooling;

import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.convolutional.ConvArgs;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;
import java.util.function.Supplier;

/**
 * What the global pooling layers share, as Keras's {@code BaseGlobalPooling}: a reduction over
 * every spatial axis, leaving {@code (batch, channels)}, or with {@code keepdims} {@code (batch,
 * 1..., channels)} ({@code (batch, channels, 1...)} for channels-first).
 *
 * @param <S> the concrete layer, which the fluent setters return
 */
public abstract class GlobalPooling<S extends GlobalPooling<S>> extends Layer {
  /** The layout of the input. */
  public static final Arg<String> DATA_FORMAT = ConvArgs.dataFormat();

  /** Whether to keep the spatial axes, with size 1 (default false). */
  public static final Arg<Boolean> KEEPDIMS = Arg.bool("keepdims", false);

  /** The number of spatial axes. */
  protected final int rank;

  /** A global pooling over {@code rank} spatial axes. */
  protected GlobalPooling(int rank) {
    this.rank = rank;
    this.inputSpec = InputSpec.ndim(rank + 2);
  }

  /** The declaration of a global pooling layer, with Keras 3's arguments in its config order. */
  protected static <T> KerasClass<T> declare(String className, Class<T> type, Supplier<T> make) {
    return KerasClass.of(Kind.LAYER, className, type, a -> make.get(), DATA_FORMAT, KEEPDIMS);
  }

  /** {@code "channels_last"} (default) or {@code "channels_first"}. */
  @SuppressWarnings("unchecked")
  public S dataFormat(String dataFormat) {
    args().set(DATA_FORMAT, dataFormat);
    return (S) this;
  }

  /** Whether to keep the spatial axes, with size 1. */
  @SuppressWarnings("unchecked")
  public S keepdims(boolean keepdims) {
    args().set(KEEPDIMS, keepdims);
    return (S) this;
  }

  /** The data format. */
  public String dataFormat() {
    return args().get(DATA_FORMAT);
  }

  /** Whether the spatial axes are kept. */
  public boolean keepdims() {
    return args().get(KEEPDIMS);
  }

  /** The spatial axes of the input, for its data format. */
  protected final int[] spatialAxes() {
    int[] axes = new int[rank];
    int first = ConvArgs.CHANNELS_FIRST.equals(dataFormat()) ? 2 : 1;
    for (int i = 0; i < rank; i++) {
      axes[i] = first + i;
    }
    return axes;
  }

  /** The reduction of {@code x} over {@code axes}. */
  protected abstract Value reduce(Ops ops, Value x, int[] axes, boolean keepdims);

  @Override
  protected Value call(Ops ops, Value x) {
    return reduce(ops, x, spatialAxes(), keepdims());
  }
}
