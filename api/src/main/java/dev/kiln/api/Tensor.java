package dev.kiln.api;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import java.util.Arrays;
import java.util.List;

/**
 * A tensor in Java memory, as users create and read it: model inputs and labels, predictions,
 * weights. Immutable; every method that changes something returns a new tensor.
 *
 * {@snippet :
 * Tensor x = Tensor.of(new float[][] {{1, 2}, {3, 4}});
 * Tensor p = model.predict(x);
 * int[] classes = p.argmax(); // one class per row
 * }
 */
public final class Tensor {
  private final HostTensor host;

  private Tensor(HostTensor host) {
    this.host = host;
  }

  /** Wraps a host tensor of the SPI (no copy). */
  public static Tensor wrap(HostTensor host) {
    return new Tensor(host);
  }

  /** A float32 vector. */
  public static Tensor of(float[] values) {
    return new Tensor(HostTensor.of(Shape.of(values.length), values));
  }

  /** A float32 tensor of this shape over a copy of {@code values}. */
  public static Tensor of(float[] values, int... shape) {
    return new Tensor(HostTensor.of(Shape.of(shape), values));
  }

  /**
   * A float32 matrix, one row per sample.
   *
   * @throws IllegalArgumentException if the rows differ in length
   */
  public static Tensor of(float[][] rows) {
    int cols = rows.length == 0 ? 0 : rows[0].length;
    float[] flat = new float[rows.length * cols];
    for (int i = 0; i < rows.length; i++) {
      if (rows[i].length != cols) {
        throw new IllegalArgumentException(
            "row " + i + " has " + rows[i].length + " values but row 0 has " + cols);
      }
      System.arraycopy(rows[i], 0, flat, i * cols, cols);
    }
    return of(flat, rows.length, cols);
  }

  /** A float32 rank-3 tensor. */
  public static Tensor of(float[][][] values) {
    int a = values.length;
    int b = a == 0 ? 0 : values[0].length;
    int c = b == 0 ? 0 : values[0][0].length;
    float[] flat = new float[a * b * c];
    int k = 0;
    for (float[][] m : values) {
      for (float[] r : m) {
        if (r.length != c) {
          throw new IllegalArgumentException("ragged array: a row has " + r.length + " values");
        }
        System.arraycopy(r, 0, flat, k, c);
        k += c;
      }
    }
    return of(flat, a, b, c);
  }

  /** A float64 matrix. */
  public static Tensor of(double[][] rows) {
    int cols = rows.length == 0 ? 0 : rows[0].length;
    double[] flat = new double[rows.length * cols];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, flat, i * cols, cols);
    }
    return new Tensor(HostTensor.of(Shape.of(rows.length, cols), flat));
  }

  /** An int32 vector (class ids, token ids). */
  public static Tensor of(int[] values) {
    return new Tensor(HostTensor.of(Shape.of(values.length), values));
  }

  /** An int32 tensor of this shape. */
  public static Tensor of(int[] values, int... shape) {
    return new Tensor(HostTensor.of(Shape.of(shape), values));
  }

  /** An int32 matrix. */
  public static Tensor of(int[][] rows) {
    int cols = rows.length == 0 ? 0 : rows[0].length;
    int[] flat = new int[rows.length * cols];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, flat, i * cols, cols);
    }
    return of(flat, rows.length, cols);
  }

  /** A float32 scalar. */
  public static Tensor scalar(float v) {
    return new Tensor(HostTensor.scalar(v));
  }

  /** Zeros of a dtype and shape. */
  public static Tensor zeros(DType dtype, int... shape) {
    return new Tensor(HostTensor.zeros(dtype, Shape.of(shape)));
  }

  /** The SPI's host tensor (shared, not copied). */
  public HostTensor host() {
    return host;
  }

  /** The shape. */
  public Shape shape() {
    return host.shape();
  }

  /** The dims of the shape. */
  public int[] dims() {
    return host.shape().dims();
  }

  /** The dtype. */
  public DType dtype() {
    return host.dtype();
  }

  /** The rank. */
  public int rank() {
    return host.shape().rank();
  }

  /** The number of elements. */
  public int size() {
    return host.size();
  }

  /** The length of axis 0: the number of samples. */
  public int length() {
    return rank() == 0 ? 1 : host.shape().dim(0);
  }

  /** The elements as floats, row-major. */
  public float[] toFloatArray() {
    return host.toFloatArray();
  }

  /** The elements as doubles, row-major. */
  public double[] toDoubleArray() {
    return host.toDoubleArray();
  }

  /** The elements as ints (floats truncated), row-major. */
  public int[] toIntArray() {
    int[] out = new int[size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (int) host.getLong(i);
    }
    return out;
  }

  /**
   * A matrix as rows.
   *
   * @throws IllegalStateException if the rank is not 2
   */
  public float[][] toFloatMatrix() {
    if (rank() != 2) {
      throw new IllegalStateException("toFloatMatrix needs rank 2 but the shape is " + shape());
    }
    int r = shape().dim(0);
    int c = shape().dim(1);
    float[] flat = toFloatArray();
    float[][] out = new float[r][];
    for (int i = 0; i < r; i++) {
      out[i] = Arrays.copyOfRange(flat, i * c, (i + 1) * c);
    }
    return out;
  }

  /** The element at flat index {@code i} as a double. */
  public double getDouble(int i) {
    return host.getDouble(i);
  }

  /** The element at these indices (one per axis) as a float. */
  public float getFloat(int... index) {
    if (index.length != rank()) {
      throw new IllegalArgumentException(
          "expected " + rank() + " indices for shape " + shape() + " but received " + index.length);
    }
    long[] strides = shape().strides();
    long flat = 0;
    for (int i = 0; i < index.length; i++) {
      if (index[i] < 0 || index[i] >= shape().dim(i)) {
        throw new IndexOutOfBoundsException(
            "index " + index[i] + " on axis " + i + " of shape " + shape());
      }
      flat += index[i] * strides[i];
    }
    return (float) host.getDouble((int) flat);
  }

  /** The index of the largest element along the last axis, for each row: shape minus that axis. */
  public int[] argmax() {
    int last = rank() == 0 ? 1 : shape().dim(-1);
    int rows = size() / Math.max(1, last);
    int[] out = new int[rows];
    for (int r = 0; r < rows; r++) {
      double best = Double.NEGATIVE_INFINITY;
      int at = 0;
      for (int j = 0; j < last; j++) {
        double v = host.getDouble(r * last + j);
        if (v > best || (Double.isNaN(v) && !Double.isNaN(best))) {
          best = v;
          at = j;
        }
      }
      out[r] = at;
    }
    return out;
  }

  /** The same elements in another shape; one dimension may be -1. */
  public Tensor reshape(int... dims) {
    int unknown = -1;
    long known = 1;
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] == -1) {
        unknown = i;
      } else {
        known *= dims[i];
      }
    }
    int[] d = dims.clone();
    if (unknown >= 0) {
      d[unknown] = (int) (size() / Math.max(1, known));
    }
    Shape s = Shape.of(d);
    if (s.size() != size()) {
      throw new IllegalArgumentException("cannot reshape " + shape() + " to " + s);
    }
    return new Tensor(host.reshape(s));
  }

  /** This tensor in another dtype. */
  public Tensor cast(DType dtype) {
    return dtype == dtype() ? this : new Tensor(host.cast(dtype));
  }

  /** Rows {@code [from, to)} along axis 0. */
  public Tensor slice(int from, int to) {
    if (from < 0 || to > length() || from > to) {
      throw new IndexOutOfBoundsException(
          "rows [" + from + ", " + to + ") of a tensor with " + length() + " rows");
    }
    int[] d = dims();
    int row = rowSize();
    d[0] = to - from;
    HostTensor out = HostTensor.zeros(dtype(), Shape.of(d));
    System.arraycopy(host.array(), from * row, out.array(), 0, (to - from) * row);
    return new Tensor(out);
  }

  /** The rows at these indices along axis 0, in order. */
  public Tensor take(int[] rows) {
    int[] d = dims();
    int row = rowSize();
    d[0] = rows.length;
    HostTensor out = HostTensor.zeros(dtype(), Shape.of(d));
    Object src = host.array();
    Object dst = out.array();
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(src, rows[i] * row, dst, i * row, row);
    }
    return new Tensor(out);
  }

  /**
   * Stacks tensors of one shape and dtype along a new axis 0.
   *
   * @throws IllegalArgumentException if the shapes or dtypes differ
   */
  public static Tensor stack(List<Tensor> items) {
    if (items.isEmpty()) {
      throw new IllegalArgumentException("nothing to stack");
    }
    Tensor first = items.get(0);
    int n = first.size();
    int[] d = new int[first.rank() + 1];
    d[0] = items.size();
    System.arraycopy(first.dims(), 0, d, 1, first.rank());
    HostTensor out = HostTensor.zeros(first.dtype(), Shape.of(d));
    for (int i = 0; i < items.size(); i++) {
      Tensor t = items.get(i);
      if (!t.shape().equals(first.shape()) || t.dtype() != first.dtype()) {
        throw new IllegalArgumentException(
            "cannot stack "
                + t.dtype().kerasName()
                + t.shape()
                + " (item "
                + i
                + ") with "
                + first.dtype().kerasName()
                + first.shape());
      }
      System.arraycopy(t.host.array(), 0, out.array(), i * n, n);
    }
    return new Tensor(out);
  }

  /** Concatenates along axis 0. */
  public static Tensor concat(List<Tensor> parts) {
    Tensor first = parts.get(0);
    int rows = 0;
    for (Tensor t : parts) {
      rows += t.length();
    }
    int[] d = first.dims();
    d[0] = rows;
    HostTensor out = HostTensor.zeros(first.dtype(), Shape.of(d));
    int at = 0;
    for (Tensor t : parts) {
      System.arraycopy(t.host.array(), 0, out.array(), at, t.size());
      at += t.size();
    }
    return new Tensor(out);
  }

  private int rowSize() {
    return rank() == 0 ? 1 : size() / Math.max(1, length());
  }

  @Override
  public String toString() {
    return "Tensor(" + dtype().kerasName() + shape() + ") " + host;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tensor t && t.host.equals(host);
  }

  @Override
  public int hashCode() {
    return host.hashCode();
  }
}
