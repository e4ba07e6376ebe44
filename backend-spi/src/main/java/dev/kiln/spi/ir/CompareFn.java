package dev.kiln.spi.ir;

/** Elementwise comparisons. */
public enum CompareFn {
  EQUAL,
  NOT_EQUAL,
  LESS,
  LESS_EQUAL,
  GREATER,
  GREATER_EQUAL
}
