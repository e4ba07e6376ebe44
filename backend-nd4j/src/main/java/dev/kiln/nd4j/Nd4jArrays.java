package dev.kiln.nd4j;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Conversions between Kiln's host tensors and dtypes and ND4J's arrays and data types. */
final class Nd4jArrays {
  private Nd4jArrays() {}

  static DataType dataType(DType d) {
    return switch (d) {
      case FLOAT32 -> DataType.FLOAT;
      case FLOAT64 -> DataType.DOUBLE;
      case FLOAT16 -> DataType.HALF;
      case BFLOAT16 -> DataType.BFLOAT16;
      case INT8 -> DataType.BYTE;
      case UINT8 -> DataType.UBYTE;
      case INT32 -> DataType.INT;
      case INT64 -> DataType.LONG;
      case BOOL -> DataType.BOOL;
    };
  }

  static long[] longs(Shape s) {
    long[] out = new long[s.rank()];
    for (int i = 0; i < out.length; i++) {
      out[i] = s.dim(i);
    }
    return out;
  }

  static INDArray fromHost(HostTensor h) {
    long[] shape = longs(h.shape());
    INDArray flat =
        switch (h.dtype()) {
          case FLOAT32 -> ofFloats((float[]) h.array(), new long[] {h.size()});
          case FLOAT64 -> ofDoubles((double[]) h.array(), new long[] {h.size()});
          case INT32 -> Nd4j.createFromArray((int[]) h.array());
          case INT64 -> Nd4j.createFromArray((long[]) h.array());
          case BOOL -> {
            boolean[] b = new boolean[h.size()];
            for (int i = 0; i < b.length; i++) {
              b[i] = h.getDouble(i) != 0;
            }
            yield Nd4j.createFromArray(b);
          }
          default -> {
            // int8, uint8, float16, bfloat16: through int or float, then cast.
            if (h.dtype().isFloating()) {
              yield Nd4j.createFromArray(h.toFloatArray()).castTo(dataType(h.dtype()));
            }
            int[] v = new int[h.size()];
            for (int i = 0; i < v.length; i++) {
              v[i] = (int) h.getLong(i);
            }
            yield Nd4j.createFromArray(v).castTo(dataType(h.dtype()));
          }
        };
    if (h.size() == 0) {
      return Nd4j.create(dataType(h.dtype()), shape);
    }
    return flat.reshape('c', shape);
  }

  static HostTensor toHost(INDArray a, TensorType t) {
    INDArray c = a.dup('c');
    HostTensor out = HostTensor.zeros(t.dtype(), t.shape());
    int n = out.size();
    if (n == 0) {
      return out;
    }
    switch (t.dtype()) {
      case FLOAT32 -> System.arraycopy(floats(c.castTo(DataType.FLOAT)), 0, out.array(), 0, n);
      case FLOAT64 -> System.arraycopy(doubles(c.castTo(DataType.DOUBLE)), 0, out.array(), 0, n);
      case INT32 -> System.arraycopy(c.castTo(DataType.INT).data().asInt(), 0, out.array(), 0, n);
      case INT64 -> System.arraycopy(c.castTo(DataType.LONG).data().asLong(), 0, out.array(), 0, n);
      case BOOL -> {
        int[] v = c.castTo(DataType.INT).data().asInt();
        for (int i = 0; i < n; i++) {
          out.setDouble(i, v[i] != 0 ? 1 : 0);
        }
      }
      default -> {
        if (t.dtype().isFloating()) {
          float[] v = c.castTo(DataType.FLOAT).data().asFloat();
          for (int i = 0; i < n; i++) {
            out.setDouble(i, v[i]);
          }
        } else {
          int[] v = c.castTo(DataType.INT).data().asInt();
          for (int i = 0; i < n; i++) {
            out.setLong(i, v[i]);
          }
        }
      }
    }
    return out;
  }

  // Bulk copies through the buffer's native pointer: ND4J's own array conversions copy element by
  // element, which showed up as a tenth of an MLP step.

  /**
   * {@code a} itself when its buffer holds exactly its elements in row-major order, else a copy.
   */
  static INDArray contiguous(INDArray a) {
    boolean exact =
        !a.isView() && a.ordering() == 'c' && a.data().length() == a.length() && a.offset() == 0;
    return exact ? a : a.dup('c');
  }

  /** The elements of a float32 array in row-major order. */
  static float[] floats(INDArray a) {
    float[] v = new float[Math.toIntExact(a.length())];
    new FloatPointer(contiguous(a).data().addressPointer()).get(v);
    return v;
  }

  /** The elements of a float64 array in row-major order. */
  static double[] doubles(INDArray a) {
    double[] v = new double[Math.toIntExact(a.length())];
    new DoublePointer(contiguous(a).data().addressPointer()).get(v);
    return v;
  }

  /** The elements of a bool array in row-major order, one byte (0 or 1) each. */
  static byte[] bools(INDArray a) {
    byte[] v = new byte[Math.toIntExact(a.length())];
    new BytePointer(contiguous(a.castTo(DataType.BOOL)).data().addressPointer()).get(v);
    return v;
  }

  static INDArray ofFloats(float[] v, long[] shape) {
    INDArray r = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
    new FloatPointer(r.data().addressPointer()).put(v);
    return r;
  }

  static INDArray ofDoubles(double[] v, long[] shape) {
    INDArray r = Nd4j.createUninitialized(DataType.DOUBLE, shape, 'c');
    new DoublePointer(r.data().addressPointer()).put(v);
    return r;
  }
}
