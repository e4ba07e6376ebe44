package dev.kiln.api.layers.merging;

/** The {@code Subtract} merging layer; see {@link Merge}. */
public final class Subtract extends Merge {
  /** A new Subtract layer. */
  public Subtract() {
    super("Subtract");
  }
}
