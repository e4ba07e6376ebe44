package dev.kiln.api.layers.merging;

import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;

/** The {@code Add} merging layer; see {@link Merge}. */
public final class Add extends Merge {
  /** Add's declaration. */
  public static final KerasClass<Add> KERAS =
      KerasClass.of(Kind.LAYER, "Add", Add.class, a -> new Add());

  /** A new Add layer. */
  public Add() {
    super("Add");
  }
}
