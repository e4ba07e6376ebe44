package dev.kiln.api.layers.reshaping;

import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;

/**
 * Cuts rows and columns off the image: {@code (batch, rows, cols, channels)} to {@code (batch, rows
 * - top - bottom, cols - left - right, channels)} (channels_last).
 *
 * {@snippet :
 * Layer crop = new Cropping2D(new int[][] {{2, 0}, {1, 1}});
 * }
 */
public final class Cropping2D extends Layer {
  /** Amounts cut before and after each spatial axis. */
  public static final Arg<int[][]> CROPPING = Spatial.sides("cropping", 2, Spatial.same(2, 0, 0));

  /** Where the channels are: {@code channels_last} (default) or {@code channels_first}. */
  public static final Arg<String> DATA_FORMAT = Spatial.dataFormat();

  /** Cropping2D's declaration. */
  public static final KerasClass<Cropping2D> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "Cropping2D",
          Cropping2D.class,
          a -> new Cropping2D(a.get(CROPPING)),
          CROPPING,
          DATA_FORMAT);

  /** Keras's default: nothing cut. */
  public Cropping2D() {
    this(Spatial.same(2, 0, 0));
  }

  /**
   * The same amount off every side.
   *
   * @throws IllegalArgumentException if {@code amount < 0}
   */
  public Cropping2D(int amount) {
    this(Spatial.same(2, amount, amount));
  }

  /**
   * Symmetric amounts: {@code rows} above and below, {@code cols} left and right.
   *
   * @throws IllegalArgumentException if an amount is negative
   */
  public Cropping2D(int rows, int cols) {
    this(Spatial.symmetric(rows, cols));
  }

  /**
   * {@code (before, after)} per spatial axis.
   *
   * @throws IllegalArgumentException unless there are 2 non-negative pairs
   */
  public Cropping2D(int[][] cropping) {
    args().set(CROPPING, Spatial.given(cropping, 2, "layer '" + name() + "'", "cropping"));
    this.inputSpec = InputSpec.ndim(4);
  }

  /** {@code "channels_last"} (default) or {@code "channels_first"}. */
  public Cropping2D dataFormat(String format) {
    args().set(DATA_FORMAT, format);
    return this;
  }

  /** The {@code (before, after)} amounts per spatial axis. */
  public int[][] cropping() {
    return Spatial.copy(args().get(CROPPING));
  }

  @Override
  protected Value call(Ops ops, Value x) {
    int[] axes = Spatial.axes(2, args().get(DATA_FORMAT));
    return Spatial.crop(
        ops, x, args().get(CROPPING), axes, "layer \"" + name() + "\" (Cropping2D)");
  }
}
