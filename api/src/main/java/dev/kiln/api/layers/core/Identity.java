package dev.kiln.api.layers.core;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;

/** Returns its input unchanged (a placeholder, or a named point in a graph). */
public final class Identity extends Layer {
  /** Identity's declaration. */
  public static final KerasClass<Identity> KERAS =
      KerasClass.of(Kind.LAYER, "Identity", Identity.class, a -> new Identity());

  /** An identity layer. */
  public Identity() {
    this.supportsMasking = true;
  }

  @Override
  protected Value call(Ops ops, Value x) {
    return x;
  }
}
