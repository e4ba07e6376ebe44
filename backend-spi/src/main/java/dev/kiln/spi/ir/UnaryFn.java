package dev.kiln.spi.ir;

/** Elementwise functions of one operand. */
public enum UnaryFn {
  NEG,
  ABS,
  SIGN,
  EXP,
  EXPM1,
  LOG,
  LOG1P,
  SQRT,
  RSQRT,
  SQUARE,
  RECIPROCAL,
  SIN,
  COS,
  TANH,
  SIGMOID,
  ERF,
  FLOOR,
  CEIL,
  ROUND,
  LOGICAL_NOT;

  /** True where the function is defined only on floating-point values. */
  public boolean floatOnly() {
    return switch (this) {
      case NEG, ABS, SIGN, SQUARE, LOGICAL_NOT -> false;
      default -> true;
    };
  }
}
