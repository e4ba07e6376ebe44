package dev.kiln.api.layers.reshaping;

import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;

/**
 * Pads the steps axis with zeros: {@code (batch, steps, features)} to {@code (batch, before + steps
 * + after, features)}.
 *
 * {@snippet :
 * Layer pad = new ZeroPadding1D(1, 2);
 * }
 */
public final class ZeroPadding1D extends Layer {
  /** Zeros added before and after each spatial axis. */
  public static final Arg<int[][]> PADDING = Spatial.sides("padding", 1, Spatial.same(1, 1, 1));

  /** Where the channels are: {@code channels_last} (default) or {@code channels_first}. */
  public static final Arg<String> DATA_FORMAT = Spatial.dataFormat();

  /** ZeroPadding1D's declaration. */
  public static final KerasClass<ZeroPadding1D> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "ZeroPadding1D",
          ZeroPadding1D.class,
          a -> new ZeroPadding1D(a.get(PADDING)),
          PADDING,
          DATA_FORMAT);

  /** Keras's default: one step on each side. */
  public ZeroPadding1D() {
    this(Spatial.same(1, 1, 1));
  }

  /**
   * The same amount on every side.
   *
   * @throws IllegalArgumentException if {@code amount < 0}
   */
  public ZeroPadding1D(int amount) {
    this(Spatial.same(1, amount, amount));
  }

  /**
   * {@code before} steps at the start, {@code after} at the end.
   *
   * @throws IllegalArgumentException if an amount is negative
   */
  public ZeroPadding1D(int before, int after) {
    this(new int[][] {{before, after}});
  }

  /**
   * {@code (before, after)} per spatial axis.
   *
   * @throws IllegalArgumentException unless there are 1 non-negative pairs
   */
  public ZeroPadding1D(int[][] padding) {
    args().set(PADDING, Spatial.given(padding, 1, "layer '" + name() + "'", "padding"));
    this.inputSpec = InputSpec.ndim(3);
  }

  /** {@code "channels_last"} (default) or {@code "channels_first"}. */
  public ZeroPadding1D dataFormat(String format) {
    args().set(DATA_FORMAT, format);
    return this;
  }

  /** The {@code (before, after)} amounts per spatial axis. */
  public int[][] padding() {
    return Spatial.copy(args().get(PADDING));
  }

  @Override
  protected Value call(Ops ops, Value x) {
    int[] axes = Spatial.axes(1, args().get(DATA_FORMAT));
    return Spatial.pad(ops, x, args().get(PADDING), axes);
  }
}
