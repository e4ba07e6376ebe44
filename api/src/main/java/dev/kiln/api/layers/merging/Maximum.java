package dev.kiln.api.layers.merging;

import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;

/** The {@code Maximum} merging layer; see {@link Merge}. */
public final class Maximum extends Merge {
  /** Maximum's declaration. */
  public static final KerasClass<Maximum> KERAS =
      KerasClass.of(Kind.LAYER, "Maximum", Maximum.class, a -> new Maximum());

  /** A new Maximum layer. */
  public Maximum() {
    super("Maximum");
  }
}
