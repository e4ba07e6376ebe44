package dev.kiln.api.layers.regularization;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.Value;
import java.util.List;

/**
 * Dropout for self-normalizing (SELU) networks, as Keras 3's {@code AlphaDropout}: in training,
 * dropped inputs are set to SELU's negative saturation {@code -alpha * scale} and the result goes
 * through the affine map {@code a * x + b} that keeps the mean and variance of the input: {@code a
 * = ((1 - rate) (1 + rate alpha'^2))^-1/2}, {@code b = -a alpha' rate}. The identity in inference.
 * {@code noise_shape} (null entries take the input's size) shares one draw over the axes of size 1.
 */
public class AlphaDropout extends Layer {
  private static final double SELU_ALPHA = 1.6732632423543772848170429916717;
  private static final double SELU_SCALE = 1.0507009873554804934193349852946;

  /** The fraction of inputs dropped. */
  public static final Arg<Double> RATE = Arg.fraction("rate", null).required();

  /** The shape of the drop mask, broadcast over the input; null entries are the input's sizes. */
  public static final Arg<Object> NOISE_SHAPE =
      Arg.json("noise_shape", null)
          .checked(
              "null or a list of positive integers and nulls",
              v ->
                  v instanceof List<?> l
                      && l.stream()
                          .allMatch(
                              e ->
                                  e == null
                                      || e instanceof Number n
                                          && n.doubleValue() == Math.rint(n.doubleValue())
                                          && n.doubleValue() >= 1));

  /** The seed (kept in configs; Kiln draws from the step's seed). */
  public static final Arg<Long> SEED = Arg.seed("seed");

  /** AlphaDropout's declaration. */
  public static final KerasClass<AlphaDropout> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "AlphaDropout",
          AlphaDropout.class,
          a -> new AlphaDropout(a.get(RATE)),
          RATE,
          NOISE_SHAPE,
          SEED);

  /**
   * Drops a fraction {@code rate} of the inputs.
   *
   * @throws IllegalArgumentException unless {@code 0 <= rate <= 1}
   */
  public AlphaDropout(double rate) {
    args().set(RATE, rate);
    this.supportsMasking = true;
  }

  /** The mask's shape, batch axis included; null entries take the input's sizes. */
  public AlphaDropout noiseShape(Integer... shape) {
    args().set(NOISE_SHAPE, java.util.Arrays.asList(shape));
    return this;
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
    Shape noise = noiseShape(x);
    Value u = ops.randomUniform(new TensorType(x.dtype(), noise), 0, 1);
    Value kept = ops.cast(ops.greaterEqual(u, ops.scalarLike(rate, x)), x.dtype());
    double alphaP = -SELU_ALPHA * SELU_SCALE;
    double a = Math.pow((1 - rate) * (1 + rate * alphaP * alphaP), -0.5);
    double b = -a * alphaP * rate;
    // x * kept + alpha' * (1 - kept), then the affine correction.
    Value dropped = ops.add(ops.mul(x, kept), ops.mul(ops.sub(1, kept), alphaP));
    return ops.add(ops.mul(dropped, a), b);
  }

  private Shape noiseShape(Value x) {
    Object ns = args().get(NOISE_SHAPE);
    if (ns == null) {
      return x.shape();
    }
    List<?> l = (List<?>) ns;
    if (l.size() != x.rank()) {
      throw new IllegalArgumentException(
          "layer '"
              + name()
              + "': noise_shape "
              + l
              + " must have one entry per axis of the input shape "
              + x.shape());
    }
    int[] d = new int[l.size()];
    for (int i = 0; i < d.length; i++) {
      int size = x.shape().dim(i);
      d[i] = l.get(i) == null ? size : ((Number) l.get(i)).intValue();
      if (d[i] != 1 && d[i] != size) {
        throw new IllegalArgumentException(
            "layer '"
                + name()
                + "': noise_shape "
                + l
                + " does not broadcast to the input shape "
                + x.shape()
                + " on axis "
                + i);
      }
    }
    return Shape.of(d);
  }
}
