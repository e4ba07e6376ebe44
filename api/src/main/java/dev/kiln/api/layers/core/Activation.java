package dev.kiln.api.layers.core;

import dev.kiln.api.activations.ActivationFunction;
import dev.kiln.api.activations.Activations;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * Applies an activation function by Keras name.
 *
 * {@snippet : new Activation("relu") }
 */
public final class Activation extends Layer {
  private final ActivationFunction fn;

  /**
   * The activation of this name.
   *
   * @throws dev.kiln.api.KilnException for an unknown name
   */
  public Activation(String name) {
    this.fn = Activations.get(name);
    this.supportsMasking = true;
  }

  @Override
  protected Value call(Ops ops, Value x) {
    return fn.apply(ops, x);
  }

  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = super.getConfig();
    c.put("activation", fn.name());
    return c;
  }

  /** From a Keras config. */
  public static Activation fromConfig(Map<String, Object> c) {
    Activation a = new Activation(String.valueOf(c.get("activation")));
    Configs.common(a, c);
    return a;
  }
}
