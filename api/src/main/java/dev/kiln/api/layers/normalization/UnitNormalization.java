package dev.kiln.api.layers.normalization;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Scales each example to unit L2 norm over {@code axis} (one axis or several), as Keras 3's {@code
 * UnitNormalization}: {@code x * min(1 / sqrt(sum(x^2)), 1e12)}, so an all-zero slice stays zero.
 * Same shape in and out; no weights.
 */
public class UnitNormalization extends Layer {
  /** The axis or axes the norm is taken over (default -1). */
  public static final Arg<Object> AXIS = AxisArgs.axis("axis", -1);

  /** UnitNormalization's declaration. */
  public static final KerasClass<UnitNormalization> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "UnitNormalization",
          UnitNormalization.class,
          a -> new UnitNormalization(),
          AXIS);

  // Keras's epsilon for the L2 normalization: the inverse norm is capped at its inverse.
  private static final double EPSILON = 1e-12;

  private int[] axes;

  /** Unit normalization over the last axis. */
  public UnitNormalization() {
    this.supportsMasking = true;
  }

  /** Normalizes over these axes (default the last). */
  public UnitNormalization axis(int... axes) {
    if (axes.length == 1) {
      args().set(AXIS, axes[0]);
    } else {
      List<Integer> l = new ArrayList<>();
      for (int a : axes) {
        l.add(a);
      }
      args().set(AXIS, l);
    }
    return this;
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    axes = AxisArgs.resolve(AxisArgs.toArray(args().get(AXIS)), inputShapes.get(0), true, name());
  }

  @Override
  protected Value call(Ops ops, Value x) {
    Value inv = ops.rsqrt(ops.sum(ops.square(x), true, axes));
    return ops.mul(x, ops.minimum(inv, 1 / EPSILON));
  }
}
