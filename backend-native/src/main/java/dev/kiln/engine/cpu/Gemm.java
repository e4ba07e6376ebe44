package dev.kiln.engine.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision matrix multiply, {@code C = op(A) op(B)} (or {@code C += ...}), in the
 * GotoBLAS/BLIS structure: B is packed into column panels {@code NR} wide for a depth block of
 * {@code KC}, A into row panels {@code MR} high, and a register-blocked micro-kernel computes an
 * {@code MR x NR} tile of C from one A panel and one B panel with {@code 2 * MR} accumulator
 * vectors. Transposed operands are handled by the packing, so no transposed copy is made.
 *
 * <p>Threads split the row blocks of C (and the columns when there are too few row blocks); each
 * thread packs its own A block into its own buffer, so the only shared write is C, in disjoint
 * tiles.
 */
final class Gemm {
  static final VectorSpecies<Float> S = VectorWidth.F32;
  static final int V = S.length();

  /**
   * Native segments' class, which the micro-kernel and B's packing cast their segments to (see
   * DirectConv's): after heap-segment vector loads elsewhere in the JVM, 512^3 ran at 32 GFLOP/s
   * without the casts and 110-127 with them; in a clean JVM the casts cost nothing measurable.
   */
  static final Class<? extends MemorySegment> NATIVE = MemorySegment.NULL.getClass();

  /**
   * Rows per micro-tile. With {@code NR = 2V} columns, 6 rows keep 12 accumulators, 2 B vectors and
   * an A broadcast in registers (15 of AVX-512's 32): enough FMAs in flight to hide their latency.
   * (8 rows ran faster in a standalone probe, but C1 could not compile that kernel, "out of virtual
   * registers", and it sometimes never reached C2.)
   */
  static final int MR = 6;

  static final int NR = 2 * V;

  /**
   * Depth block. A B micro-panel (KC x NR floats, 64 KB) streams from L2 at two vector loads per
   * six cycles of FMAs, well under L2's bandwidth, so a deep block costs nothing there and halves
   * the C tile loads and stores, the packing passes and the pool hand-offs of KC = 256 (measured on
   * one core at N = 1024-2048: 96 vs 89 GFLOP/s).
   */
  static final int KC = 512;

  /** Row block: an A block of MC x KC floats (384 KB) fits in the 1 MB L2 beside a B panel. */
  static final int MC = 32 * MR;

  private Gemm() {}

  /** Per-thread packing buffers, sized for the largest blocks. */
  /*
   * Packed panels live in native memory: the JIT hoists MemorySegment bounds checks out of the
   * micro-kernel loop, where heap-array vector loads kept one check per load (measured: 40 vs 112
   * GFLOP/s for the same kernel on one core).
   */
  private static final ThreadLocal<MemorySegment> A_PACK =
      ThreadLocal.withInitial(() -> Arena.ofAuto().allocate((long) MC * KC * 4, 64));

  private static final ByteOrder ORDER = ByteOrder.nativeOrder();

  /**
   * A full MR x NR tile that partial tiles are computed into by the same micro-kernel: the packed
   * panels are zero-padded, so only copying out the valid part differs. (A second, masked kernel
   * was as large as the main one and C1 could not compile it, leaving it interpreted.)
   */
  private static final ThreadLocal<MemorySegment> EDGE_TILE =
      ThreadLocal.withInitial(() -> Arena.ofAuto().allocate((long) MR * NR * 4, 64));

  /** Buffers that one multiplication needs across threads; reused from run to run. */
  static final class Workspace {
    private MemorySegment bPack = MemorySegment.NULL;
    private MemorySegment bKept = MemorySegment.NULL;
    private boolean bKeptValid;

    MemorySegment bPack(long floats) {
      if (bPack.byteSize() < floats * 4) {
        bPack = OffHeap.allocate(Arena.ofAuto(), floats * 4, 64);
      }
      return bPack;
    }

    /** Room for every depth block of a packed B, kept from one multiplication to the next. */
    MemorySegment bKept(long floats) {
      if (bKept.byteSize() < floats * 4) {
        bKept = OffHeap.allocate(Arena.ofAuto(), floats * 4, 64);
        bKeptValid = false;
      }
      return bKept;
    }

    private MemorySegment scratch = MemorySegment.NULL;

    /** A result-sized buffer for products computed transposed. */
    MemorySegment scratch(long floats) {
      if (scratch.byteSize() < floats * 4) {
        scratch = OffHeap.allocate(Arena.ofAuto(), floats * 4, 64);
      }
      return scratch;
    }

    /** B has changed: the next multiplication that keeps B packs it again. */
    void forgetB() {
      bKeptValid = false;
    }
  }

  /**
   * The stored rows of A, read a segment at a time while A is packed: row {@code i} of op(A) when A
   * is not transposed, column {@code i} of op(A) when it is. A convolution supplies its im2col
   * matrix this way without ever writing it out.
   */
  interface Rows {
    /**
     * Copies stored row {@code row}, elements {@code from} to {@code from + len}, to {@code
     * dst[at]}.
     */
    void read(int row, int from, int len, float[] dst, int at);
  }

  /** The stored rows of a row-major matrix in memory, {@code ld} floats apart. */
  static Rows rows(MemorySegment a, long off, int ld) {
    return new SegmentRows(a, off, ld);
  }

  /** Stored rows of a row-major matrix in memory, {@code ld} floats apart. */
  private record SegmentRows(MemorySegment a, long off, int ld) implements Rows {
    @Override
    public void read(int row, int from, int len, float[] dst, int at) {
      MemorySegment.copy(
          a, ValueLayout.JAVA_FLOAT, (off + (long) row * ld + from) * 4, dst, at, len);
    }
  }

  /**
   * Computes {@code C[m x n] (+)= op(A) op(B)}.
   *
   * @param a A's memory, row-major {@code m x k} (or {@code k x m} when {@code ta})
   * @param aOff A's first element
   * @param b B's memory, row-major {@code k x n} (or {@code n x k} when {@code tb})
   * @param bOff B's first element
   * @param c C's memory, row-major {@code m x n} with row stride {@code ldc}
   * @param cOff C's first element
   * @param accumulate add to C instead of overwriting it
   */
  static void multiply(
      CpuPool pool,
      Workspace ws,
      int m,
      int n,
      int k,
      MemorySegment a,
      long aOff,
      boolean ta,
      MemorySegment b,
      long bOff,
      boolean tb,
      MemorySegment c,
      long cOff,
      int ldc,
      boolean accumulate) {
    if (SWAP_ENABLED && tb && !ta && !accumulate && (long) m * SWAP_RATIO <= n && k > 0) {
      multiplySwapped(pool, ws, m, n, k, a, aOff, b, bOff, c, cOff, ldc);
      return;
    }
    multiply(
        pool,
        ws,
        m,
        n,
        k,
        new SegmentRows(a, aOff, ta ? m : k),
        ta,
        b,
        bOff,
        tb,
        c,
        cOff,
        ldc,
        accumulate,
        false);
  }

  /**
   * {@code A B^T} with B at least this many times as tall as A is computed as {@code (B A^T)^T}.
   * Packing a transposed B gathers every element of B for a product that uses each packed element
   * only {@code m} times; swapped, B is packed as row-major A (contiguous copies) and only the
   * small A is gathered. Per 2 cores, {@code [64, 500] x [800, 500]^T} (a Dense layer's input
   * gradient): 0.63 ms direct, 0.39 ms swapped.
   */
  private static final int SWAP_RATIO = 4;

  /** Off with {@code -Dkiln.native.gemmSwap=false}, to compare. */
  private static final boolean SWAP_ENABLED =
      !"false".equals(System.getProperty("kiln.native.gemmSwap"));

  /** {@code C = A B^T} as {@code C^T = B A^T} into the workspace, then transposed into C. */
  private static void multiplySwapped(
      CpuPool pool,
      Workspace ws,
      int m,
      int n,
      int k,
      MemorySegment a,
      long aOff,
      MemorySegment b,
      long bOff,
      MemorySegment c,
      long cOff,
      int ldc) {
    MemorySegment ct = ws.scratch((long) n * m);
    multiply(
        pool,
        ws,
        n,
        m,
        k,
        new SegmentRows(b, bOff, k),
        false,
        a,
        aOff,
        true,
        ct,
        0,
        m,
        false,
        false);
    pool.parallelFor(
        m,
        Math.max(1, (1 << 14) / Math.max(1, n)),
        (from, to) -> {
          for (int i = from; i < to; i++) {
            long dst = cOff + (long) i * ldc;
            for (int j = 0; j < n; j++) {
              c.setAtIndex(
                  ValueLayout.JAVA_FLOAT,
                  dst + j,
                  ct.getAtIndex(ValueLayout.JAVA_FLOAT, (long) j * m + i));
            }
          }
        });
  }

  /**
   * As {@link #multiply(CpuPool, Workspace, int, int, int, MemorySegment, long, boolean,
   * MemorySegment, long, boolean, MemorySegment, long, int, boolean)}, with A read through {@code
   * a} (a convolution supplies its im2col rows this way). With {@code keepB} the packed B stays in
   * {@code ws} and later calls reuse it instead of reading {@code b}, until {@link
   * Workspace#forgetB()}: a loop that multiplies by the same matrix at every step packs it once.
   */
  static void multiply(
      CpuPool pool,
      Workspace ws,
      int m,
      int n,
      int k,
      Rows a,
      boolean ta,
      MemorySegment b,
      long bOff,
      boolean tb,
      MemorySegment c,
      long cOff,
      int ldc,
      boolean accumulate,
      boolean keepB) {
    if (m == 0 || n == 0) {
      return;
    }
    if (k == 0) {
      if (!accumulate) {
        for (int i = 0; i < m; i++) {
          c.asSlice((cOff + (long) i * ldc) * 4, (long) n * 4).fill((byte) 0);
        }
      }
      return;
    }
    int panels = (n + NR - 1) / NR;
    MemorySegment bp = keepB ? ws.bKept((long) panels * NR * k) : ws.bPack((long) panels * NR * KC);
    boolean packed = keepB && ws.bKeptValid;
    // Row blocks in a multiple of the thread count, so each thread gets the same number (784 rows
    // on two threads: 6 x 132, not 5 x 157 split 3:2), while a block keeps four micro-panels or
    // more. Threads that split the columns of one row block would each pack the whole A block.
    int threads = pool.threads();
    int rowBlocks =
        Math.max(
            (m + MC - 1) / MC,
            Math.min(((m + MC - 1) / MC + threads - 1) / threads * threads, m / (4 * MR)));
    // Equal row blocks (a multiple of MR each), so threads get equal work: 300 rows become
    // 2 x 150 rather than 192 + 108.
    int mcEff = ((m + rowBlocks - 1) / rowBlocks + MR - 1) / MR * MR;
    // Enough tasks for every thread: split columns too when rows are few.
    int colGroups = Math.max(1, Math.min(panels, (threads + rowBlocks - 1) / rowBlocks));
    int tasks = rowBlocks * colGroups;
    for (int pc = 0; pc < k; pc += KC) {
      int kc = Math.min(KC, k - pc);
      int p0 = pc;
      // A kept B holds every depth block; depth block pc starts after the pc rows before it.
      long blockAt = keepB ? (long) pc * panels * NR : 0;
      if (!packed) {
        pool.parallelFor(
            panels,
            Math.max(1, Math.min(panels / pool.threads(), 64 / Math.max(1, kc / 64))),
            (from, to) -> {
              for (int jp = from; jp < to; jp++) {
                packB(b, bOff, tb, k, n, p0, kc, jp * NR, bp, blockAt + (long) jp * NR * kc);
              }
            });
      }
      boolean acc = accumulate || pc > 0;
      // One task per thread-sized piece; grain 1 because each task is already large.
      long flops = (long) m * n * kc;
      int grain = flops < 1 << 16 ? tasks : 1;
      pool.parallelFor(
          tasks,
          grain,
          (from, to) -> {
            MemorySegment ap = A_PACK.get();
            MemorySegment tile = EDGE_TILE.get();
            for (int t = from; t < to; t++) {
              int rb = t / colGroups;
              int cg = t % colGroups;
              int i0 = rb * mcEff;
              int mc = Math.min(mcEff, m - i0);
              if (mc <= 0) {
                continue;
              }
              int jpFrom = panels * cg / colGroups;
              int jpTo = panels * (cg + 1) / colGroups;
              packA(a, ta, i0, mc, p0, kc, ap);
              for (int jp = jpFrom; jp < jpTo; jp++) {
                int j0 = jp * NR;
                int nr = Math.min(NR, n - j0);
                for (int ir = 0; ir < mc; ir += MR) {
                  int mr = Math.min(MR, mc - ir);
                  long cAt = cOff + (long) (i0 + ir) * ldc + j0;
                  long bAt = blockAt + (long) jp * NR * kc;
                  if (mr == MR && nr == NR) {
                    kernel(kc, ap, (long) ir * kc, bp, bAt, c, cAt, ldc, acc);
                  } else {
                    kernel(kc, ap, (long) ir * kc, bp, bAt, tile, 0, NR, false);
                    copyOut(tile, c, cAt, ldc, acc, mr, nr);
                  }
                }
              }
            }
          });
    }
    if (keepB) {
      ws.bKeptValid = true;
    }
  }

  /**
   * Packs op(B)[p0:p0+kc, j0:j0+NR] as kc rows of NR floats, zero-padded past n. A full panel of
   * row-major B moves as two vectors per row; a transposed or ragged one is gathered in a heap
   * scratch with bulk copies (per-row segment copies and element accesses cost a bounds and
   * alignment check each, which made packing a fifth of the micro-kernel's time). Each layout has
   * its own small method, so the JIT compiles each once and early.
   */
  private static void packB(
      MemorySegment b,
      long bOff,
      boolean tb,
      int k,
      int n,
      int p0,
      int kc,
      int j0,
      MemorySegment bp,
      long at) {
    int nr = Math.min(NR, n - j0);
    if (tb) {
      packBColumns(b, bOff + (long) j0 * k + p0, k, nr, kc, bp, at);
    } else if (nr == NR) {
      packBRows(b, bOff + (long) p0 * n + j0, n, kc, bp, at);
    } else {
      packBRagged(b, bOff + (long) p0 * n + j0, n, nr, kc, bp, at);
    }
  }

  /** Full panel of row-major B: kc rows of NR floats, {@code ldb} apart. */
  private static void packBRows(
      MemorySegment b, long from, int ldb, int kc, MemorySegment bp, long at) {
    b = NATIVE.cast(b);
    bp = NATIVE.cast(bp);
    for (int p = 0; p < kc; p++) {
      long src = (from + (long) p * ldb) * 4;
      long dst = (at + (long) p * NR) * 4;
      FloatVector.fromMemorySegment(S, b, src, ORDER).intoMemorySegment(bp, dst, ORDER);
      FloatVector.fromMemorySegment(S, b, src + 4L * V, ORDER)
          .intoMemorySegment(bp, dst + 4L * V, ORDER);
    }
  }

  /** The last, narrower panel of row-major B, zero-padded to NR. */
  private static void packBRagged(
      MemorySegment b, long from, int ldb, int nr, int kc, MemorySegment bp, long at) {
    float[] block = PACK_B.get();
    java.util.Arrays.fill(block, 0, kc * NR, 0f);
    for (int p = 0; p < kc; p++) {
      MemorySegment.copy(b, ValueLayout.JAVA_FLOAT, (from + (long) p * ldb) * 4, block, p * NR, nr);
    }
    MemorySegment.copy(block, 0, bp, ValueLayout.JAVA_FLOAT, at * 4, kc * NR);
  }

  /** Transposed B: row j of the stored matrix holds column j of the panel, kc floats long. */
  private static void packBColumns(
      MemorySegment b, long from, int ldb, int nr, int kc, MemorySegment bp, long at) {
    float[] rows = PACK_ROWS.get();
    float[] block = PACK_B.get();
    for (int j = 0; j < nr; j++) {
      MemorySegment.copy(b, ValueLayout.JAVA_FLOAT, (from + (long) j * ldb) * 4, rows, j * kc, kc);
    }
    java.util.Arrays.fill(rows, nr * kc, NR * kc, 0f);
    for (int j = 0; j < NR; j++) {
      int src = j * kc;
      for (int p = 0, d = j; p < kc; p++, d += NR) {
        block[d] = rows[src + p];
      }
    }
    MemorySegment.copy(block, 0, bp, ValueLayout.JAVA_FLOAT, at * 4, kc * NR);
  }

  /**
   * Packs op(A)[i0:i0+mc, p0:p0+kc] as row panels of MR rows, each kc columns of MR floats,
   * zero-padded past the last row. Rows are read with bulk copies into a heap scratch and
   * interleaved there; element-wise segment accesses cost a bounds check each and made packing the
   * hot spot of small-k convolutions.
   */
  private static void packA(Rows a, boolean ta, int i0, int mc, int p0, int kc, MemorySegment ap) {
    if (ta) {
      packAColumns(a, i0, mc, p0, kc, ap);
    } else {
      packARows(a, i0, mc, p0, kc, ap);
    }
  }

  /** Row-major A: each panel's MR rows are copied out, then interleaved. */
  private static void packARows(Rows a, int i0, int mc, int p0, int kc, MemorySegment ap) {
    float[] rows = PACK_ROWS.get();
    float[] block = PACK_BLOCK.get();
    for (int ir = 0; ir < mc; ir += MR) {
      int mr = Math.min(MR, mc - ir);
      for (int r = 0; r < mr; r++) {
        a.read(i0 + ir + r, p0, kc, rows, r * kc);
      }
      java.util.Arrays.fill(rows, mr * kc, MR * kc, 0f);
      interleave(rows, kc, block);
      MemorySegment.copy(block, 0, ap, ValueLayout.JAVA_FLOAT, (long) ir * kc * 4, kc * MR);
    }
  }

  /** {@code block[p * MR + r] = rows[r * kc + p]} for the MR rows. */
  private static void interleave(float[] rows, int kc, float[] block) {
    for (int p = 0, d = 0; p < kc; p++, d += MR) {
      block[d] = rows[p];
      block[d + 1] = rows[kc + p];
      block[d + 2] = rows[2 * kc + p];
      block[d + 3] = rows[3 * kc + p];
      block[d + 4] = rows[4 * kc + p];
      block[d + 5] = rows[5 * kc + p];
    }
  }

  /** Transposed A: stored row p holds op(A)[i0:i0+mc, p] contiguously; one copy per p. */
  private static void packAColumns(Rows a, int i0, int mc, int p0, int kc, MemorySegment ap) {
    float[] rows = PACK_ROWS.get();
    float[] block = PACK_BLOCK.get();
    int width = (mc + MR - 1) / MR * MR;
    for (int p = 0; p < kc; p++) {
      a.read(p0 + p, i0, mc, rows, p * width);
      java.util.Arrays.fill(rows, p * width + mc, (p + 1) * width, 0f);
    }
    for (int ir = 0; ir < mc; ir += MR) {
      for (int p = 0, s = ir, d = 0; p < kc; p++, s += width, d += MR) {
        block[d] = rows[s];
        block[d + 1] = rows[s + 1];
        block[d + 2] = rows[s + 2];
        block[d + 3] = rows[s + 3];
        block[d + 4] = rows[s + 4];
        block[d + 5] = rows[s + 5];
      }
      MemorySegment.copy(block, 0, ap, ValueLayout.JAVA_FLOAT, (long) ir * kc * 4, kc * MR);
    }
  }

  private static final ThreadLocal<float[]> PACK_ROWS =
      ThreadLocal.withInitial(() -> new float[(MC + MR) * KC]);

  private static final ThreadLocal<float[]> PACK_BLOCK =
      ThreadLocal.withInitial(() -> new float[MR * KC]);

  private static final ThreadLocal<float[]> PACK_B =
      ThreadLocal.withInitial(() -> new float[NR * KC]);

  /** Row scratch for adding an edge tile into C. */
  private static final ThreadLocal<float[]> EDGE_ROWS =
      ThreadLocal.withInitial(() -> new float[2 * NR]);

  /**
   * Copies the valid part of an edge tile into C with one bulk copy per row: element-wise segment
   * accesses (a bounds check each) made the edges of narrow outputs, such as 20 or 50 conv
   * channels, cost as much as their full tiles.
   */
  private static void copyOut(
      MemorySegment tile, MemorySegment c, long cAt, int ldc, boolean acc, int mr, int nr) {
    ValueLayout.OfFloat f = ValueLayout.JAVA_FLOAT;
    if (!acc) {
      for (int r = 0; r < mr; r++) {
        MemorySegment.copy(tile, f, (long) r * NR * 4, c, f, (cAt + (long) r * ldc) * 4, nr);
      }
      return;
    }
    float[] rows = EDGE_ROWS.get();
    for (int r = 0; r < mr; r++) {
      long at = (cAt + (long) r * ldc) * 4;
      MemorySegment.copy(tile, f, (long) r * NR * 4, rows, 0, nr);
      MemorySegment.copy(c, f, at, rows, NR, nr);
      for (int j = 0; j < nr; j++) {
        rows[j] += rows[NR + j];
      }
      MemorySegment.copy(rows, 0, c, f, at, nr);
    }
  }

  /** The MR x NR micro-kernel, unrolled by hand so every accumulator is a register. */
  private static void kernel(
      int kc,
      MemorySegment ap,
      long aAt,
      MemorySegment bp,
      long bAt,
      MemorySegment c,
      long cAt,
      int ldc,
      boolean acc) {
    ap = NATIVE.cast(ap);
    bp = NATIVE.cast(bp);
    c = NATIVE.cast(c);
    FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
    FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
    // Indices linear in the loop variable let C2 hoist the bounds checks out of the loop.
    for (long p = 0; p < kc; p++) {
      long bi = (bAt + p * NR) * 4;
      long ai = (aAt + p * MR) * 4;
      FloatVector b0 = FloatVector.fromMemorySegment(S, bp, bi, ORDER);
      FloatVector b1 = FloatVector.fromMemorySegment(S, bp, bi + 4L * V, ORDER);
      FloatVector a;
      a = FloatVector.broadcast(S, ap.get(ValueLayout.JAVA_FLOAT, ai));
      c00 = a.fma(b0, c00);
      c01 = a.fma(b1, c01);
      a = FloatVector.broadcast(S, ap.get(ValueLayout.JAVA_FLOAT, ai + 4));
      c10 = a.fma(b0, c10);
      c11 = a.fma(b1, c11);
      a = FloatVector.broadcast(S, ap.get(ValueLayout.JAVA_FLOAT, ai + 8));
      c20 = a.fma(b0, c20);
      c21 = a.fma(b1, c21);
      a = FloatVector.broadcast(S, ap.get(ValueLayout.JAVA_FLOAT, ai + 12));
      c30 = a.fma(b0, c30);
      c31 = a.fma(b1, c31);
      a = FloatVector.broadcast(S, ap.get(ValueLayout.JAVA_FLOAT, ai + 16));
      c40 = a.fma(b0, c40);
      c41 = a.fma(b1, c41);
      a = FloatVector.broadcast(S, ap.get(ValueLayout.JAVA_FLOAT, ai + 20));
      c50 = a.fma(b0, c50);
      c51 = a.fma(b1, c51);
    }
    // Stores written out here: passing vectors to a helper that C2 declines to inline (this
    // method is large) would box every accumulator.
    long r0 = (cAt + 0L * ldc) * 4;
    long r1 = (cAt + 1L * ldc) * 4;
    long r2 = (cAt + 2L * ldc) * 4;
    long r3 = (cAt + 3L * ldc) * 4;
    long r4 = (cAt + 4L * ldc) * 4;
    long r5 = (cAt + 5L * ldc) * 4;
    if (acc) {
      c00 = c00.add(FloatVector.fromMemorySegment(S, c, r0, ORDER));
      c01 = c01.add(FloatVector.fromMemorySegment(S, c, r0 + 4L * V, ORDER));
      c10 = c10.add(FloatVector.fromMemorySegment(S, c, r1, ORDER));
      c11 = c11.add(FloatVector.fromMemorySegment(S, c, r1 + 4L * V, ORDER));
      c20 = c20.add(FloatVector.fromMemorySegment(S, c, r2, ORDER));
      c21 = c21.add(FloatVector.fromMemorySegment(S, c, r2 + 4L * V, ORDER));
      c30 = c30.add(FloatVector.fromMemorySegment(S, c, r3, ORDER));
      c31 = c31.add(FloatVector.fromMemorySegment(S, c, r3 + 4L * V, ORDER));
      c40 = c40.add(FloatVector.fromMemorySegment(S, c, r4, ORDER));
      c41 = c41.add(FloatVector.fromMemorySegment(S, c, r4 + 4L * V, ORDER));
      c50 = c50.add(FloatVector.fromMemorySegment(S, c, r5, ORDER));
      c51 = c51.add(FloatVector.fromMemorySegment(S, c, r5 + 4L * V, ORDER));
    }
    c00.intoMemorySegment(c, r0, ORDER);
    c01.intoMemorySegment(c, r0 + 4L * V, ORDER);
    c10.intoMemorySegment(c, r1, ORDER);
    c11.intoMemorySegment(c, r1 + 4L * V, ORDER);
    c20.intoMemorySegment(c, r2, ORDER);
    c21.intoMemorySegment(c, r2 + 4L * V, ORDER);
    c30.intoMemorySegment(c, r3, ORDER);
    c31.intoMemorySegment(c, r3 + 4L * V, ORDER);
    c40.intoMemorySegment(c, r4, ORDER);
    c41.intoMemorySegment(c, r4 + 4L * V, ORDER);
    c50.intoMemorySegment(c, r5, ORDER);
    c51.intoMemorySegment(c, r5 + 4L * V, ORDER);
  }
}
