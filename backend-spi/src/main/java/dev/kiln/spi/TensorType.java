package dev.kiln.spi;

/**
 * The static type of a tensor value: its element type and shape.
 *
 * @param dtype element type
 * @param shape shape, possibly with unknown dimensions before compilation
 */
public record TensorType(DType dtype, Shape shape) {
  /** Checks that neither part is null. */
  public TensorType {
    if (dtype == null || shape == null) {
      throw new IllegalArgumentException("TensorType needs a dtype and a shape");
    }
  }

  /** Shorthand for {@code new TensorType(dtype, Shape.of(dims))}. */
  public static TensorType of(DType dtype, int... dims) {
    return new TensorType(dtype, Shape.of(dims));
  }

  /** The rank of the shape. */
  public int rank() {
    return shape.rank();
  }

  /** Printed as {@code float32(None, 3)}. */
  @Override
  public String toString() {
    return dtype + shape.toString();
  }
}
