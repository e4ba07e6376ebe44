package dev.kiln.engine.cuda.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.engine.cuda.CudaDevices;
import dev.kiln.engine.cuda.driver.CudaDriver;
import dev.kiln.engine.cuda.driver.KernelParameters;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.ArgFn;
import dev.kiln.spi.ir.BinaryFn;
import dev.kiln.spi.ir.ConvSpec;
import dev.kiln.spi.ir.Distribution;
import dev.kiln.spi.ir.LinalgOp;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.ReduceFn;
import dev.kiln.spi.random.Philox;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Kiln's PTX on a real GPU: every module JIT-compiles for the device and every catalogue kernel
 * resolves; then a few kernels run against host results (broadcast add, both tiled GEMMs with
 * transposes and tails, batched GEMM, Philox random, reduction, arg max, softmax, convolution
 * through im2col and GEMM). Skipped, with the reason, where there is no usable CUDA device.
 */
@Tag("gpu")
class KernelsOnGpuTest {
  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
  private static CudaDriver d;
  private static int device;
  private static MemorySegment stream;
  private static KernelCatalog catalog;
  private static final Map<String, MemorySegment> modules = new HashMap<>();
  private static final List<Long> allocations = new ArrayList<>();
  private static final Arena arena = Arena.ofShared();

  private static CudaDevices.Status status;

  @BeforeAll
  static void open() {
    status = CudaDevices.shared();
    if (!status.usable()) {
      return;
    }
    CudaDevices.Info info = status.devices().get(0);
    d = status.driver();
    device = d.device(0);
    d.ctxSetCurrent(d.primaryContextRetain(device));
    stream = d.streamCreate(CudaDriver.STREAM_NON_BLOCKING);
    catalog = KernelCatalog.forComputeCapability(info.major(), info.minor());
    for (String m : KernelCatalog.moduleNames()) {
      modules.put(m, d.moduleLoadData(catalog.module(m).text()));
    }
  }

  @AfterAll
  static void close() {
    if (d == null) {
      return;
    }
    allocations.forEach(d::memFree);
    modules.values().forEach(d::moduleUnload);
    d.streamDestroy(stream);
    d.primaryContextRelease(device);
    arena.close();
  }

  /** Skips the test, naming why, where there is no usable GPU. */
  private static void requireGpu() {
    assumeTrue(status.usable(), () -> "no usable CUDA device: " + status.reason());
  }

  private static MemorySegment function(CudaKernel k) {
    catalog.entry(k);
    return d.moduleGetFunction(modules.get(k.module()), k.name());
  }

  private static long upload(float[] v) {
    long at = alloc(4L * Math.max(1, v.length));
    MemorySegment host = arena.allocate(4L * Math.max(1, v.length), 8);
    MemorySegment.copy(v, 0, host, F, 0, v.length);
    d.memcpyHtoDAsync(at, host, 4L * v.length, stream);
    d.streamSynchronize(stream);
    return at;
  }

  private static long alloc(long bytes) {
    long at = d.memAlloc(Math.max(8, bytes));
    allocations.add(at);
    return at;
  }

  private static MemorySegment download(long from, long bytes) {
    MemorySegment host = arena.allocate(Math.max(8, bytes), 8);
    d.memcpyDtoHAsync(host, from, bytes, stream);
    d.streamSynchronize(stream);
    return host;
  }

  private static float[] downloadFloats(long from, int n) {
    return download(from, 4L * n).asSlice(0, 4L * n).toArray(F);
  }

  private static void launch(CudaKernel k, int[] grid, int[] block, KernelParameters p) {
    d.launchKernel(function(k), grid, block, 0, stream, p);
    d.streamSynchronize(stream);
  }

  private static int[] blocks(long n) {
    return new int[] {(int) Math.min(65535, Math.max(1, (n + 255) / 256)), 1, 1};
  }

  private static final int[] THREADS = {256, 1, 1};

  private static MemorySegment struct(int bytes) {
    return arena.allocate(bytes, 8);
  }

  private static MemorySegment indexer(Indexer ix) {
    MemorySegment s = struct(Indexer.BYTES);
    ix.write(s);
    return s;
  }

  /** A double parameter: the launch copies the 8 bytes, whatever their type. */
  private static long f64(double v) {
    return Double.doubleToRawLongBits(v);
  }

  private static float[] random(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextDouble(-1, 1);
    }
    return v;
  }

  private static void close(float[] want, float[] got, float tolerance, String what) {
    assertEquals(want.length, got.length, what);
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], got[i], tolerance * Math.max(1, Math.abs(want[i])), what + " at " + i);
    }
  }

  @Test
  void everyKernelOfTheCatalogueResolves() {
    requireGpu();
    for (CudaKernel k : KernelCatalog.all()) {
      function(k);
    }
  }

  @Test
  void broadcastAdd() {
    requireGpu();
    Shape a = Shape.of(4, 1, 3);
    Shape b = Shape.of(5, 1);
    Shape out = Shape.of(4, 5, 3);
    float[] av = random(12, 1);
    float[] bv = random(5, 2);
    Indexer ix = Indexer.broadcast(out, a, b);
    long y = alloc(4 * out.size());
    try (KernelParameters p = new KernelParameters()) {
      p.i32(KernelCatalog.code(BinaryFn.ADD)).i64(out.size()).struct(indexer(ix), 8);
      p.pointer(upload(av)).pointer(upload(bv)).pointer(y);
      launch(KernelFamily.BINARY.kernel("f32"), blocks(out.size()), THREADS, p);
    }
    float[] want = new float[(int) out.size()];
    for (int i = 0; i < want.length; i++) {
      long[] off = ix.offsets(i);
      want[i] = av[(int) off[0]] + bv[(int) off[1]];
    }
    assertArrayEquals(want, downloadFloats(y, want.length));
  }

  @Test
  void tiledGemmsWithTransposesAndTails() {
    requireGpu();
    int m = 130;
    int n = 67;
    int k = 45;
    for (KernelFamily f : List.of(KernelFamily.GEMM, KernelFamily.GEMM64)) {
      int tile = f == KernelFamily.GEMM ? 128 : 64;
      for (boolean ta : new boolean[] {false, true}) {
        for (boolean tb : new boolean[] {false, true}) {
          Shape as = ta ? Shape.of(k, m) : Shape.of(m, k);
          Shape bs = tb ? Shape.of(n, k) : Shape.of(k, n);
          LinalgOp.MatMul op = new LinalgOp.MatMul(ta, tb);
          Gemm g = Gemm.matMul(op, as, bs, Shape.of(m, n));
          float[] av = random(m * k, 3);
          float[] bv = random(k * n, 4);
          long c = alloc(4L * m * n);
          gemm(f, g, upload(av), upload(bv), c, tile);
          double[] want = new double[m * n];
          g.emulate(toDouble(av), toDouble(bv), want, 1, 0);
          close(toFloat(want), downloadFloats(c, m * n), 1e-5f, f + " ta=" + ta + " tb=" + tb);
        }
      }
    }
  }

  @Test
  void batchedGemmBroadcastsTheBatch() {
    requireGpu();
    Shape as = Shape.of(3, 1, 20, 9);
    Shape bs = Shape.of(4, 9, 11);
    Shape out = Shape.of(3, 4, 20, 11);
    Gemm g = Gemm.matMul(new LinalgOp.MatMul(false, false), as, bs, out);
    float[] av = random((int) as.size(), 5);
    float[] bv = random((int) bs.size(), 6);
    long c = alloc(4 * out.size());
    gemm(KernelFamily.GEMM64, g, upload(av), upload(bv), c, 64);
    double[] want = new double[(int) out.size()];
    g.emulate(toDouble(av), toDouble(bv), want, 1, 0);
    close(toFloat(want), downloadFloats(c, want.length), 1e-5f, "batched");
  }

  private static void gemm(KernelFamily f, Gemm g, long a, long b, long c, int tile) {
    try (KernelParameters p = new KernelParameters()) {
      p.i32(g.transA() ? 1 : 0).i32(g.transB() ? 1 : 0);
      p.i32((int) g.m()).i32((int) g.n()).i32((int) g.k()).f32(1f);
      p.pointer(a).i64(g.lda()).pointer(b).i64(g.ldb()).f32(0f).pointer(c).i64(g.ldc());
      p.i64(g.batchCount()).struct(indexer(g.batch()), 8);
      int[] grid = {
        (int) ((g.n() + tile - 1) / tile),
        (int) ((g.m() + tile - 1) / tile),
        (int) Math.min(65535, g.batchCount())
      };
      launch(f.kernel("f32"), grid, THREADS, p);
    }
  }

  @Test
  void randomNumbersAreTheCpuDevicesNumbers() {
    requireGpu();
    int n = 1001;
    long seed = alloc(16);
    MemorySegment host = arena.allocate(16, 8);
    host.set(ValueLayout.JAVA_LONG, 0, 1234567L);
    host.set(ValueLayout.JAVA_LONG, 8, 89L);
    d.memcpyHtoDAsync(seed, host, 16, stream);
    for (Distribution dist : Distribution.values()) {
      long y = alloc(4L * n);
      double a = dist == Distribution.BERNOULLI ? 0.3 : -2;
      try (KernelParameters p = new KernelParameters()) {
        p.i32(KernelCatalog.code(dist)).i64(n).i64(f64(a)).i64(f64(3)).pointer(seed).pointer(y);
        launch(KernelFamily.RANDOM.kernel("f32"), blocks(n), THREADS, p);
      }
      float[] got = downloadFloats(y, n);
      for (int i = 0; i < n; i++) {
        double want =
            switch (dist) {
              case UNIFORM -> a + (3 - a) * Philox.uniform(1234567L, 89L, i);
              case NORMAL -> a + 3 * Philox.normal(1234567L, 89L, i);
              case BERNOULLI -> Philox.uniform(1234567L, 89L, i) < a ? 1 : 0;
            };
        // The normal's log and cos are the GPU's own, within an ulp or two of Java's.
        float tolerance =
            dist == Distribution.NORMAL ? 4e-7f * Math.max(1, Math.abs((float) want)) : 0;
        assertEquals((float) want, got[i], tolerance, dist + " " + i);
      }
    }
  }

  @Test
  void reductionArgMaxAndSoftmax() {
    requireGpu();
    Shape x = Shape.of(3, 40, 5);
    float[] xv = random((int) x.size(), 7);
    xv[5 * 7 + 2] = xv[5 * 9 + 2] = 9f;
    long xd = upload(xv);
    int[] axes = {0, 1};
    Indexer[] ix = Copy.reduction(x, axes);
    long y = alloc(4 * 5);
    try (KernelParameters p = new KernelParameters()) {
      p.i32(KernelCatalog.code(ReduceFn.SUM)).i64(5).i64(120);
      p.struct(indexer(ix[0]), 8).struct(indexer(ix[1]), 8).pointer(xd).pointer(y);
      launch(KernelFamily.REDUCE.kernel("f32"), new int[] {5, 1, 1}, THREADS, p);
    }
    float[] sums = new float[5];
    for (int i = 0; i < xv.length; i++) {
      sums[i % 5] += xv[i];
    }
    close(sums, downloadFloats(y, 5), 1e-5f, "sum");

    long arg = alloc(4 * 15);
    try (KernelParameters p = new KernelParameters()) {
      p.i32(KernelCatalog.code(ArgFn.ARGMAX)).i64(3).i64(40).i64(5).pointer(xd).pointer(arg);
      launch(KernelFamily.ARGREDUCE.kernel("f32_i32"), new int[] {15, 1, 1}, THREADS, p);
    }
    int[] got = download(arg, 60).asSlice(0, 60).toArray(ValueLayout.JAVA_INT);
    for (int o = 0; o < 3; o++) {
      for (int j = 0; j < 5; j++) {
        int best = 0;
        for (int k = 1; k < 40; k++) {
          if (xv[(o * 40 + k) * 5 + j] > xv[(o * 40 + best) * 5 + j]) {
            best = k;
          }
        }
        assertEquals(best, got[o * 5 + j], "argmax " + o + "," + j);
      }
    }
    assertEquals(7, got[2], "the first of two equal maxima");

    long sm = alloc(4 * x.size());
    try (KernelParameters p = new KernelParameters()) {
      p.i32(0).i64(3).i64(40).i64(5).pointer(xd).pointer(sm);
      launch(KernelFamily.SOFTMAX.kernel("f32"), new int[] {15, 1, 1}, THREADS, p);
    }
    float[] s = downloadFloats(sm, (int) x.size());
    for (int o = 0; o < 3; o++) {
      for (int j = 0; j < 5; j++) {
        double total = 0;
        for (int k = 0; k < 40; k++) {
          total += s[(o * 40 + k) * 5 + j];
        }
        assertEquals(1, total, 1e-5, "softmax row " + o + "," + j);
      }
    }
  }

  @Test
  void convolutionThroughIm2colAndGemm() {
    requireGpu();
    ConvSpec spec = new ConvSpec(new int[] {2, 1}, Padding.SAME, new int[] {1, 2}, 2);
    Shape xs = Shape.of(2, 7, 6, 4);
    Shape ws = Shape.of(3, 2, 2, 6);
    Shape ys = Shape.of(2, 4, 6, 6);
    ConvGeometry g = new ConvGeometry(spec, xs, ws, ys, 2);
    float[] xv = random((int) xs.size(), 8);
    float[] wv = random((int) ws.size(), 9);
    long col = alloc(4 * g.columnElements());
    MemorySegment geometry = struct(ConvGeometry.BYTES);
    g.write(geometry);
    try (KernelParameters p = new KernelParameters()) {
      p.struct(geometry, 4).i64(g.columnElements()).pointer(upload(xv)).pointer(col);
      launch(KernelFamily.IM2COL.kernel("b4"), blocks(g.columnElements()), THREADS, p);
    }
    long y = alloc(4 * ys.size());
    gemm(KernelFamily.GEMM64, g.forwardGemm(), col, upload(wv), y, 64);
    double[] colHost = new double[(int) g.columnElements()];
    for (int e = 0; e < colHost.length; e++) {
      long src = g.im2colSource(e);
      colHost[e] = src < 0 ? 0 : xv[(int) src];
    }
    double[] want = new double[(int) ys.size()];
    g.forwardGemm().emulate(colHost, toDouble(wv), want, 1, 0);
    close(toFloat(want), downloadFloats(y, want.length), 1e-5f, "conv");
  }

  private static double[] toDouble(float[] v) {
    double[] r = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      r[i] = v[i];
    }
    return r;
  }

  private static float[] toFloat(double[] v) {
    float[] r = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      r[i] = (float) v[i];
    }
    return r;
  }
}
