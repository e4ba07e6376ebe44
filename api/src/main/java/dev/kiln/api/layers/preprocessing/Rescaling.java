package dev.kiln.api.layers.preprocessing;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.core.Configs;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.DType;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * {@code x * scale + offset}, as float32: {@code new Rescaling(1 / 255.0)} maps bytes to [0, 1].
 */
public final class Rescaling extends Layer {
  private final double scale;
  private final double offset;

  /** Multiplies by {@code scale}, then adds {@code offset}. */
  public Rescaling(double scale, double offset) {
    this.scale = scale;
    this.offset = offset;
    this.supportsMasking = true;
  }

  /** Multiplies by {@code scale}. */
  public Rescaling(double scale) {
    this(scale, 0);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    Value f = ops.cast(x, DType.FLOAT32);
    Value y = ops.mul(f, scale);
    return offset == 0 ? y : ops.add(y, offset);
  }

  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = super.getConfig();
    c.put("scale", scale);
    c.put("offset", offset);
    return c;
  }

  /** From a Keras config. */
  public static Rescaling fromConfig(Map<String, Object> c) {
    Rescaling r = new Rescaling(Configs.doubleOf(c, "scale", 1), Configs.doubleOf(c, "offset", 0));
    Configs.common(r, c);
    return r;
  }
}
