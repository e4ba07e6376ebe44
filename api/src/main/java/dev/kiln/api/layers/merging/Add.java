package dev.kiln.api.layers.merging;

/** The {@code Add} merging layer; see {@link Merge}. */
public final class Add extends Merge {
  /** A new Add layer. */
  public Add() {
    super("Add");
  }
}
