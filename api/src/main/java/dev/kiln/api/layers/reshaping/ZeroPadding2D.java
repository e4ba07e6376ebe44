package dev.kiln.api.layers.reshaping;

import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;

/**
 * Pads the rows and columns with zeros: {@code (batch, rows, cols, channels)} to {@code (batch, top
 * + rows + bottom, left + cols + right, channels)} (channels_last).
 *
 * {@snippet :
 * Layer pad = new ZeroPadding2D(new int[][] {{1, 0}, {2, 1}}); // top 1, bottom 0, left 2, right 1
 * }
 */
public final class ZeroPadding2D extends Layer {
  /** Zeros added before and after each spatial axis. */
  public static final Arg<int[][]> PADDING = Spatial.sides("padding", 2, Spatial.same(2, 1, 1));

  /** Where the channels are: {@code channels_last} (default) or {@code channels_first}. */
  public static final Arg<String> DATA_FORMAT = Spatial.dataFormat();

  /** ZeroPadding2D's declaration. */
  public static final KerasClass<ZeroPadding2D> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "ZeroPadding2D",
          ZeroPadding2D.class,
          a -> new ZeroPadding2D(a.get(PADDING)),
          PADDING,
          DATA_FORMAT);

  /** Keras's default: one row or column on each side. */
  public ZeroPadding2D() {
    this(Spatial.same(2, 1, 1));
  }

  /**
   * The same amount on every side.
   *
   * @throws IllegalArgumentException if {@code amount < 0}
   */
  public ZeroPadding2D(int amount) {
    this(Spatial.same(2, amount, amount));
  }

  /**
   * Symmetric amounts: {@code rows} above and below, {@code cols} left and right.
   *
   * @throws IllegalArgumentException if an amount is negative
   */
  public ZeroPadding2D(int rows, int cols) {
    this(Spatial.symmetric(rows, cols));
  }

  /**
   * {@code (before, after)} per spatial axis.
   *
   * @throws IllegalArgumentException unless there are 2 non-negative pairs
   */
  public ZeroPadding2D(int[][] padding) {
    args().set(PADDING, Spatial.given(padding, 2, "layer '" + name() + "'", "padding"));
    this.inputSpec = InputSpec.ndim(4);
  }

  /** {@code "channels_last"} (default) or {@code "channels_first"}. */
  public ZeroPadding2D dataFormat(String format) {
    args().set(DATA_FORMAT, format);
    return this;
  }

  /** The {@code (before, after)} amounts per spatial axis. */
  public int[][] padding() {
    return Spatial.copy(args().get(PADDING));
  }

  @Override
  protected Value call(Ops ops, Value x) {
    int[] axes = Spatial.axes(2, args().get(DATA_FORMAT));
    return Spatial.pad(ops, x, args().get(PADDING), axes);
  }
}
