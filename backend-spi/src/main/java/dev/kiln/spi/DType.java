package dev.kiln.spi;

/**
 * The element types of Kiln tensors, with the promotion rules used when two types meet.
 *
 * <p>IR ops require their operands to share a dtype; {@link #promote} tells a front end which type
 * to cast both to first. The lattice follows numpy/JAX without weak types: {@code bool} promotes to
 * anything, integers promote to floats, two half-precision formats meet at {@code float32}, and a
 * signed and an unsigned integer meet at the smallest signed type holding both.
 *
 * {@snippet :
 * DType t = DType.promote(DType.INT32, DType.FLOAT16); // FLOAT16
 * }
 */
public enum DType {
  /** IEEE 754 binary32. */
  FLOAT32("float32", 4, Kind.FLOAT),
  /** IEEE 754 binary64. */
  FLOAT64("float64", 8, Kind.FLOAT),
  /** IEEE 754 binary16. */
  FLOAT16("float16", 2, Kind.FLOAT),
  /** The upper 16 bits of a binary32 (8 exponent bits, 7 mantissa bits). */
  BFLOAT16("bfloat16", 2, Kind.FLOAT),
  /** Signed 8-bit integer. */
  INT8("int8", 1, Kind.SIGNED),
  /** Unsigned 8-bit integer. */
  UINT8("uint8", 1, Kind.UNSIGNED),
  /** Signed 32-bit integer. */
  INT32("int32", 4, Kind.SIGNED),
  /** Signed 64-bit integer. */
  INT64("int64", 8, Kind.SIGNED),
  /** Boolean, one byte per element holding 0 or 1. */
  BOOL("bool", 1, Kind.BOOL);

  private enum Kind {
    BOOL,
    UNSIGNED,
    SIGNED,
    FLOAT
  }

  private final String kerasName;
  private final int byteSize;
  private final Kind kind;

  DType(String kerasName, int byteSize, Kind kind) {
    this.kerasName = kerasName;
    this.byteSize = byteSize;
    this.kind = kind;
  }

  /** The name Keras uses for this type ({@code "float32"}, {@code "int64"}, ...). */
  public String kerasName() {
    return kerasName;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /** True for the four floating-point types. */
  public boolean isFloating() {
    return kind == Kind.FLOAT;
  }

  /** True for the signed and unsigned integer types (not {@code bool}). */
  public boolean isInteger() {
    return kind == Kind.SIGNED || kind == Kind.UNSIGNED;
  }

  /** True for {@code bool}. */
  public boolean isBool() {
    return kind == Kind.BOOL;
  }

  /** True for types that hold negative values. */
  public boolean isSigned() {
    return kind == Kind.SIGNED || kind == Kind.FLOAT;
  }

  /** True where values are ordered numbers (everything but {@code bool}). */
  public boolean isNumeric() {
    return kind != Kind.BOOL;
  }

  /**
   * The type both operands of a binary operation should be cast to.
   *
   * @param a one operand's type
   * @param b the other operand's type
   * @return the smallest type in the lattice that holds both
   */
  public static DType promote(DType a, DType b) {
    if (a == b) {
      return a;
    }
    if (a.kind == Kind.BOOL) {
      return b;
    }
    if (b.kind == Kind.BOOL) {
      return a;
    }
    if (a.isFloating() && b.isFloating()) {
      if (a == FLOAT64 || b == FLOAT64) {
        return FLOAT64;
      }
      // float16 meets bfloat16, or either meets float32: float32 holds both exactly.
      return FLOAT32;
    }
    if (a.isFloating()) {
      return a;
    }
    if (b.isFloating()) {
      return b;
    }
    if (a.kind == b.kind) {
      return a.byteSize >= b.byteSize ? a : b;
    }
    DType signed = a.kind == Kind.SIGNED ? a : b;
    DType unsigned = a.kind == Kind.SIGNED ? b : a;
    if (signed.byteSize > unsigned.byteSize) {
      return signed;
    }
    return unsigned.byteSize < 4 ? INT32 : INT64;
  }

  /**
   * Looks a type up by its Keras name.
   *
   * @throws IllegalArgumentException if no type has that name; the message lists the names
   */
  public static DType fromKerasName(String name) {
    for (DType t : values()) {
      if (t.kerasName.equals(name)) {
        return t;
      }
    }
    StringBuilder known = new StringBuilder();
    for (DType t : values()) {
      known.append(known.isEmpty() ? "" : ", ").append(t.kerasName);
    }
    throw new IllegalArgumentException(
        "Unknown dtype: '" + name + "'. Known dtypes: " + known + ".");
  }

  @Override
  public String toString() {
    return kerasName;
  }
}
