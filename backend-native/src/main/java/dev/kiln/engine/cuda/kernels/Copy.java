package dev.kiln.engine.cuda.kernels;

import dev.kiln.spi.Shape;
import java.util.Arrays;

/**
 * One launch of {@code kiln_copy_<bN>}: {@code n} elements, each {@code y[yOffset + off1] =
 * x[xOffset + off0]} with the offsets the indexer gives. The factories derive it for the shape ops
 * that the copy kernel serves.
 *
 * @param n elements copied
 * @param indexer walks the copied shape; stride 0 for x, 1 for y
 * @param xOffset the first element read
 * @param yOffset the first element written
 */
public record Copy(long n, Indexer indexer, long xOffset, long yOffset) {

  /** Output axis {@code i} is input axis {@code perm[i]}. */
  public static Copy transpose(Shape x, int[] perm) {
    long[] xs = x.strides();
    int[] dims = new int[perm.length];
    long[] s = new long[perm.length];
    for (int i = 0; i < perm.length; i++) {
      dims[i] = x.dim(perm[i]);
      s[i] = xs[perm[i]];
    }
    Shape out = Shape.of(dims);
    return new Copy(out.size(), Indexer.of(out, s, out.strides()), 0, 0);
  }

  /** Numpy's broadcast of {@code x} to {@code out}. */
  public static Copy broadcastTo(Shape x, Shape out) {
    return new Copy(
        out.size(), Indexer.of(out, Indexer.broadcastStrides(x, out), out.strides()), 0, 0);
  }

  /** {@code x[begin : end : step]} per axis, giving {@code out}; a step may be negative. */
  public static Copy stridedSlice(Shape x, int[] begin, int[] step, Shape out) {
    long[] xs = x.strides();
    long[] s = new long[xs.length];
    long offset = 0;
    for (int i = 0; i < xs.length; i++) {
      s[i] = xs[i] * step[i];
      offset += xs[i] * begin[i];
    }
    return new Copy(out.size(), Indexer.of(out, s, out.strides()), offset, 0);
  }

  /** The interior of a pad: {@code x} into {@code out} at {@code low} (after a fill). */
  public static Copy padInterior(Shape x, int[] low, Shape out) {
    long[] os = out.strides();
    long offset = 0;
    for (int i = 0; i < os.length; i++) {
      offset += os[i] * low[i];
    }
    return new Copy(x.size(), Indexer.of(x, x.strides(), os), 0, offset);
  }

  /** Operand {@code x} of a concat into {@code out}, starting at {@code at} along {@code axis}. */
  public static Copy concatPiece(Shape x, int axis, int at, Shape out) {
    long[] os = out.strides();
    return new Copy(x.size(), Indexer.of(x, x.strides(), os), 0, at * os[axis]);
  }

  /**
   * The two indexers of {@code kiln_reduce} for reducing {@code x} over {@code axes}: the first
   * walks the kept axes (the output positions), the second the reduced axes of one output.
   */
  public static Indexer[] reduction(Shape x, int[] axes) {
    long[] xs = x.strides();
    boolean[] reduced = new boolean[x.rank()];
    for (int a : axes) {
      reduced[a] = true;
    }
    int[] keptDims = new int[x.rank()];
    int[] redDims = new int[x.rank()];
    long[] keptStrides = new long[x.rank()];
    long[] redStrides = new long[x.rank()];
    int k = 0;
    int r = 0;
    for (int a = 0; a < x.rank(); a++) {
      if (reduced[a]) {
        redDims[r] = x.dim(a);
        redStrides[r++] = xs[a];
      } else {
        keptDims[k] = x.dim(a);
        keptStrides[k++] = xs[a];
      }
    }
    return new Indexer[] {
      Indexer.of(Shape.of(Arrays.copyOf(keptDims, k)), Arrays.copyOf(keptStrides, k)),
      Indexer.of(Shape.of(Arrays.copyOf(redDims, r)), Arrays.copyOf(redStrides, r))
    };
  }

  /** Runs the copy on the host, for tests. */
  public void emulate(double[] x, double[] y) {
    for (long i = 0; i < n; i++) {
      long[] off = indexer.offsets(i);
      y[(int) (yOffset + off[1])] = x[(int) (xOffset + off[0])];
    }
  }
}
