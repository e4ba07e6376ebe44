package dev.kiln.nd4j;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
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
          case FLOAT32 -> Nd4j.createFromArray((float[]) h.array());
          case FLOAT64 -> Nd4j.createFromArray((double[]) h.array());
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
      case FLOAT32 ->
          System.arraycopy(c.castTo(DataType.FLOAT).data().asFloat(), 0, out.array(), 0, n);
      case FLOAT64 ->
          System.arraycopy(c.castTo(DataType.DOUBLE).data().asDouble(), 0, out.array(), 0, n);
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
}
