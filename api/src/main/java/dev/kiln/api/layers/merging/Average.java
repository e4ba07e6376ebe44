package dev.kiln.api.layers.merging;

/** The {@code Average} merging layer; see {@link Merge}. */
public final class Average extends Merge {
  /** A new Average layer. */
  public Average() {
    super("Average");
  }
}
