package dev.kiln.spi;

import java.util.Arrays;

/**
 * An immutable tensor shape. A dimension may be unknown ({@link #UNKNOWN}), as the batch dimension
 * is while a model is being defined; a graph compiled by a backend has only known dimensions.
 *
 * {@snippet :
 * Shape s = Shape.of(Shape.UNKNOWN, 28, 28, 1); // prints (None, 28, 28, 1)
 * }
 */
public final class Shape {
  /** The marker of a dimension not yet known. */
  public static final int UNKNOWN = -1;

  private static final Shape SCALAR = new Shape(new int[0]);

  private final int[] dims;

  private Shape(int[] dims) {
    this.dims = dims;
  }

  /**
   * A shape with the given dimensions.
   *
   * @throws IllegalArgumentException if a dimension is negative other than {@link #UNKNOWN}
   */
  public static Shape of(int... dims) {
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0 && dims[i] != UNKNOWN) {
        throw new IllegalArgumentException(
            "Shape dimensions must be >= 0 or UNKNOWN; received dimension "
                + i
                + " = "
                + dims[i]
                + " in "
                + Arrays.toString(dims));
      }
    }
    return dims.length == 0 ? SCALAR : new Shape(dims.clone());
  }

  /** The rank-0 shape. */
  public static Shape scalar() {
    return SCALAR;
  }

  /** The number of dimensions. */
  public int rank() {
    return dims.length;
  }

  /**
   * One dimension. Negative axes count from the end, as in Python.
   *
   * @throws IllegalArgumentException if the axis is out of range
   */
  public int dim(int axis) {
    return dims[normalizeAxis(axis)];
  }

  /** A copy of the dimensions. */
  public int[] dims() {
    return dims.clone();
  }

  /** True if every dimension is known. */
  public boolean isFullyKnown() {
    for (int d : dims) {
      if (d == UNKNOWN) {
        return false;
      }
    }
    return true;
  }

  /**
   * The number of elements.
   *
   * @throws IllegalStateException if a dimension is unknown
   */
  public long size() {
    long n = 1;
    for (int d : dims) {
      if (d == UNKNOWN) {
        throw new IllegalStateException("The size of shape " + this + " is not known");
      }
      n *= d;
    }
    return n;
  }

  /**
   * The number of elements as an int, for host arrays.
   *
   * @throws IllegalStateException if unknown or larger than {@code Integer.MAX_VALUE}
   */
  public int intSize() {
    long n = size();
    if (n > Integer.MAX_VALUE) {
      throw new IllegalStateException("Shape " + this + " has more than 2^31-1 elements");
    }
    return (int) n;
  }

  /**
   * Turns a possibly negative axis into one in {@code [0, rank)}.
   *
   * @throws IllegalArgumentException if the axis is outside {@code [-rank, rank)}
   */
  public int normalizeAxis(int axis) {
    int a = axis < 0 ? axis + dims.length : axis;
    if (a < 0 || a >= dims.length) {
      throw new IllegalArgumentException(
          "Axis " + axis + " is out of range for shape " + this + " of rank " + dims.length);
    }
    return a;
  }

  /** This shape with one dimension replaced. */
  public Shape withDim(int axis, int value) {
    int[] d = dims.clone();
    d[normalizeAxis(axis)] = value;
    return new Shape(d);
  }

  /** Row-major strides in elements. */
  public long[] strides() {
    long[] s = new long[dims.length];
    long acc = 1;
    for (int i = dims.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= Math.max(dims[i], 0);
    }
    return s;
  }

  /** True if the two shapes have the same rank and every known dimension pair agrees. */
  public boolean isCompatibleWith(Shape other) {
    if (other.dims.length != dims.length) {
      return false;
    }
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] != UNKNOWN && other.dims[i] != UNKNOWN && dims[i] != other.dims[i]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape s && Arrays.equals(dims, s.dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  /** Keras's notation: {@code (None, 28, 28, 1)}, {@code (3,)}, {@code ()}. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("(");
    for (int i = 0; i < dims.length; i++) {
      if (i > 0) {
        b.append(", ");
      }
      b.append(dims[i] == UNKNOWN ? "None" : Integer.toString(dims[i]));
    }
    if (dims.length == 1) {
      b.append(',');
    }
    return b.append(')').toString();
  }
}
