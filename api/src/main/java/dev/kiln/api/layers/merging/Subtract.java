package dev.kiln.api.layers.merging;

import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;

/** The {@code Subtract} merging layer; see {@link Merge}. */
public final class Subtract extends Merge {
  /** Subtract's declaration. */
  public static final KerasClass<Subtract> KERAS =
      KerasClass.of(Kind.LAYER, "Subtract", Subtract.class, a -> new Subtract());

  /** A new Subtract layer. */
  public Subtract() {
    super("Subtract");
  }
}
