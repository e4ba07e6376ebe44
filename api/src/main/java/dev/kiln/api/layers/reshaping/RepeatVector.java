package dev.kiln.api.layers.reshaping;

import dev.kiln.api.Tensor;
import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.core.Configs;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;
import java.util.Arrays;
import java.util.Map;

/**
 * Repeats each sample {@code n} times: {@code (batch, features)} to {@code (batch, n, features)}.
 */
public final class RepeatVector extends Layer {
  private final int n;

  /**
   * Repeats {@code n} times.
   *
   * @throws IllegalArgumentException if {@code n <= 0}
   */
  public RepeatVector(int n) {
    if (n <= 0) {
      throw new IllegalArgumentException(
          "Expected an integer value for `n`, greater than 0. Received: n=" + n);
    }
    this.n = n;
    this.inputSpec = InputSpec.ndim(2);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    float[] ones = new float[n];
    Arrays.fill(ones, 1);
    // Broadcasting against ones keeps an unknown batch axis unknown, where broadcastTo cannot.
    Value rows = ops.cast(ops.constant(Tensor.of(ones, 1, n, 1)), x.dtype());
    return ops.mul(ops.expandDims(x, 1), rows);
  }

  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = super.getConfig();
    c.put("n", n);
    return c;
  }

  /** From a Keras config. */
  public static RepeatVector fromConfig(Map<String, Object> c) {
    RepeatVector r = new RepeatVector(Configs.intOf(c, "n", 1));
    Configs.common(r, c);
    return r;
  }
}
