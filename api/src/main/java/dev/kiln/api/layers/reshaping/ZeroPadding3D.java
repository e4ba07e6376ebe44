package dev.kiln.api.layers.reshaping;

import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;

/**
 * Pads the three spatial axes with zeros: {@code (batch, d1, d2, d3, channels)} to each axis grown
 * by its two amounts (channels_last).
 *
 * {@snippet :
 * Layer pad = new ZeroPadding3D(1, 1, 2);
 * }
 */
public final class ZeroPadding3D extends Layer {
  /** Zeros added before and after each spatial axis. */
  public static final Arg<int[][]> PADDING = Spatial.sides("padding", 3, Spatial.same(3, 1, 1));

  /** Where the channels are: {@code channels_last} (default) or {@code channels_first}. */
  public static final Arg<String> DATA_FORMAT = Spatial.dataFormat();

  /** ZeroPadding3D's declaration. */
  public static final KerasClass<ZeroPadding3D> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "ZeroPadding3D",
          ZeroPadding3D.class,
          a -> new ZeroPadding3D(a.get(PADDING)),
          PADDING,
          DATA_FORMAT);

  /** Keras's default: one on each side of each spatial axis. */
  public ZeroPadding3D() {
    this(Spatial.same(3, 1, 1));
  }

  /**
   * The same amount on every side.
   *
   * @throws IllegalArgumentException if {@code amount < 0}
   */
  public ZeroPadding3D(int amount) {
    this(Spatial.same(3, amount, amount));
  }

  /**
   * Symmetric amounts per spatial axis.
   *
   * @throws IllegalArgumentException if an amount is negative
   */
  public ZeroPadding3D(int d1, int d2, int d3) {
    this(Spatial.symmetric(d1, d2, d3));
  }

  /**
   * {@code (before, after)} per spatial axis.
   *
   * @throws IllegalArgumentException unless there are 3 non-negative pairs
   */
  public ZeroPadding3D(int[][] padding) {
    args().set(PADDING, Spatial.given(padding, 3, "layer '" + name() + "'", "padding"));
    this.inputSpec = InputSpec.ndim(5);
  }

  /** {@code "channels_last"} (default) or {@code "channels_first"}. */
  public ZeroPadding3D dataFormat(String format) {
    args().set(DATA_FORMAT, format);
    return this;
  }

  /** The {@code (before, after)} amounts per spatial axis. */
  public int[][] padding() {
    return Spatial.copy(args().get(PADDING));
  }

  @Override
  protected Value call(Ops ops, Value x) {
    int[] axes = Spatial.axes(3, args().get(DATA_FORMAT));
    return Spatial.pad(ops, x, args().get(PADDING), axes);
  }
}
