package dev.kiln.api.layers.core;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * Masks timesteps whose features all equal {@code maskValue}: input {@code (batch, steps,
 * features)}; masked steps become 0 and a mask {@code (batch, steps)} goes with the output.
 */
public final class Masking extends Layer {
  private final double maskValue;

  /** Masks steps equal to {@code maskValue} everywhere. */
  public Masking(double maskValue) {
    this.maskValue = maskValue;
  }

  /** Masks all-zero steps. */
  public Masking() {
    this(0);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    Value differs = ops.toFloat(ops.compare(CompareFn.NOT_EQUAL, x, ops.scalarLike(maskValue, x)));
    Value keep = ops.max(differs, false, -1);
    Value out = ops.mul(x, ops.expandDims(keep, -1));
    ops.setMask(out, ops.greater(keep, 0));
    return out;
  }

  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = super.getConfig();
    c.put("mask_value", maskValue);
    return c;
  }

  /** From a Keras config. */
  public static Masking fromConfig(Map<String, Object> c) {
    Masking m = new Masking(Configs.doubleOf(c, "mask_value", 0));
    Configs.common(m, c);
    return m;
  }
}
