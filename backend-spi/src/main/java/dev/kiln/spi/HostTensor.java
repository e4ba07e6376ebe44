package dev.kiln.spi;

import java.util.Arrays;

/**
 * A tensor in Java heap memory: the form in which data enters and leaves a backend.
 *
 * <p>Elements are stored row-major in a primitive array that matches the dtype: {@code float[]} for
 * float32, {@code double[]} for float64, {@code short[]} bit patterns for float16 and bfloat16,
 * {@code byte[]} for int8, uint8 and bool, {@code int[]} for int32 and {@code long[]} for int64.
 * Element access through {@link #getDouble} and {@link #setDouble} converts with the dtype's
 * rounding (round to nearest even for floats, wrap-around for integers, nonzero is true for bool; a
 * double stored into an integer dtype truncates toward zero and saturates).
 *
 * {@snippet :
 * HostTensor x = HostTensor.of(Shape.of(2, 2), new float[] {1, 2, 3, 4});
 * double v = x.getDouble(3); // 4.0
 * }
 */
public final class HostTensor {
  private final TensorType type;
  private final Object data;
  private final int size;

  private HostTensor(TensorType type, Object data) {
    this.type = type;
    this.data = data;
    this.size = type.shape().intSize();
  }

  /**
   * A tensor of zeros.
   *
   * @throws IllegalStateException if the shape has an unknown dimension
   */
  public static HostTensor zeros(DType dtype, Shape shape) {
    int n = shape.intSize();
    Object data =
        switch (dtype) {
          case FLOAT32 -> new float[n];
          case FLOAT64 -> new double[n];
          case FLOAT16, BFLOAT16 -> new short[n];
          case INT8, UINT8, BOOL -> new byte[n];
          case INT32 -> new int[n];
          case INT64 -> new long[n];
        };
    return new HostTensor(new TensorType(dtype, shape), data);
  }

  /** A float32 tensor over a copy of {@code values}. */
  public static HostTensor of(Shape shape, float[] values) {
    checkLength(shape, values.length);
    return new HostTensor(new TensorType(DType.FLOAT32, shape), values.clone());
  }

  /** A float64 tensor over a copy of {@code values}. */
  public static HostTensor of(Shape shape, double[] values) {
    checkLength(shape, values.length);
    return new HostTensor(new TensorType(DType.FLOAT64, shape), values.clone());
  }

  /** An int32 tensor over a copy of {@code values}. */
  public static HostTensor of(Shape shape, int[] values) {
    checkLength(shape, values.length);
    return new HostTensor(new TensorType(DType.INT32, shape), values.clone());
  }

  /** An int64 tensor over a copy of {@code values}. */
  public static HostTensor of(Shape shape, long[] values) {
    checkLength(shape, values.length);
    return new HostTensor(new TensorType(DType.INT64, shape), values.clone());
  }

  /** A float32 scalar. */
  public static HostTensor scalar(float value) {
    return of(Shape.scalar(), new float[] {value});
  }

  /**
   * A tensor of any dtype from doubles, each rounded or wrapped to the dtype.
   *
   * @throws IllegalArgumentException if the number of values does not match the shape
   */
  public static HostTensor fromDoubles(DType dtype, Shape shape, double[] values) {
    checkLength(shape, values.length);
    HostTensor t = zeros(dtype, shape);
    for (int i = 0; i < values.length; i++) {
      t.setDouble(i, values[i]);
    }
    return t;
  }

  private static void checkLength(Shape shape, int length) {
    if (shape.size() != length) {
      throw new IllegalArgumentException(
          "Shape " + shape + " holds " + shape.size() + " elements but " + length + " were given");
    }
  }

  /** The dtype and shape. */
  public TensorType type() {
    return type;
  }

  /** The element type. */
  public DType dtype() {
    return type.dtype();
  }

  /** The shape. */
  public Shape shape() {
    return type.shape();
  }

  /** The number of elements. */
  public int size() {
    return size;
  }

  /**
   * The backing array, not a copy; its class depends on the dtype as described above. Backends use
   * it to upload without an extra copy.
   */
  public Object array() {
    return data;
  }

  /** The element at flat index {@code i}, converted to double. */
  public double getDouble(int i) {
    return switch (type.dtype()) {
      case FLOAT32 -> ((float[]) data)[i];
      case FLOAT64 -> ((double[]) data)[i];
      case FLOAT16 -> Float.float16ToFloat(((short[]) data)[i]);
      case BFLOAT16 -> Float.intBitsToFloat(((short[]) data)[i] << 16);
      case INT8, BOOL -> ((byte[]) data)[i];
      case UINT8 -> ((byte[]) data)[i] & 0xFF;
      case INT32 -> ((int[]) data)[i];
      case INT64 -> ((long[]) data)[i];
    };
  }

  /** The element at flat index {@code i} as a long; floats truncate toward zero. */
  public long getLong(int i) {
    return switch (type.dtype()) {
      case INT64 -> ((long[]) data)[i];
      case INT32 -> ((int[]) data)[i];
      default -> (long) getDouble(i);
    };
  }

  /** Stores {@code v} at flat index {@code i}, converted to the dtype. */
  public void setDouble(int i, double v) {
    switch (type.dtype()) {
      case FLOAT32 -> ((float[]) data)[i] = (float) v;
      case FLOAT64 -> ((double[]) data)[i] = v;
      case FLOAT16 -> ((short[]) data)[i] = Float.floatToFloat16(roundToFloat(v));
      case BFLOAT16 -> ((short[]) data)[i] = toBfloat16Bits(roundToFloat(v));
      // A double becomes an integer as a cast does: toward zero, NaN to 0, saturating.
      case INT8 -> ((byte[]) data)[i] = (byte) Math.clamp((long) v, -128, 127);
      case UINT8 -> ((byte[]) data)[i] = (byte) Math.clamp((long) v, 0, 255);
      case BOOL -> ((byte[]) data)[i] = (byte) (v != 0 ? 1 : 0);
      case INT32 -> ((int[]) data)[i] = (int) v;
      case INT64 -> ((long[]) data)[i] = (long) v;
    }
  }

  /**
   * Stores {@code v} at flat index {@code i}; integer dtypes wrap around as two's-complement
   * arithmetic does, bool stores nonzero as true, floats round.
   */
  public void setLong(int i, long v) {
    switch (type.dtype()) {
      case INT64 -> ((long[]) data)[i] = v;
      case INT32 -> ((int[]) data)[i] = (int) v;
      case INT8, UINT8 -> ((byte[]) data)[i] = (byte) v;
      case BOOL -> ((byte[]) data)[i] = (byte) (v != 0 ? 1 : 0);
      default -> setDouble(i, v);
    }
  }

  /**
   * Half-precision values go through float32 first. That rounds twice, which can differ from one
   * direct rounding only for doubles within 2^-29 relative of a half-precision tie; every value a
   * float32 kernel produces is exact in float32, so backends and the reference agree.
   */
  private static float roundToFloat(double v) {
    return (float) v;
  }

  /** Round to nearest even on the upper 16 bits of the float32 pattern; NaN stays NaN. */
  static short toBfloat16Bits(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int rounding = 0x7FFF + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }

  /** All elements converted to double. */
  public double[] toDoubleArray() {
    double[] out = new double[size];
    for (int i = 0; i < size; i++) {
      out[i] = getDouble(i);
    }
    return out;
  }

  /** All elements converted to float. */
  public float[] toFloatArray() {
    float[] out = new float[size];
    for (int i = 0; i < size; i++) {
      out[i] = (float) getDouble(i);
    }
    return out;
  }

  /** A deep copy. */
  public HostTensor copy() {
    Object d =
        switch (data) {
          case float[] a -> a.clone();
          case double[] a -> a.clone();
          case short[] a -> a.clone();
          case byte[] a -> a.clone();
          case int[] a -> a.clone();
          case long[] a -> a.clone();
          default -> throw new IllegalStateException("unreachable");
        };
    return new HostTensor(type, d);
  }

  /** The same elements under another shape with the same size. */
  public HostTensor reshape(Shape shape) {
    checkLength(shape, size);
    return new HostTensor(new TensorType(type.dtype(), shape), data);
  }

  /** This tensor converted element by element to another dtype. */
  public HostTensor cast(DType dtype) {
    HostTensor out = zeros(dtype, type.shape());
    for (int i = 0; i < size; i++) {
      if (!type.dtype().isFloating() && !dtype.isFloating()) {
        out.setLong(i, getLong(i));
      } else {
        out.setDouble(i, getDouble(i));
      }
    }
    return out;
  }

  /** The type and up to the first eight elements, for messages. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("HostTensor ").append(type).append(" [");
    int shown = Math.min(size, 8);
    for (int i = 0; i < shown; i++) {
      b.append(i > 0 ? ", " : "").append(getDouble(i));
    }
    return b.append(size > shown ? ", ...]" : "]").toString();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof HostTensor t) || !t.type.equals(type)) {
      return false;
    }
    return switch (data) {
      case float[] a -> Arrays.equals(a, (float[]) t.data);
      case double[] a -> Arrays.equals(a, (double[]) t.data);
      case short[] a -> Arrays.equals(a, (short[]) t.data);
      case byte[] a -> Arrays.equals(a, (byte[]) t.data);
      case int[] a -> Arrays.equals(a, (int[]) t.data);
      case long[] a -> Arrays.equals(a, (long[]) t.data);
      default -> false;
    };
  }

  @Override
  public int hashCode() {
    return type.hashCode() * 31 + size;
  }
}
