package dev.kiln.engine.cuda.kernels;

import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.PoolSpec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The {@code KilnPool} launch struct of the pooling kernels and the window arithmetic they do,
 * written again here so that tests can check it against the CPU device.
 *
 * <p>The struct is {@code int32 rank, batch, channels, unused; int32 in[8], out[8], window[8],
 * stride[8], lo[8]}: 176 bytes, 4-byte aligned, little-endian.
 */
public final class PoolGeometry {
  /** The struct's size in bytes. */
  public static final int BYTES = 4 * 4 + 5 * 4 * Indexer.MAX_RANK;

  final int rank;
  final int batch;
  final int channels;
  final int[] in;
  final int[] out;
  final int[] window;
  final int[] stride;
  final int[] lo;

  /**
   * The geometry of pooling input {@code x} to {@code y}.
   *
   * @throws IllegalArgumentException when the spatial rank exceeds {@link Indexer#MAX_RANK}
   */
  public PoolGeometry(PoolSpec spec, Shape x, Shape y) {
    rank = spec.window().length;
    if (rank > Indexer.MAX_RANK) {
      throw new IllegalArgumentException(
          "the CUDA pooling kernels take at most "
              + Indexer.MAX_RANK
              + " spatial axes; received "
              + rank);
    }
    batch = x.dim(0);
    channels = x.dim(-1);
    in = Arrays.copyOfRange(x.dims(), 1, rank + 1);
    out = Arrays.copyOfRange(y.dims(), 1, rank + 1);
    window = spec.window();
    stride = spec.strides();
    lo = new int[rank];
    for (int a = 0; a < rank; a++) {
      lo[a] = spec.padding().resolve(a, in[a], window[a], stride[a], 1)[0];
    }
  }

  /**
   * The first and last output index along axis {@code a} whose window covers input index {@code p},
   * as {@code kiln_cover} computes them; first > last when none does.
   */
  public int[] cover(int a, int p) {
    int hi = p + lo[a];
    int low = hi - window[a] + 1;
    int first = low <= 0 ? 0 : (low + stride[a] - 1) / stride[a];
    int last = hi < 0 ? -1 : hi / stride[a];
    return new int[] {first, Math.min(last, out[a] - 1)};
  }

  /** The number of input positions inside the window of output coordinates {@code oc}. */
  public long windowCount(int[] oc) {
    long count = 1;
    for (int a = 0; a < rank; a++) {
      int start = oc[a] * stride[a] - lo[a];
      count *= Math.min(start + window[a], in[a]) - Math.max(start, 0);
    }
    return count;
  }

  /** The input coordinate along axis {@code a} of window slot {@code w} of output {@code o}. */
  public int inputAt(int a, int o, int w) {
    return o * stride[a] - lo[a] + w;
  }

  /** Writes the struct at offset 0 of {@code to} (at least {@link #BYTES} bytes). */
  public void write(MemorySegment to) {
    ValueLayout.OfInt i32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    to.asSlice(0, BYTES).fill((byte) 0);
    int[] head = {rank, batch, channels, 0};
    for (int i = 0; i < head.length; i++) {
      to.set(i32, 4L * i, head[i]);
    }
    int[][] arrays = {in, out, window, stride, lo};
    for (int j = 0; j < arrays.length; j++) {
      for (int a = 0; a < rank; a++) {
        to.set(i32, 16 + 4L * (j * Indexer.MAX_RANK + a), arrays[j][a]);
      }
    }
  }
}
