package dev.kiln.api.layers.regularization;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;

/**
 * Multiplies by Gaussian noise of mean 1 and standard deviation {@code sqrt(rate / (1 - rate))} in
 * training, as Keras 3's {@code GaussianDropout}; the identity in inference. Same shape in and out.
 */
public class GaussianDropout extends Layer {
  /** The drop probability the noise stands for. */
  public static final Arg<Double> RATE = Arg.fraction("rate", null).required();

  /** The seed (kept in configs; Kiln draws from the step's seed). */
  public static final Arg<Long> SEED = Arg.seed("seed");

  /** GaussianDropout's declaration. */
  public static final KerasClass<GaussianDropout> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "GaussianDropout",
          GaussianDropout.class,
          a -> new GaussianDropout(a.get(RATE)),
          RATE,
          SEED);

  /**
   * Multiplicative noise for drop probability {@code rate}.
   *
   * @throws IllegalArgumentException unless {@code 0 <= rate <= 1}
   */
  public GaussianDropout(double rate) {
    args().set(RATE, rate);
    this.supportsMasking = true;
  }

  /** The drop probability. */
  public double rate() {
    return args().get(RATE);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    double rate = rate();
    if (!ops.training() || ops.symbolic() || rate == 0) {
      return x;
    }
    double stddev = Math.sqrt(rate / (1 - rate));
    return ops.mul(x, ops.randomNormal(Ops.type(x), 1, stddev));
  }
}
