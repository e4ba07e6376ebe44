package dev.kiln.api.layers.core;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;

/**
 * Sets a fraction {@code rate} of the inputs to 0 in training and scales the rest by {@code 1 / (1
 * - rate)}; the identity in inference.
 */
public final class Dropout extends Layer {
  /** The fraction of inputs dropped. */
  public static final Arg<Double> RATE = Arg.fraction("rate", null).required();

  /** Keras's noise shape (kept in configs; Kiln drops elementwise). */
  public static final Arg<Object> NOISE_SHAPE = Arg.json("noise_shape", null);

  /** The seed (kept in configs; Kiln draws from the step's seed). */
  public static final Arg<Long> SEED = Arg.seed("seed");

  /** Dropout's declaration. */
  public static final KerasClass<Dropout> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "Dropout",
          Dropout.class,
          a -> new Dropout(a.get(RATE)),
          RATE,
          SEED,
          NOISE_SHAPE);

  /**
   * Drops a fraction {@code rate} of the inputs.
   *
   * @throws IllegalArgumentException unless {@code 0 <= rate <= 1}
   */
  public Dropout(double rate) {
    args().set(RATE, rate);
    this.supportsMasking = true;
  }

  /** The fraction dropped. */
  public double rate() {
    return args().get(RATE);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    double rate = rate();
    if (!ops.training() || ops.symbolic() || rate == 0) {
      return x;
    }
    if (rate == 1) {
      return ops.mul(x, 0.0);
    }
    Value keep = ops.bernoulli(x, 1 - rate);
    return ops.mul(ops.mul(x, keep), 1 / (1 - rate));
  }
}
