package dev.kiln.api.layers.reshaping;

import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;

/**
 * Cuts steps off the steps axis: {@code (batch, steps, features)} to {@code (batch, steps - before
 * - after, features)}.
 *
 * {@snippet :
 * Layer crop = new Cropping1D(1, 2);
 * }
 */
public final class Cropping1D extends Layer {
  /** Amounts cut before and after each spatial axis. */
  public static final Arg<int[][]> CROPPING = Spatial.sides("cropping", 1, Spatial.same(1, 1, 1));

  /** Cropping1D's declaration. */
  public static final KerasClass<Cropping1D> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "Cropping1D",
          Cropping1D.class,
          a -> new Cropping1D(a.get(CROPPING)),
          CROPPING);

  /** Keras's default: one step on each side. */
  public Cropping1D() {
    this(Spatial.same(1, 1, 1));
  }

  /**
   * The same amount off every side.
   *
   * @throws IllegalArgumentException if {@code amount < 0}
   */
  public Cropping1D(int amount) {
    this(Spatial.same(1, amount, amount));
  }

  /**
   * {@code before} steps at the start, {@code after} at the end.
   *
   * @throws IllegalArgumentException if an amount is negative
   */
  public Cropping1D(int before, int after) {
    this(new int[][] {{before, after}});
  }

  /**
   * {@code (before, after)} per spatial axis.
   *
   * @throws IllegalArgumentException unless there are 1 non-negative pairs
   */
  public Cropping1D(int[][] cropping) {
    args().set(CROPPING, Spatial.given(cropping, 1, "layer '" + name() + "'", "cropping"));
    this.inputSpec = InputSpec.ndim(3);
  }

  /** The {@code (before, after)} amounts per spatial axis. */
  public int[][] cropping() {
    return Spatial.copy(args().get(CROPPING));
  }

  @Override
  protected Value call(Ops ops, Value x) {
    int[] axes = Spatial.axes(1, "channels_last");
    return Spatial.crop(
        ops, x, args().get(CROPPING), axes, "layer \"" + name() + "\" (Cropping1D)");
  }
}
