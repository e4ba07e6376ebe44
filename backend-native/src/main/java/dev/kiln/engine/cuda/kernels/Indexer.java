package dev.kiln.engine.cuda.kernels;

import dev.kiln.engine.cpu.Index;
import dev.kiln.spi.Shape;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The {@code KilnIndexer} launch struct: a shape walked in row-major order and, for up to four
 * operands, the element strides that turn a position into each operand's offset. Axes of size 1 are
 * dropped and neighbouring axes that every operand walks contiguously are merged, so kernels divide
 * as little as possible; rank 0 means every operand is contiguous in the walked shape.
 *
 * <p>The struct is {@code int32 rank; int32 unused; int64 dims[8]; int64 stride[4][8]}, 328 bytes,
 * 8-byte aligned, little-endian as the GPU reads it.
 *
 * @param dims the walked dimensions after merging
 * @param strides per operand, one stride per walked dimension
 */
public record Indexer(long[] dims, long[][] strides) {
  /** The largest rank the kernels walk. */
  public static final int MAX_RANK = 8;

  /** The most operands one indexer describes. */
  public static final int MAX_OPERANDS = 4;

  /** The struct's size in bytes. */
  public static final int BYTES = 8 + 8 * MAX_RANK + 8 * MAX_RANK * MAX_OPERANDS;

  /** Checks and copies. */
  public Indexer {
    dims = dims.clone();
    strides = Arrays.stream(strides).map(long[]::clone).toArray(long[][]::new);
    if (strides.length > MAX_OPERANDS) {
      throw new IllegalArgumentException(
          "an indexer describes at most " + MAX_OPERANDS + " operands; received " + strides.length);
    }
    for (long[] s : strides) {
      if (s.length != dims.length) {
        throw new IllegalArgumentException(
            "each operand needs one stride per dimension "
                + Arrays.toString(dims)
                + "; received "
                + Arrays.toString(s));
      }
    }
  }

  /**
   * The indexer for an elementwise result of shape {@code out} reading operands of the given shapes
   * with numpy broadcasting.
   *
   * @throws IllegalArgumentException when the merged rank exceeds {@link #MAX_RANK}
   */
  public static Indexer broadcast(Shape out, Shape... operands) {
    long[][] strides = new long[operands.length][];
    for (int k = 0; k < operands.length; k++) {
      strides[k] = broadcastStrides(operands[k], out);
    }
    return of(out, strides);
  }

  /**
   * The indexer walking shape {@code walked} with the given strides per operand, simplified.
   *
   * @throws IllegalArgumentException when the simplified rank exceeds {@link #MAX_RANK}
   */
  public static Indexer of(Shape walked, long[]... strides) {
    int rank = walked.rank();
    long[] d = new long[rank];
    long[][] s = new long[strides.length][rank];
    int r = 0;
    for (int a = 0; a < rank; a++) {
      if (walked.dim(a) == 1) {
        continue;
      }
      boolean merge = r > 0;
      for (int k = 0; k < strides.length && merge; k++) {
        merge = s[k][r - 1] == strides[k][a] * walked.dim(a);
      }
      if (merge) {
        d[r - 1] *= walked.dim(a);
        for (int k = 0; k < strides.length; k++) {
          s[k][r - 1] = strides[k][a];
        }
      } else {
        d[r] = walked.dim(a);
        for (int k = 0; k < strides.length; k++) {
          s[k][r] = strides[k][a];
        }
        r++;
      }
    }
    boolean contiguous = r <= 1;
    for (int k = 0; k < strides.length && contiguous; k++) {
      contiguous = r == 0 || s[k][0] == 1;
    }
    if (contiguous) {
      return new Indexer(new long[0], new long[strides.length][0]);
    }
    if (r > MAX_RANK) {
      throw new IllegalArgumentException(
          "the CUDA kernels walk at most "
              + MAX_RANK
              + " dimensions after merging; shape "
              + walked
              + " needs "
              + r);
    }
    long[][] trimmed = new long[strides.length][];
    for (int k = 0; k < strides.length; k++) {
      trimmed[k] = Arrays.copyOf(s[k], r);
    }
    return new Indexer(Arrays.copyOf(d, r), trimmed);
  }

  /** The CPU device's broadcast strides: 0 on the axes {@code in} is broadcast along. */
  public static long[] broadcastStrides(Shape in, Shape out) {
    return Index.broadcastStrides(in, out);
  }

  /** The walked rank; 0 when every operand is contiguous. */
  public int rank() {
    return dims.length;
  }

  /**
   * The offsets of the operands at linear position {@code i}: the arithmetic of {@code
   * kiln_offsets} in {@code kiln_common.cuh}, written again here so that tests can check it.
   */
  public long[] offsets(long i) {
    long[] off = new long[strides.length];
    if (dims.length == 0) {
      Arrays.fill(off, i);
      return off;
    }
    for (int a = dims.length - 1; a >= 0 && i > 0; a--) {
      long c = i % dims[a];
      i /= dims[a];
      for (int k = 0; k < off.length; k++) {
        off[k] += c * strides[k][a];
      }
    }
    return off;
  }

  /** Writes the struct at offset 0 of {@code to} (at least {@link #BYTES} bytes). */
  public void write(MemorySegment to) {
    ValueLayout.OfInt i32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    ValueLayout.OfLong i64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    to.asSlice(0, BYTES).fill((byte) 0);
    to.set(i32, 0, dims.length);
    for (int a = 0; a < dims.length; a++) {
      to.set(i64, 8 + 8L * a, dims[a]);
      for (int k = 0; k < strides.length; k++) {
        to.set(i64, 8 + 8L * MAX_RANK + 8L * (k * MAX_RANK + a), strides[k][a]);
      }
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Indexer x
        && Arrays.equals(x.dims, dims)
        && Arrays.deepEquals(x.strides, strides);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims) * 31 + Arrays.deepHashCode(strides);
  }

  @Override
  public String toString() {
    return "Indexer[dims="
        + Arrays.toString(dims)
        + ", strides="
        + Arrays.deepToString(strides)
        + "]";
  }
}
