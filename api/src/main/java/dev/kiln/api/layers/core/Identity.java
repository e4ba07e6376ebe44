package dev.kiln.api.layers.core;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/** Returns its input unchanged (a placeholder, or a named point in a graph). */
public final class Identity extends Layer {
  /** An identity layer. */
  public Identity() {
    this.supportsMasking = true;
  }

  @Override
  protected Value call(Ops ops, Value x) {
    return x;
  }

  /** From a Keras config. */
  public static Identity fromConfig(Map<String, Object> c) {
    Identity i = new Identity();
    Configs.common(i, c);
    return i;
  }
}
