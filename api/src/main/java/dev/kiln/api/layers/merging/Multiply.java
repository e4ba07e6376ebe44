package dev.kiln.api.layers.merging;

import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;

/** The {@code Multiply} merging layer; see {@link Merge}. */
public final class Multiply extends Merge {
  /** Multiply's declaration. */
  public static final KerasClass<Multiply> KERAS =
      KerasClass.of(Kind.LAYER, "Multiply", Multiply.class, a -> new Multiply());

  /** A new Multiply layer. */
  public Multiply() {
    super("Multiply");
  }
}
