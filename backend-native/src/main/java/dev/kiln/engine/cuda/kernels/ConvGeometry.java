package dev.kiln.engine.cuda.kernels;

import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.ConvSpec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The {@code KilnConv} launch struct of the im2col and col2im kernels, for a launch covering {@code
 * batch} images of a channels-last N-d convolution, and the index arithmetic those kernels do,
 * written again here so that tests can check it against the CPU device.
 *
 * <p>The struct is {@code int32 rank, batch, cin, cout, groups, cinG, coutG; int32 in[8], out[8],
 * k[8], stride[8], dil[8], lo[8]}: 220 bytes, 4-byte aligned, little-endian.
 */
public final class ConvGeometry {
  /** The struct's size in bytes. */
  public static final int BYTES = 7 * 4 + 6 * 4 * Indexer.MAX_RANK;

  final int rank;
  final int batch;
  final int cin;
  final int cout;
  final int groups;
  final int cinG;
  final int coutG;
  final int[] in;
  final int[] out;
  final int[] k;
  final int[] stride;
  final int[] dil;
  final int[] lo;

  /**
   * The geometry of a convolution of input {@code x} with kernel {@code w} giving {@code y}, for a
   * launch over {@code batch} images.
   *
   * @throws IllegalArgumentException when the spatial rank exceeds {@link Indexer#MAX_RANK}
   */
  public ConvGeometry(ConvSpec spec, Shape x, Shape w, Shape y, int batch) {
    rank = spec.spatialRank();
    if (rank > Indexer.MAX_RANK) {
      throw new IllegalArgumentException(
          "the CUDA convolution kernels take at most "
              + Indexer.MAX_RANK
              + " spatial axes; received "
              + rank);
    }
    this.batch = batch;
    cin = x.dim(-1);
    cout = w.dim(-1);
    groups = spec.groups();
    cinG = w.dim(-2);
    coutG = cout / groups;
    in = Arrays.copyOfRange(x.dims(), 1, rank + 1);
    out = Arrays.copyOfRange(y.dims(), 1, rank + 1);
    k = Arrays.copyOfRange(w.dims(), 0, rank);
    stride = spec.strides();
    dil = spec.dilations();
    lo = new int[rank];
    for (int a = 0; a < rank; a++) {
      lo[a] = spec.padding().resolve(a, in[a], k[a], stride[a], dil[a])[0];
    }
  }

  /** Output positions per image. */
  public long outPositions() {
    return prod(out);
  }

  /** Input positions per image. */
  public long inPositions() {
    return prod(in);
  }

  /** Kernel taps. */
  public long taps() {
    return prod(k);
  }

  /** Rows of the column matrix: images times output positions. */
  public long rows() {
    return batch * outPositions();
  }

  /** Columns of one group's column matrix: taps times input channels per group. */
  public long columns() {
    return taps() * cinG;
  }

  /** Elements of the column matrix ({@code groups * rows * columns}), the im2col launch size. */
  public long columnElements() {
    return groups * rows() * columns();
  }

  /** The flat input position under output position {@code o} and tap {@code tap}, or -1. */
  public long inputAt(long o, long tap) {
    int[] oc = new int[rank];
    int[] kc = new int[rank];
    for (int a = rank - 1; a >= 0; a--) {
      oc[a] = (int) (o % out[a]);
      o /= out[a];
      kc[a] = (int) (tap % k[a]);
      tap /= k[a];
    }
    long flat = 0;
    boolean inside = true;
    for (int a = 0; a < rank; a++) {
      int p = oc[a] * stride[a] - lo[a] + kc[a] * dil[a];
      inside &= p >= 0 && p < in[a];
      flat = flat * in[a] + p;
    }
    return inside ? flat : -1;
  }

  /** The element of x that column element {@code e} copies, or -1 for padding (kiln_im2col). */
  public long im2colSource(long e) {
    long ci = e % cinG;
    long t = e / cinG;
    long tap = t % taps();
    t /= taps();
    long row = t % rows();
    long grp = t / rows();
    long n = row / outPositions();
    long o = row % outPositions();
    long p = inputAt(o, tap);
    return p < 0 ? -1 : (n * inPositions() + p) * cin + grp * cinG + ci;
  }

  /** The column elements that col2im sums into dx element {@code e} (kiln_col2im). */
  public long[] col2imSources(long e) {
    long c = e % cin;
    long t = e / cin;
    long p = t % inPositions();
    long n = t / inPositions();
    long grp = c / cinG;
    long ci = c % cinG;
    int[] pc = new int[rank];
    long rest = p;
    for (int a = rank - 1; a >= 0; a--) {
      pc[a] = (int) (rest % in[a]);
      rest /= in[a];
    }
    long[] found = new long[(int) taps()];
    int count = 0;
    for (long tap = 0; tap < taps(); tap++) {
      long kRest = tap;
      long o = 0;
      long scale = 1;
      boolean hit = true;
      for (int a = rank - 1; a >= 0 && hit; a--) {
        int ka = (int) (kRest % k[a]);
        kRest /= k[a];
        int num = pc[a] + lo[a] - ka * dil[a];
        if (num < 0 || num % stride[a] != 0 || num / stride[a] >= out[a]) {
          hit = false;
        } else {
          o += scale * (num / stride[a]);
          scale *= out[a];
        }
      }
      if (hit) {
        found[count++] = ((grp * rows() + n * outPositions() + o) * taps() + tap) * cinG + ci;
      }
    }
    return Arrays.copyOf(found, count);
  }

  /** The per-group GEMM of the forward op: y_g = col_g @ w_g. */
  public Gemm forwardGemm() {
    return new Gemm(
        false,
        false,
        rows(),
        coutG,
        columns(),
        columns(),
        cout,
        cout,
        groups,
        Gemm.uniformBatch(groups, rows() * columns(), coutG, coutG));
  }

  /** The per-group GEMM of the input gradient: dcol_g = dy_g @ w_g^T. */
  public Gemm inputGradientGemm() {
    return new Gemm(
        false,
        true,
        rows(),
        columns(),
        coutG,
        cout,
        cout,
        columns(),
        groups,
        Gemm.uniformBatch(groups, coutG, coutG, rows() * columns()));
  }

  /** The per-group GEMM of the filter gradient: dw_g (+)= col_g^T @ dy_g. */
  public Gemm filterGradientGemm() {
    return new Gemm(
        true,
        false,
        columns(),
        coutG,
        rows(),
        columns(),
        cout,
        cout,
        groups,
        Gemm.uniformBatch(groups, rows() * columns(), coutG, coutG));
  }

  /** Writes the struct at offset 0 of {@code to} (at least {@link #BYTES} bytes). */
  public void write(MemorySegment to) {
    ValueLayout.OfInt i32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    to.asSlice(0, BYTES).fill((byte) 0);
    int[] head = {rank, batch, cin, cout, groups, cinG, coutG};
    for (int i = 0; i < head.length; i++) {
      to.set(i32, 4L * i, head[i]);
    }
    int[][] arrays = {in, out, k, stride, dil, lo};
    for (int j = 0; j < arrays.length; j++) {
      for (int a = 0; a < rank; a++) {
        to.set(i32, 28 + 4L * (j * Indexer.MAX_RANK + a), arrays[j][a]);
      }
    }
  }

  static long prod(int[] d) {
    long p = 1;
    for (int v : d) {
      p *= v;
    }
    return p;
  }
}
