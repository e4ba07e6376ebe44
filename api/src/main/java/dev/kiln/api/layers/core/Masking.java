package dev.kiln.api.layers.core;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.Value;

/**
 * Masks timesteps whose features all equal {@code maskValue}: input {@code (batch, steps,
 * features)}; masked steps become 0 and a mask {@code (batch, steps)} goes with the output.
 */
public final class Masking extends Layer {
  /** The value that marks a masked step. */
  public static final Arg<Double> MASK_VALUE = Arg.number("mask_value", 0.0);

  /** Masking's declaration. */
  public static final KerasClass<Masking> KERAS =
      KerasClass.of(Kind.LAYER, "Masking", Masking.class, a -> new Masking(), MASK_VALUE);

  /** Masks steps equal to {@code maskValue} everywhere. */
  public Masking(double maskValue) {
    args().set(MASK_VALUE, maskValue);
  }

  /** Masks all-zero steps. */
  public Masking() {
    this(0);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    // In x's dtype, so that a float16 input (mixed precision) is scaled by a float16 mask.
    Value differs =
        ops.cast(
            ops.compare(CompareFn.NOT_EQUAL, x, ops.scalarLike(args().get(MASK_VALUE), x)),
            x.dtype());
    Value keep = ops.max(differs, false, -1);
    Value out = ops.mul(x, ops.expandDims(keep, -1));
    ops.setMask(out, ops.greater(keep, 0));
    return out;
  }
}
