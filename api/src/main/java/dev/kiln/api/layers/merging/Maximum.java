package dev.kiln.api.layers.merging;

/** The {@code Maximum} merging layer; see {@link Merge}. */
public final class Maximum extends Merge {
  /** A new Maximum layer. */
  public Maximum() {
    super("Maximum");
  }
}
