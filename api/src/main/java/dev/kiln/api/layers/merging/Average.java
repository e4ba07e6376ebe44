package dev.kiln.api.layers.merging;

import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;

/** The {@code Average} merging layer; see {@link Merge}. */
public final class Average extends Merge {
  /** Average's declaration. */
  public static final KerasClass<Average> KERAS =
      KerasClass.of(Kind.LAYER, "Average", Average.class, a -> new Average());

  /** A new Average layer. */
  public Average() {
    super("Average");
  }
}
