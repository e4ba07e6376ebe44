package dev.kiln.api.layers.merging;

/** The {@code Multiply} merging layer; see {@link Merge}. */
public final class Multiply extends Merge {
  /** A new Multiply layer. */
  public Multiply() {
    super("Multiply");
  }
}
