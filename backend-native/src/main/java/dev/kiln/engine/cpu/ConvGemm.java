package dev.kiln.engine.cpu;

import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.ConvSpec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Float32 convolution as GEMM over an im2col matrix of shape {@code [N * positions, taps * C_in]}
 * (channels-last makes each tap's channels one contiguous run): the forward pass multiplies it by
 * the kernel viewed as {@code [taps * C_in, C_out]}; the input gradient multiplies {@code dy} by
 * the kernel transposed and scatters back (col2im); the filter gradient multiplies the im2col
 * matrix transposed by {@code dy}. The forward pass and the filter gradient never write the im2col
 * matrix: the GEMM reads its rows from the input as it packs them ({@link Im2colRows}); the input
 * gradient's column buffer belongs to its kernel and is reused every run.
 */
final class ConvGemm {
  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

  private ConvGemm() {}

  /** Per-thread heap scratch for im2col, grown on demand and then reused run after run. */
  private static final ThreadLocal<float[]> IMAGE = ThreadLocal.withInitial(() -> new float[0]);

  private static final ThreadLocal<float[]> BLOCK = ThreadLocal.withInitial(() -> new float[0]);

  private static float[] scratch(ThreadLocal<float[]> holder, int floats) {
    float[] a = holder.get();
    if (a.length < floats) {
      a = new float[floats];
      holder.set(a);
    }
    return a;
  }

  private static MemorySegment colBuffer(ConvGeometry g) {
    long floats = (long) g.batch * g.outPositions * g.taps * g.cin;
    return OffHeap.allocate(Arena.ofAuto(), Math.max(4, floats * 4), 64);
  }

  /**
   * The im2col matrix, row {@code n * outPositions + o} for image n and output position o, read
   * straight from the input while the GEMM packs it: writing the matrix out and reading it back
   * cost more than the multiplication for few input channels. Each thread keeps a heap copy of the
   * image it reads (consecutive rows share one), so a tap run is one array copy.
   */
  private static final class Im2colRows implements Gemm.Rows {
    /** Numbers every run of every convolution, so a thread's cached image is never stale. */
    private static final java.util.concurrent.atomic.AtomicLong RUNS =
        new java.util.concurrent.atomic.AtomicLong();

    /** The run and image whose copy this thread's IMAGE scratch holds. */
    private static final ThreadLocal<long[]> LOADED =
        ThreadLocal.withInitial(() -> new long[] {-1, -1});

    private final ConvGeometry g;
    private MemorySegment x;
    private long run;

    Im2colRows(ConvGeometry g) {
      this.g = g;
    }

    /** Reads from {@code x} from now on; a new run, so cached images are stale. */
    void bind(MemorySegment x) {
      this.x = x;
      run = RUNS.incrementAndGet();
    }

    @Override
    public void read(int row, int from, int len, float[] dst, int at) {
      int n = row / g.outPositions;
      int o = row - n * g.outPositions;
      float[] image = image(n);
      int end = from + len;
      for (int i = g.runFrom[o]; i < g.runFrom[o + 1]; i++) {
        int start = g.runTap[i] * g.cin;
        if (start >= end) {
          break;
        }
        int stop = start + g.runLength[i] * g.cin;
        if (stop <= from) {
          continue;
        }
        int lo = Math.max(start, from);
        int hi = Math.min(stop, end);
        int p = g.runInput[i];
        if (p < 0) {
          java.util.Arrays.fill(dst, at + lo - from, at + hi - from, 0f);
        } else {
          System.arraycopy(image, p * g.cin + lo - start, dst, at + lo - from, hi - lo);
        }
      }
    }

    private float[] image(int n) {
      int floats = g.inPositions * g.cin;
      float[] image = scratch(IMAGE, floats);
      long[] loaded = LOADED.get();
      if (loaded[0] != run || loaded[1] != n) {
        MemorySegment.copy(x, F, (long) n * floats * 4, image, 0, floats);
        loaded[0] = run;
        loaded[1] = n;
      }
      return image;
    }
  }

  static Kernel forward(ConvSpec s, TensorType x, TensorType w, TensorType y, CpuPool pool) {
    ConvGeometry g = new ConvGeometry(s, x.shape(), w.shape(), y.shape());
    Im2colRows rows = new Im2colRows(g);
    Gemm.Workspace ws = new Gemm.Workspace();
    int m = g.batch * g.outPositions;
    int k = g.taps * g.cin;
    return (in, out) -> {
      rows.bind(in[0]);
      Gemm.multiply(
          pool, ws, m, g.cout, k, rows, false, in[1], 0, false, out[0], 0, g.cout, false, false);
    };
  }

  /**
   * Column floats per thread in the blocked input gradient: enough images' columns to make a GEMM
   * of a few hundred rows, few enough to stay in the core's L2 between the GEMM that writes them
   * and the col2im that reads them.
   */
  private static final int COL_BLOCK_FLOATS = 1 << 16;

  static Kernel backpropInput(
      ConvSpec s, TensorType dy, TensorType w, TensorType dx, CpuPool pool) {
    ConvGeometry g = new ConvGeometry(s, dx.shape(), w.shape(), dy.shape());
    if (g.batch >= 2 * pool.threads() && pool.threads() > 1) {
      return blockedBackpropInput(g, pool);
    }
    MemorySegment col = colBuffer(g);
    Gemm.Workspace ws = new Gemm.Workspace();
    int m = g.batch * g.outPositions;
    int row = g.taps * g.cin;
    return (in, out) -> {
      Gemm.multiply(pool, ws, m, row, g.cout, in[0], 0, false, in[1], 0, true, col, 0, row, false);
      MemorySegment d = out[0];
      int imageFloats = g.inPositions * g.cin;
      int blockFloats = g.outPositions * row;
      // Images are independent, so threads split the batch and never write the same element; each
      // image is summed in a heap scratch (loops the JIT vectorizes) and stored with one copy.
      pool.parallelFor(
          g.batch,
          1,
          (from, to) -> {
            float[] image = scratch(IMAGE, imageFloats);
            float[] block = scratch(BLOCK, blockFloats);
            for (int n = from; n < to; n++) {
              MemorySegment.copy(col, F, (long) n * blockFloats * 4, block, 0, blockFloats);
              addColumns(g, block, 0, image);
              MemorySegment.copy(image, 0, d, F, (long) n * imageFloats * 4, imageFloats);
            }
          });
    };
  }

  /**
   * The input gradient with the batch split over the threads first: each thread multiplies a few
   * images' {@code dy} rows at a time into its own column block and scatters them at once, so the
   * columns never leave its cache. The whole batch's columns (LeNet's second layer: 8 MB) went out
   * to memory and back: in LeNet's training step on 2 cores, 20 to 50 channels 5x5 "valid" on 8x8
   * took 2.1-2.3 against 2.3-2.6 ms (1.04 against 1.32 times the same run's filter gradient); in
   * isolation, where the columns stay in cache either way, the two are level (1.7-1.8 ms).
   */
  private static Kernel blockedBackpropInput(ConvGeometry g, CpuPool pool) {
    int parts = pool.threads();
    int row = g.taps * g.cin;
    int perImage = g.outPositions * row;
    int images = Math.max(1, Math.min(g.batch / parts, COL_BLOCK_FLOATS / Math.max(1, perImage)));
    int imageFloats = g.inPositions * g.cin;
    Gemm.Workspace[] ws = new Gemm.Workspace[parts];
    // Off-heap like every other GEMM result: a heap segment here made the micro-kernel see two
    // segment kinds, and every GEMM of the step ran slower (LeNet's api step by about 10%).
    MemorySegment[] cols = new MemorySegment[parts];
    for (int t = 0; t < parts; t++) {
      ws[t] = new Gemm.Workspace();
      cols[t] = OffHeap.allocate(Arena.ofAuto(), (long) images * perImage * 4, 64);
    }
    return (in, out) ->
        pool.parallelFor(
            parts,
            1,
            (from, to) -> {
              float[] image = scratch(IMAGE, imageFloats);
              float[] block = scratch(BLOCK, perImage);
              for (int t = from; t < to; t++) {
                MemorySegment col = cols[t];
                // The kernel is packed at this run's first block and kept for the others.
                ws[t].forgetB();
                int n1 = (int) ((long) g.batch * (t + 1) / parts);
                for (int nb = (int) ((long) g.batch * t / parts); nb < n1; nb += images) {
                  int count = Math.min(images, n1 - nb);
                  // Inside a chunk the pool is busy, so this product runs on this thread alone.
                  Gemm.multiply(
                      pool,
                      ws[t],
                      count * g.outPositions,
                      row,
                      g.cout,
                      Gemm.rows(in[0], (long) nb * g.outPositions * g.cout, g.cout),
                      false,
                      in[1],
                      0,
                      true,
                      col,
                      0,
                      row,
                      false,
                      true);
                  for (int i = 0; i < count; i++) {
                    MemorySegment.copy(col, F, (long) i * perImage * 4, block, 0, perImage);
                    addColumns(g, block, 0, image);
                    MemorySegment.copy(
                        image, 0, out[0], F, (long) (nb + i) * imageFloats * 4, imageFloats);
                  }
                }
              }
            });
  }

  /** col2im of one image: {@code image} becomes the sum of its columns, read from {@code at}. */
  private static void addColumns(ConvGeometry g, float[] block, int at, float[] image) {
    int row = g.taps * g.cin;
    java.util.Arrays.fill(image, 0, g.inPositions * g.cin, 0f);
    for (int o = 0, src = at; o < g.outPositions; o++, src += row) {
      for (int i = g.runFrom[o]; i < g.runFrom[o + 1]; i++) {
        int p = g.runInput[i];
        if (p < 0) {
          continue;
        }
        int from1 = src + g.runTap[i] * g.cin;
        int to1 = p * g.cin;
        int floats = g.runLength[i] * g.cin;
        for (int c = 0; c < floats; c++) {
          image[to1 + c] += block[from1 + c];
        }
      }
    }
  }

  static Kernel backpropFilter(
      ConvSpec s, TensorType x, TensorType dy, TensorType dw, CpuPool pool) {
    ConvGeometry g = new ConvGeometry(s, x.shape(), dw.shape(), dy.shape());
    Im2colRows rows = new Im2colRows(g);
    Gemm.Workspace ws = new Gemm.Workspace();
    int m = g.batch * g.outPositions;
    int row = g.taps * g.cin;
    return (in, out) -> {
      rows.bind(in[0]);
      Gemm.multiply(
          pool, ws, row, g.cout, m, rows, true, in[1], 0, false, out[0], 0, g.cout, false, false);
    };
  }
}
