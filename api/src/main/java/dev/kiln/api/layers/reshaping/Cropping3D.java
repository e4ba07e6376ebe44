package dev.kiln.api.layers.reshaping;

import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;

/**
 * Cuts slices off the three spatial axes: each spatial axis of {@code (batch, d1, d2, d3,
 * channels)} shrinks by its two amounts (channels_last).
 *
 * {@snippet :
 * Layer crop = new Cropping3D(1, 1, 2);
 * }
 */
public final class Cropping3D extends Layer {
  /** Amounts cut before and after each spatial axis. */
  public static final Arg<int[][]> CROPPING = Spatial.sides("cropping", 3, Spatial.same(3, 1, 1));

  /** Where the channels are: {@code channels_last} (default) or {@code channels_first}. */
  public static final Arg<String> DATA_FORMAT = Spatial.dataFormat();

  /** Cropping3D's declaration. */
  public static final KerasClass<Cropping3D> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "Cropping3D",
          Cropping3D.class,
          a -> new Cropping3D(a.get(CROPPING)),
          CROPPING,
          DATA_FORMAT);

  /** Keras's default: one on each side of each spatial axis. */
  public Cropping3D() {
    this(Spatial.same(3, 1, 1));
  }

  /**
   * The same amount off every side.
   *
   * @throws IllegalArgumentException if {@code amount < 0}
   */
  public Cropping3D(int amount) {
    this(Spatial.same(3, amount, amount));
  }

  /**
   * Symmetric amounts per spatial axis.
   *
   * @throws IllegalArgumentException if an amount is negative
   */
  public Cropping3D(int d1, int d2, int d3) {
    this(Spatial.symmetric(d1, d2, d3));
  }

  /**
   * {@code (before, after)} per spatial axis.
   *
   * @throws IllegalArgumentException unless there are 3 non-negative pairs
   */
  public Cropping3D(int[][] cropping) {
    args().set(CROPPING, Spatial.given(cropping, 3, "layer '" + name() + "'", "cropping"));
    this.inputSpec = InputSpec.ndim(5);
  }

  /** {@code "channels_last"} (default) or {@code "channels_first"}. */
  public Cropping3D dataFormat(String format) {
    args().set(DATA_FORMAT, format);
    return this;
  }

  /** The {@code (before, after)} amounts per spatial axis. */
  public int[][] cropping() {
    return Spatial.copy(args().get(CROPPING));
  }

  @Override
  protected Value call(Ops ops, Value x) {
    int[] axes = Spatial.axes(3, args().get(DATA_FORMAT));
    return Spatial.crop(
        ops, x, args().get(CROPPING), axes, "layer \"" + name() + "\" (Cropping3D)");
  }
}
