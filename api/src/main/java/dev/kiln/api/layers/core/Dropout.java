package dev.kiln.api.layers.core;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * Sets a fraction {@code rate} of the inputs to 0 in training and scales the rest by {@code 1 / (1
 * - rate)}; the identity in inference.
 */
public final class Dropout extends Layer {
  private final double rate;

  /**
   * Drops a fraction {@code rate} of the inputs.
   *
   * @throws IllegalArgumentException unless {@code 0 <= rate <= 1}
   */
  public Dropout(double rate) {
    if (!(rate >= 0 && rate <= 1)) {
      throw new IllegalArgumentException(
          "Invalid value received for argument `rate`. Expected a float value between 0 and 1."
              + " Received: rate="
              + rate);
    }
    this.rate = rate;
    this.supportsMasking = true;
  }

  /** The fraction dropped. */
  public double rate() {
    return rate;
  }

  @Override
  protected Value call(Ops ops, Value x) {
    if (!ops.training() || ops.symbolic() || rate == 0) {
      return x;
    }
    if (rate == 1) {
      return ops.mul(x, 0.0);
    }
    Value keep = ops.bernoulli(x, 1 - rate);
    return ops.mul(ops.mul(x, keep), 1 / (1 - rate));
  }

  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = super.getConfig();
    c.put("rate", rate);
    c.put("seed", null);
    c.put("noise_shape", null);
    return c;
  }

  /** From a Keras config. */
  public static Dropout fromConfig(Map<String, Object> c) {
    Dropout d = new Dropout(Configs.doubleOf(c, "rate", 0));
    Configs.common(d, c);
    return d;
  }
}
