package dev.kiln.spi.ir;

/** Elementwise functions of two operands. */
public enum BinaryFn {
  ADD,
  SUB,
  MUL,
  /** True division for floats; for integers, division rounding toward negative infinity. */
  DIV,
  POW,
  MAX,
  MIN,
  /** Remainder with the sign of the divisor, as Python's {@code %}. */
  MOD,
  LOGICAL_AND,
  LOGICAL_OR,
  LOGICAL_XOR;

  /** True for the three logical functions, which take bools. */
  public boolean logical() {
    return this == LOGICAL_AND || this == LOGICAL_OR || this == LOGICAL_XOR;
  }
}
