package dev.kiln.benchmarks;

import dev.kiln.engine.NativeBackendProvider;
import dev.kiln.engine.cuda.CudaDevices;
import dev.kiln.engine.cuda.driver.Cublas;
import dev.kiln.engine.cuda.driver.CublasLt;
import dev.kiln.engine.cuda.driver.CudaDriver;
import dev.kiln.engine.cuda.driver.CudaLibraries.Library;
import dev.kiln.engine.cuda.driver.CudaLibraries.Located;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendOptions;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.Device;
import dev.kiln.spi.backend.DeviceTensor;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The GEMM part of {@link GpuBenchmark}: square products {@code C = A B} of each size and dtype,
 * three ways. (i) cuBLAS called directly through Kiln's binding ({@code cublasSgemm}, {@code
 * cublasGemmEx} for bfloat16 with float32 accumulation): the device's measured peak for that dtype.
 * (ii) Kiln's path: a compiled IR graph of one matmul run on {@code cuda:0} by the engine's CUDA
 * executor, which hands float32 and 16-bit GEMMs to cuBLAS. (iii) Kiln's own GEMM kernels: the same
 * graph on a backend opened with {@code kiln.cuda.cublas=false}. Float32 is measured with exact
 * float32 math and, when asked, with TF32 ({@code kiln.cuda.tf32=true} for the engine, {@code
 * CUBLAS_TF32_TENSOR_OP_MATH} for cuBLAS); Kiln's kernels have no TF32 mode, so their ratio is
 * against exact cuBLAS.
 *
 * <p>Inputs are uniform in [-1, 1) (a tensor core on zeros runs faster than on data), uploaded
 * once; each way runs two products to warm up, then rounds of products until a round lasts the
 * asked seconds, timed with the stream drained before and after; the best round counts. After
 * timing, the product from each Kiln path is downloaded and 16 entries are checked against float64
 * sums.
 */
final class GpuGemm {
  private final GpuBenchmark.Options options;
  private final GpuReport report;
  private final GpuBenchmark.Deadline deadline;
  private final CudaDevices.Status status;

  GpuGemm(
      GpuBenchmark.Options options,
      GpuReport report,
      GpuBenchmark.Deadline deadline,
      CudaDevices.Status status) {
    this.options = options;
    this.report = report;
    this.deadline = deadline;
    this.status = status;
  }

  /** One way of computing the product, timed by {@link #time}. */
  private interface Way extends AutoCloseable {
    /** Queues one product. */
    void run();

    /** Waits until the queued products are done. */
    void sync();

    @Override
    void close();
  }

  /**
   * The inputs of one size and dtype: host floats (exactly representable in the dtype) and the same
   * values as host tensors of the dtype.
   */
  private record Inputs(
      int n, String dtype, float[] a, float[] b, HostTensor hostA, HostTensor hostB) {
    DType kilnType() {
      return kilnType(dtype);
    }

    static DType kilnType(String dtype) {
      return dtype.equals("bf16") ? DType.BFLOAT16 : DType.FLOAT32;
    }
  }

  private static HostTensor host(float[] values, int n, DType type) {
    HostTensor h = HostTensor.zeros(type, Shape.of(n, n));
    for (int i = 0; i < values.length; i++) {
      h.setDouble(i, values[i]);
    }
    return h;
  }

  static Inputs inputs(int n, String dtype, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] a = new float[n * n];
    float[] b = new float[n * n];
    for (float[] x : List.of(a, b)) {
      for (int i = 0; i < x.length; i++) {
        float v = (float) (r.nextDouble() * 2 - 1);
        x[i] = dtype.equals("bf16") ? Float.intBitsToFloat(bf16Bits(v) << 16) : v;
      }
    }
    DType t = Inputs.kilnType(dtype);
    return new Inputs(n, dtype, a, b, host(a, n, t), host(b, n, t));
  }

  /** bfloat16's bits of {@code v}, rounded to nearest even (no NaNs arise here). */
  static short bf16Bits(float v) {
    int bits = Float.floatToRawIntBits(v);
    return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
  }

  /** Runs every size and dtype; each measurement is skipped once the GEMM budget is spent. */
  void run() {
    GpuBenchmark.Deadline budget = deadline.sub(options.gemmBudgetSeconds());
    boolean gpu = status != null;
    DirectCublas direct = null;
    if (gpu) {
      try {
        direct = new DirectCublas(status);
      } catch (RuntimeException e) {
        report.note("cuBLAS called directly: unavailable: " + e.getMessage());
        GpuBenchmark.failed();
        say("cuBLAS (direct): unavailable: " + e.getMessage());
      }
    } else {
      report.note("GEMM on the emulated device: no cuBLAS, so Kiln's path runs Kiln's kernels too");
    }
    List<Backend> opened = new ArrayList<>();
    try {
      Backend kiln = open(true, false, opened);
      Backend kilnTf32 = gpu && options.gemmTf32() ? open(true, true, opened) : null;
      Backend fallback = open(false, false, opened);
      for (int n : options.sizes()) {
        for (String dtype : options.dtypes()) {
          if (budget.expired()) {
            report.skip("GEMM n=" + n + " " + dtype + ": skipped, the GEMM time budget is spent");
            say("GEMM n=" + n + " " + dtype + ": skipped, the GEMM time budget is spent");
            continue;
          }
          say(String.format(Locale.ROOT, "GEMM n=%d %s: preparing inputs", n, dtype));
          Inputs in = inputs(n, dtype, 7L * n + dtype.length());
          boolean f32 = dtype.equals("f32");
          String math = f32 ? "fp32" : "fp32-accumulate";
          measure(in, math, "cublas", direct == null ? null : direct.way(in, false), budget);
          measure(in, math, "kiln", () -> new KilnWay(kiln, in), budget);
          measure(in, math, "kiln-fallback", () -> new KilnWay(fallback, in), budget);
          if (f32 && kilnTf32 != null) {
            measure(in, "tf32", "cublas", direct == null ? null : direct.way(in, true), budget);
            measure(in, "tf32", "kiln", () -> new KilnWay(kilnTf32, in), budget);
          }
        }
      }
    } finally {
      for (Backend b : opened) {
        b.close();
      }
      if (direct != null) {
        direct.close();
      }
    }
  }

  /**
   * Opens the engine on the benchmark's CUDA device with cuBLAS on or off and TF32 on or off; the
   * engine reads both settings when it opens the device, which the tiny upload here makes happen
   * now.
   */
  private Backend open(boolean cublas, boolean tf32, List<Backend> opened) {
    Backend b;
    if (status == null) {
      b = GpuBenchmark.emulatedBackend();
    } else {
      String oldBlas = System.getProperty("kiln.cuda.cublas");
      String oldTf32 = System.getProperty("kiln.cuda.tf32");
      System.setProperty("kiln.cuda.cublas", Boolean.toString(cublas));
      System.setProperty("kiln.cuda.tf32", Boolean.toString(tf32));
      try {
        b = new NativeBackendProvider().open(new BackendOptions(Map.of("device", "cuda:0")));
        b.upload(HostTensor.zeros(DType.FLOAT32, Shape.of(1)), b.defaultDevice()).close();
      } finally {
        restore("kiln.cuda.cublas", oldBlas);
        restore("kiln.cuda.tf32", oldTf32);
      }
    }
    opened.add(b);
    return b;
  }

  private static void restore(String key, String value) {
    if (value == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, value);
    }
  }

  private void measure(
      Inputs in, String math, String path, Supplier<Way> make, GpuBenchmark.Deadline budget) {
    String what = String.format(Locale.ROOT, "GEMM n=%d %s %s %s", in.n(), in.dtype(), math, path);
    if (make == null) {
      report.gemm(in.dtype(), math, in.n(), path, Double.NaN, "not measured: cuBLAS unavailable");
      return;
    }
    if (budget.expired()) {
      report.gemm(in.dtype(), math, in.n(), path, Double.NaN, "skipped: GEMM time budget spent");
      report.skip(what + ": skipped, the GEMM time budget is spent");
      say(what + ": skipped, the GEMM time budget is spent");
      return;
    }
    try (Way w = make.get()) {
      double seconds = time(w, options.gemmSeconds(), budget);
      String check = w instanceof KilnWay k ? k.check() : "";
      report.gemm(in.dtype(), math, in.n(), path, seconds, check);
      say(
          String.format(
              Locale.ROOT,
              "%s: %.3f ms, %.2f TFLOP/s%s",
              what,
              seconds * 1e3,
              GpuReport.tflops(in.n(), seconds),
              check.isEmpty() ? "" : "; " + check));
    } catch (RuntimeException e) {
      report.gemm(in.dtype(), math, in.n(), path, Double.NaN, "FAILED: " + e);
      report.note(what + " FAILED: " + e);
      say(what + ": FAILED: " + e);
      GpuBenchmark.failed();
      e.printStackTrace(System.out);
    }
  }

  /**
   * Seconds per product: two warm-up products, then rounds of {@code k} products (k sized from the
   * warm-up so a round takes about {@code seconds}), at most five rounds and while time is left;
   * the fastest round counts.
   */
  static double time(Way w, double seconds, GpuBenchmark.Deadline budget) {
    w.run();
    w.sync();
    long t0 = System.nanoTime();
    w.run();
    w.sync();
    double one = Math.max(1e-6, (System.nanoTime() - t0) / 1e9);
    int k = (int) Math.max(1, Math.min(2000, Math.round(seconds / one)));
    double best = one;
    for (int round = 0; round < 5 && (round < 2 || !budget.expired()); round++) {
      long start = System.nanoTime();
      for (int i = 0; i < k; i++) {
        w.run();
      }
      w.sync();
      best = Math.min(best, (System.nanoTime() - start) / 1e9 / k);
    }
    return best;
  }

  /** Kiln's path: one compiled matmul on the backend's default device. */
  private static final class KilnWay implements Way {
    private final Backend backend;
    private final Inputs in;
    private final Executable exe;
    private final DeviceTensor a;
    private final DeviceTensor b;
    private final DeviceTensor tiny;

    KilnWay(Backend backend, Inputs in) {
      this.backend = backend;
      this.in = in;
      Device d = backend.defaultDevice();
      GraphBuilder g = new GraphBuilder();
      TensorType t = TensorType.of(in.kilnType(), in.n(), in.n());
      Value x = g.input(t);
      Value y = g.input(t);
      exe = backend.compile(g.output(g.matmul(x, y)).build(), new CompileOptions(d, Map.of()));
      a = backend.upload(in.hostA(), d);
      b = backend.upload(in.hostB(), d);
      tiny = backend.upload(HostTensor.zeros(DType.FLOAT32, Shape.of(1)), d);
    }

    @Override
    public void run() {
      for (DeviceTensor t : exe.run(List.of(a, b))) {
        // The block goes back to the allocator's cache; the next product reuses it on the same
        // stream, after this one.
        t.close();
      }
    }

    /** Downloading a value waits for the stream: the engine's way to wait for queued work. */
    @Override
    public void sync() {
      backend.download(tiny);
    }

    /**
     * Checks 16 entries of the product against float64 sums. The error is measured against the root
     * of the summed squared terms, the size of an entry of a product of random matrices: float32
     * accumulation errs by about 1e-5 of it at these sizes, TF32's rounded inputs by about 1e-3,
     * bfloat16's rounded output by up to about 1e-2, and a product of the wrong operands (or the
     * right ones transposed) by about 1.
     */
    String check() {
      HostTensor c;
      List<DeviceTensor> out = exe.run(List.of(a, b));
      try {
        c = backend.download(out.get(0));
      } finally {
        out.forEach(DeviceTensor::close);
      }
      int n = in.n();
      double tolerance = in.dtype().equals("bf16") ? 5e-2 : 1e-2;
      SplittableRandom r = new SplittableRandom(n);
      double worst = 0;
      for (int s = 0; s < 16; s++) {
        int i = r.nextInt(n);
        int j = r.nextInt(n);
        double sum = 0;
        double scale = 0;
        for (int p = 0; p < n; p++) {
          double x = (double) in.a()[i * n + p] * in.b()[p * n + j];
          sum += x;
          scale += x * x;
        }
        scale = Math.sqrt(scale);
        double err = Math.abs(c.getDouble(i * n + j) - sum) / Math.max(scale, 1e-30);
        worst = Math.max(worst, err);
        if (err > tolerance) {
          throw new IllegalStateException(
              String.format(
                  Locale.ROOT,
                  "wrong product: C[%d][%d] = %s, expected %s (relative error %.2e > %.1e)",
                  i,
                  j,
                  c.getDouble(i * n + j),
                  sum,
                  err,
                  tolerance));
        }
      }
      return String.format(Locale.ROOT, "16 entries checked, worst relative error %.1e", worst);
    }

    @Override
    public void close() {
      a.close();
      b.close();
      tiny.close();
      exe.close();
    }
  }

  /**
   * cuBLAS through Kiln's binding, on its own stream of the device's primary context: the
   * reference. Column-major {@code sgemm} / {@code gemmEx} with no transposes; a square product
   * costs the same either way round.
   */
  private static final class DirectCublas implements AutoCloseable {
    private final CudaDriver driver;
    private final int device;
    private final MemorySegment context;
    private final MemorySegment stream;
    private final Cublas blas;
    private final MemorySegment handle;

    DirectCublas(CudaDevices.Status s) {
      Located lib =
          s.library(Library.CUBLAS)
              .filter(Located::found)
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "cuBLAS not found; searched "
                              + s.library(Library.CUBLAS)
                                  .map(Located::searched)
                                  .orElse(List.of())));
      driver = s.driver();
      device = driver.device(s.devices().get(0).index());
      context = driver.primaryContextRetain(device);
      driver.ctxSetCurrent(context);
      stream = driver.streamCreate(CudaDriver.STREAM_NON_BLOCKING);
      s.library(Library.CUBLAS_LT)
          .filter(Located::found)
          .ifPresent(lt -> CublasLt.bind(lt).version());
      blas = Cublas.bind(lib);
      handle = blas.create();
      blas.setStream(handle, stream);
    }

    Supplier<Way> way(Inputs in, boolean tf32) {
      return () -> new DirectWay(this, in, tf32);
    }

    @Override
    public void close() {
      driver.ctxSetCurrent(context);
      driver.streamSynchronize(stream);
      blas.destroy(handle);
      driver.streamDestroy(stream);
      driver.primaryContextRelease(device);
    }
  }

  private static final class DirectWay implements Way {
    private final DirectCublas c;
    private final Inputs in;
    private final boolean bf16;
    private final long[] buffers = new long[3];

    DirectWay(DirectCublas c, Inputs in, boolean tf32) {
      this.c = c;
      this.in = in;
      this.bf16 = in.dtype().equals("bf16");
      c.driver.ctxSetCurrent(c.context);
      c.blas.setMathMode(c.handle, tf32 ? Cublas.TF32_TENSOR_OP_MATH : Cublas.DEFAULT_MATH);
      long bytes = (long) in.n() * in.n() * (bf16 ? 2 : 4);
      try {
        for (int i = 0; i < 3; i++) {
          buffers[i] = c.driver.memAlloc(bytes);
        }
        MemorySegment pinned = c.driver.memHostAlloc(bytes, 0).reinterpret(bytes);
        try {
          for (int op = 0; op < 2; op++) {
            float[] v = op == 0 ? in.a() : in.b();
            for (int i = 0; i < v.length; i++) {
              if (bf16) {
                pinned.setAtIndex(ValueLayout.JAVA_SHORT, i, bf16Bits(v[i]));
              } else {
                pinned.setAtIndex(ValueLayout.JAVA_FLOAT, i, v[i]);
              }
            }
            c.driver.memcpyHtoDAsync(buffers[op], pinned, bytes, c.stream);
            c.driver.streamSynchronize(c.stream);
          }
        } finally {
          c.driver.memFreeHost(pinned);
        }
      } catch (RuntimeException e) {
        close();
        throw e;
      }
    }

    @Override
    public void run() {
      int n = in.n();
      if (bf16) {
        c.blas.gemmEx(
            c.handle,
            Cublas.OP_N,
            Cublas.OP_N,
            n,
            n,
            n,
            1f,
            buffers[0],
            Cublas.R_16BF,
            n,
            buffers[1],
            n,
            0f,
            buffers[2],
            Cublas.R_16BF,
            n,
            Cublas.COMPUTE_32F);
      } else {
        c.blas.sgemm(
            c.handle,
            Cublas.OP_N,
            Cublas.OP_N,
            n,
            n,
            n,
            1f,
            buffers[0],
            n,
            buffers[1],
            n,
            0f,
            buffers[2],
            n);
      }
    }

    @Override
    public void sync() {
      c.driver.streamSynchronize(c.stream);
    }

    @Override
    public void close() {
      c.driver.ctxSetCurrent(c.context);
      c.driver.streamSynchronize(c.stream);
      for (long b : buffers) {
        if (b != 0) {
          c.driver.memFree(b);
        }
      }
    }
  }

  private static void say(String line) {
    GpuBenchmark.say(line);
  }
}
