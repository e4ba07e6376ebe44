package dev.kiln.api.layers.activations;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;

/**
 * The exponential linear unit, as Keras 3's {@code ELU}: {@code x} for {@code x > 0}, else {@code
 * alpha * (e^x - 1)}. NaN stays NaN. Same shape in and out.
 */
public class ELU extends Layer {
  /** The scale of the negative part. */
  public static final Arg<Double> ALPHA = Arg.number("alpha", 1.0);

  /** ELU's declaration. */
  public static final KerasClass<ELU> KERAS =
      KerasClass.of(Kind.LAYER, "ELU", ELU.class, a -> new ELU(a.get(ALPHA)), ALPHA);

  /** Alpha 1. */
  public ELU() {
    this(1.0);
  }

  /** The ELU with this {@code alpha}. */
  public ELU(double alpha) {
    args().set(ALPHA, alpha);
    this.supportsMasking = true;
  }

  @Override
  protected Value call(Ops ops, Value x) {
    Value positive = ops.greater(x, 0);
    // Zero the positive side before expm1 (no overflow there); NaN fails the test and stays NaN.
    Value negative = ops.where(positive, ops.fillLike(0, x), x);
    return ops.where(positive, x, ops.mul(ops.expm1(negative), args().get(ALPHA)));
  }
}
