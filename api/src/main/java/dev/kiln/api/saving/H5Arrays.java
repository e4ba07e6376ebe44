package dev.kiln.api.saving;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import io.jhdf.api.Dataset;
import java.lang.reflect.Array;
import java.nio.file.Path;

/** Converts between Kiln tensors and the Java arrays io.jhdf reads and writes. */
final class H5Arrays {
  private H5Arrays() {}

  /**
   * The value as io.jhdf writes it: a boxed number for a scalar, else a nested primitive array of
   * the tensor's shape (float32, float64, int32 and int64 kept; other dtypes written as float32).
   *
   * @throws KilnException if the tensor has no elements (io.jhdf cannot write an empty dataset)
   */
  static Object toJava(Tensor t, String where) {
    HostTensor h = t.host();
    DType d = h.dtype();
    if (d != DType.FLOAT32 && d != DType.FLOAT64 && d != DType.INT32 && d != DType.INT64) {
      h = h.cast(DType.FLOAT32);
    }
    int[] dims = h.shape().dims();
    if (h.size() == 0) {
      throw new KilnException(
          "cannot write " + where + ": it has no elements (shape " + h.shape() + ")");
    }
    Object flat = h.array();
    if (dims.length == 0) {
      return Array.get(flat, 0);
    }
    if (dims.length == 1) {
      return flat;
    }
    Object nested = Array.newInstance(flat.getClass().getComponentType(), dims);
    fill(nested, flat, dims, 0, 0);
    return nested;
  }

  private static int fill(Object nested, Object flat, int[] dims, int axis, int offset) {
    int n = dims[axis];
    if (axis == dims.length - 1) {
      System.arraycopy(flat, offset, nested, 0, n);
      return offset + n;
    }
    for (int i = 0; i < n; i++) {
      offset = fill(Array.get(nested, i), flat, dims, axis + 1, offset);
    }
    return offset;
  }

  /** The shape of a dataset ({@code []} for a scalar). */
  static Shape shape(Dataset ds) {
    return ds.isScalar() ? Shape.scalar() : Shape.of(ds.getDimensions());
  }

  /**
   * Reads a numeric dataset as a tensor: floats as float32 (float64 kept), integers as int32 or
   * int64.
   *
   * @throws KilnException naming the file and dataset if it is not numeric or cannot be read
   */
  static Tensor read(Dataset ds, Path file) {
    Shape shape = shape(ds);
    Object flat;
    try {
      flat = ds.isScalar() ? ds.getData() : ds.getDataFlat();
    } catch (RuntimeException e) {
      throw new KilnException(
          "HDF5 file " + file + ": cannot read dataset '" + ds.getPath() + "': " + e.getMessage(),
          e);
    }
    HostTensor h =
        switch (flat) {
          case float[] f -> HostTensor.of(shape, f);
          case double[] f -> HostTensor.of(shape, f);
          case int[] f -> HostTensor.of(shape, f);
          case long[] f -> HostTensor.of(shape, f);
          case short[] f -> {
            int[] v = new int[f.length];
            for (int i = 0; i < f.length; i++) {
              v[i] = f[i];
            }
            yield HostTensor.of(shape, v);
          }
          case byte[] f -> {
            int[] v = new int[f.length];
            for (int i = 0; i < f.length; i++) {
              v[i] = f[i];
            }
            yield HostTensor.of(shape, v);
          }
          case Float f -> HostTensor.of(shape, new float[] {f});
          case Double f -> HostTensor.of(shape, new double[] {f});
          case Integer f -> HostTensor.of(shape, new int[] {f});
          case Long f -> HostTensor.of(shape, new long[] {f});
          case Short f -> HostTensor.of(shape, new int[] {f});
          case Byte f -> HostTensor.of(shape, new int[] {f});
          default ->
              throw new KilnException(
                  "HDF5 file "
                      + file
                      + ": dataset '"
                      + ds.getPath()
                      + "' holds "
                      + ds.getJavaType().getSimpleName()
                      + " values, not numbers");
        };
    return Tensor.wrap(h);
  }
}
