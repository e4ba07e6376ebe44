package dev.kiln.engine.cpu;

import dev.kiln.spi.Shape;

/** Index arithmetic shared by the kernels: broadcast strides and an odometer over a shape. */
public final class Index {
  private Index() {}

  /**
   * The element strides with which an operand of shape {@code in} is read when broadcast to {@code
   * out}: 0 on axes it is broadcast along, right-aligned as numpy does.
   */
  public static long[] broadcastStrides(Shape in, Shape out) {
    long[] s = new long[out.rank()];
    long[] own = in.strides();
    int extra = out.rank() - in.rank();
    for (int i = 0; i < in.rank(); i++) {
      s[i + extra] = in.dim(i) == 1 && out.dim(i + extra) != 1 ? 0 : own[i];
    }
    return s;
  }

  /**
   * Walks the positions of {@code dims} in row-major order while keeping, for each of several
   * operands, the offset that its strides give. Allocation-free after construction.
   */
  public static final class Odometer {
    private final int[] dims;
    private final long[][] strides;
    private final int[] idx;

    /** Current offset of each operand. */
    public final long[] offset;

    /**
     * @param dims the shape walked
     * @param strides one stride array per operand, each of {@code dims.length}
     */
    public Odometer(int[] dims, long[]... strides) {
      this.dims = dims;
      this.strides = strides;
      this.idx = new int[dims.length];
      this.offset = new long[strides.length];
    }

    /** Back to position 0. */
    public void reset() {
      java.util.Arrays.fill(idx, 0);
      java.util.Arrays.fill(offset, 0);
    }

    /** Advances one position. */
    public void next() {
      for (int a = dims.length - 1; a >= 0; a--) {
        if (++idx[a] < dims[a]) {
          for (int k = 0; k < offset.length; k++) {
            offset[k] += strides[k][a];
          }
          return;
        }
        idx[a] = 0;
        for (int k = 0; k < offset.length; k++) {
          offset[k] -= strides[k][a] * (dims[a] - 1);
        }
      }
    }
  }
}
