package dev.kiln.api.layers.regularization;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;

/**
 * Adds zero-mean Gaussian noise of standard deviation {@code stddev} in training, as Keras 3's
 * {@code GaussianNoise}; the identity in inference. Same shape in and out.
 */
public class GaussianNoise extends Layer {
  /** The standard deviation of the noise. */
  public static final Arg<Double> STDDEV = Arg.fraction("stddev", null).required();

  /** The seed (kept in configs; Kiln draws from the step's seed). */
  public static final Arg<Long> SEED = Arg.seed("seed");

  /** GaussianNoise's declaration. */
  public static final KerasClass<GaussianNoise> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "GaussianNoise",
          GaussianNoise.class,
          a -> new GaussianNoise(a.get(STDDEV)),
          STDDEV,
          SEED);

  /**
   * Noise of standard deviation {@code stddev}.
   *
   * @throws IllegalArgumentException unless {@code 0 <= stddev <= 1}, as Keras requires
   */
  public GaussianNoise(double stddev) {
    args().set(STDDEV, stddev);
    this.supportsMasking = true;
  }

  /** The standard deviation of the noise. */
  public double stddev() {
    return args().get(STDDEV);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    double s = stddev();
    if (!ops.training() || ops.symbolic() || s == 0) {
      return x;
    }
    return ops.add(x, ops.randomNormal(Ops.type(x), 0, s));
  }
}
