package dev.kiln.api.layers.merging;

/** The {@code Minimum} merging layer; see {@link Merge}. */
public final class Minimum extends Merge {
  /** A new Minimum layer. */
  public Minimum() {
    super("Minimum");
  }
}
