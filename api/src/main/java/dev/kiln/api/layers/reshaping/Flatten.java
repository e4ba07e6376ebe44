package dev.kiln.api.layers.reshaping;

import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.core.Configs;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * Flattens every axis after the batch axis: {@code (batch, a, b, ...)} to {@code (batch, a*b*...)}.
 */
public final class Flatten extends Layer {
  /** A flatten layer. */
  public Flatten() {
    this.inputSpec = InputSpec.minNdim(1);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    if (x.rank() == 1) {
      return ops.reshapeBatch(x, 1);
    }
    long n = 1;
    for (int i = 1; i < x.rank(); i++) {
      int d = x.shape().dim(i);
      if (d == Shape.UNKNOWN) {
        throw new IllegalArgumentException(
            "Flatten needs every axis but the batch axis known; received input shape " + x.shape());
      }
      n *= d;
    }
    return ops.reshapeBatch(x, (int) n);
  }

  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = super.getConfig();
    c.put("data_format", "channels_last");
    return c;
  }

  /** From a Keras config. */
  public static Flatten fromConfig(Map<String, Object> c) {
    Flatten f = new Flatten();
    Configs.common(f, c);
    return f;
  }
}
