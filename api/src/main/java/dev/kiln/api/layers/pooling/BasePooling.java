package dev.kiln.api.layers.pooling;

import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.convolutional.ConvArgs;
import dev.kiln.api.layers.convolutional.ConvLayer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.Value;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;

/**
 * What the max and average pooling layers share, as Keras's {@code BasePooling}: {@code pool_size}
 * (default 2 on every axis), {@code strides} (default the pool size, and written so in the config),
 * {@code padding} ({@code valid} or {@code same}, TensorFlow's: the odd extra position after) and
 * {@code data_format}.
 *
 * @param <S> the concrete layer, which the fluent setters return
 */
public abstract class BasePooling<S extends BasePooling<S>> extends Layer {
  /** The padding: {@code valid} (default) or {@code same}. */
  public static final Arg<String> PADDING = ConvArgs.padding(false);

  /** The layout of the input and output. */
  public static final Arg<String> DATA_FORMAT = ConvArgs.dataFormat();

  /** The number of spatial axes. */
  protected final int rank;

  /** A pooling over {@code rank} spatial axes with windows of {@code poolSize}. */
  protected BasePooling(int rank, int[] poolSize) {
    this.rank = rank;
    this.inputSpec = InputSpec.ndim(rank + 2);
    set("pool_size", ConvArgs.expand(poolSize, rank));
  }

  /**
   * The declaration of a pooling layer, with Keras 3's arguments in its config order.
   *
   * @param make the layer from {@code pool_size}
   */
  protected static <T> KerasClass<T> declare(
      String className, Class<T> type, int rank, Function<int[], T> make) {
    Arg<int[]> poolSize = ConvArgs.tuple("pool_size", rank, 1, new int[] {2});
    return KerasClass.of(
        Kind.LAYER,
        className,
        type,
        a -> make.apply(a.get(poolSize)),
        poolSize,
        PADDING,
        ConvArgs.tuple("strides", rank, 1, null).nullable(),
        DATA_FORMAT);
  }

  @SuppressWarnings("unchecked")
  private <T> S set(String key, T value) {
    args().set((Arg<T>) args().declaration().arg(key), value);
    return (S) this;
  }

  @SuppressWarnings("unchecked")
  private <T> T get(String key) {
    return args().get((Arg<T>) args().declaration().arg(key));
  }

  /** The strides: one value for every axis, or one per axis; null (default) is the pool size. */
  public S strides(int... strides) {
    return set("strides", strides == null ? null : ConvArgs.expand(strides, rank));
  }

  /** {@code "valid"} (default) or {@code "same"}. */
  public S padding(String padding) {
    return set("padding", padding);
  }

  /** {@code "channels_last"} (default) or {@code "channels_first"}. */
  public S dataFormat(String dataFormat) {
    return set("data_format", dataFormat);
  }

  /** The window per spatial axis. */
  public int[] poolSize() {
    return ((int[]) get("pool_size")).clone();
  }

  /** The strides per spatial axis (the pool size unless set). */
  public int[] strides() {
    int[] s = get("strides");
    return s == null ? poolSize() : s.clone();
  }

  /** The padding. */
  public String padding() {
    return get("padding");
  }

  /** The data format. */
  public String dataFormat() {
    return get("data_format");
  }

  /** Keras writes the strides even when they default to the pool size. */
  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = super.getConfig();
    if (c.get("strides") == null) {
      c.put("strides", c.get("pool_size"));
    }
    return c;
  }

  /** The pooling of channels-last {@code x}. */
  protected abstract Value pool(Ops ops, Value x, int[] window, int[] strides, Padding padding);

  @Override
  protected Value call(Ops ops, Value x) {
    boolean first = ConvArgs.CHANNELS_FIRST.equals(dataFormat());
    Value last = first ? ConvLayer.toChannelsLast(ops, x, rank) : x;
    int[] w = poolSize();
    boolean same = "same".equals(padding());
    for (int i = 0; i < rank; i++) {
      int in = last.shape().dim(i + 1);
      if (!same && in != Shape.UNKNOWN && in < w[i]) {
        throw new IllegalArgumentException(
            "the pool_size "
                + Arrays.toString(w)
                + " does not fit the input (channels_last shape "
                + last.shape()
                + ") with padding='valid': spatial axis "
                + i
                + " has size "
                + in);
      }
    }
    Value y = pool(ops, last, w, strides(), same ? Padding.SAME : Padding.VALID);
    return first ? ConvLayer.toChannelsFirst(ops, y, rank) : y;
  }
}
