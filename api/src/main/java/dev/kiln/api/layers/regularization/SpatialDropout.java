package dev.kiln.api.layers.regularization;

import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.Value;

/**
 * The common part of {@link SpatialDropout1D}, {@link SpatialDropout2D} and {@link
 * SpatialDropout3D}: in training, whole channels of each example are dropped with probability
 * {@code rate} (one draw per example and channel, the same over every spatial position) and the
 * kept ones scaled by {@code 1 / (1 - rate)}; the identity in inference.
 */
public abstract class SpatialDropout extends Layer {
  /** The fraction of channels dropped. */
  public static final Arg<Double> RATE = Arg.fraction("rate", null).required();

  /** The seed (kept in configs; Kiln draws from the step's seed). */
  public static final Arg<Long> SEED = Arg.seed("seed");

  /** Sets the rate and the input rank ({@code spatial + 2}). */
  protected SpatialDropout(double rate, int spatial) {
    args().set(RATE, rate);
    this.inputSpec = InputSpec.ndim(spatial + 2);
    this.supportsMasking = true;
  }

  /** The fraction of channels dropped. */
  public double rate() {
    return args().get(RATE);
  }

  /** Whether the channels come first (after the batch axis). */
  protected abstract boolean channelsFirst();

  @Override
  protected Value call(Ops ops, Value x) {
    double rate = rate();
    if (!ops.training() || ops.symbolic() || rate == 0) {
      return x;
    }
    if (rate == 1) {
      return ops.mul(x, 0.0);
    }
    int rank = x.rank();
    int[] noise = new int[rank];
    java.util.Arrays.fill(noise, 1);
    noise[0] = x.shape().dim(0);
    int c = channelsFirst() ? 1 : rank - 1;
    noise[c] = x.shape().dim(c);
    Value shape = ops.zeros(new TensorType(x.dtype(), dev.kiln.spi.Shape.of(noise)));
    Value keep = ops.bernoulli(shape, 1 - rate);
    return ops.mul(x, ops.mul(keep, 1 / (1 - rate)));
  }
}
