package dev.kiln.api.layers.merging;

import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;

/** The {@code Minimum} merging layer; see {@link Merge}. */
public final class Minimum extends Merge {
  /** Minimum's declaration. */
  public static final KerasClass<Minimum> KERAS =
      KerasClass.of(Kind.LAYER, "Minimum", Minimum.class, a -> new Minimum());

  /** A new Minimum layer. */
  public Minimum() {
    super("Minimum");
  }
}
