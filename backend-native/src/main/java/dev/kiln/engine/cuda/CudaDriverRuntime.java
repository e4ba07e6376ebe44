package dev.kiln.engine.cuda;

import dev.kiln.engine.cuda.driver.Cublas;
import dev.kiln.engine.cuda.driver.CublasLt;
import dev.kiln.engine.cuda.driver.CudaDriver;
import dev.kiln.engine.cuda.driver.CudaException;
import dev.kiln.engine.cuda.driver.CudaLibraries.Library;
import dev.kiln.engine.cuda.driver.CudaLibraries.Located;
import dev.kiln.engine.cuda.driver.KernelParameters;
import dev.kiln.engine.cuda.kernels.CudaKernel;
import dev.kiln.engine.cuda.kernels.KernelCatalog;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * The {@link CudaRuntime} of a real GPU: the device's primary context, one non-blocking stream,
 * Kiln's PTX modules for the device's architecture loaded on first use, and a pinned staging buffer
 * through which host memory crosses the bus. Every call makes the context current on the calling
 * thread first, so executables may be run from any thread (one at a time).
 */
public final class CudaDriverRuntime implements CudaRuntime {
  private static final String OUT_OF_MEMORY = "CUDA_ERROR_OUT_OF_MEMORY";

  private final CudaDriver driver;
  private final CudaDevices.Info info;
  private final int device;
  private final MemorySegment context;
  private final MemorySegment stream;
  private final KernelCatalog catalog;
  private final Map<String, MemorySegment> modules = new HashMap<>();
  private final Map<String, MemorySegment> functions = new HashMap<>();
  private final Cublas blas;
  private final MemorySegment blasHandle;
  private String blasProblem;
  private MemorySegment staging = MemorySegment.NULL;
  private long stagingBytes;
  private boolean closed;

  /** Opens device {@code info} of the probe's {@code status}, with cuBLAS when it found it. */
  public CudaDriverRuntime(CudaDevices.Status status, CudaDevices.Info info) {
    this(
        status.driver(),
        info,
        useCublas() ? status.library(Library.CUBLAS).orElse(null) : null,
        status.library(Library.CUBLAS_LT).orElse(null));
  }

  private static boolean useCublas() {
    return !"false".equalsIgnoreCase(System.getProperty("kiln.cuda.cublas", "true"));
  }

  /**
   * Opens device {@code info} through {@code driver}; GEMMs through cuBLAS when {@code cublas} is a
   * found library (cuBLASLt, which cuBLAS links to, is loaded first when found).
   */
  public CudaDriverRuntime(
      CudaDriver driver, CudaDevices.Info info, Located cublas, Located cublasLt) {
    this.driver = driver;
    this.info = info;
    this.device = driver.device(info.index());
    this.context = driver.primaryContextRetain(device);
    driver.ctxSetCurrent(context);
    this.stream = driver.streamCreate(CudaDriver.STREAM_NON_BLOCKING);
    this.catalog = KernelCatalog.forComputeCapability(info.major(), info.minor());
    Cublas b = null;
    MemorySegment h = null;
    if (cublas != null && cublas.found()) {
      try {
        if (cublasLt != null && cublasLt.found()) {
          CublasLt.bind(cublasLt).version();
        }
        b = Cublas.bind(cublas);
        h = b.create();
        b.setStream(h, stream);
        b.setMathMode(h, mathMode());
      } catch (CudaException e) {
        // A cuBLAS that does not bind or start leaves the GEMMs to Kiln's kernels.
        blasProblem = "cuBLAS unusable, Kiln's GEMM kernels used: " + e.getMessage();
        b = null;
        h = null;
      }
    }
    blas = b;
    blasHandle = h;
  }

  /**
   * cuBLAS's math mode for float32 GEMMs: {@link Cublas#TF32_TENSOR_OP_MATH} with {@code
   * -Dkiln.cuda.tf32=true} (or {@code KILN_CUDA_TF32=true}), which lets Ampere and newer round the
   * inputs to TF32 (10-bit mantissa) on the tensor cores, as PyTorch's {@code
   * torch.backends.cuda.matmul.allow_tf32}; else {@link Cublas#DEFAULT_MATH}, exact float32, which
   * is also PyTorch's default.
   */
  static int mathMode() {
    String v = System.getProperty("kiln.cuda.tf32", System.getenv("KILN_CUDA_TF32"));
    if (v == null || v.isBlank() || v.equalsIgnoreCase("false")) {
      return Cublas.DEFAULT_MATH;
    }
    if (v.equalsIgnoreCase("true")) {
      return Cublas.TF32_TENSOR_OP_MATH;
    }
    throw new IllegalArgumentException(
        "kiln.cuda.tf32 (or KILN_CUDA_TF32) must be true or false, got '" + v + "'");
  }

  /** Why cuBLAS is not used although it was found, or null. */
  public String blasProblem() {
    return blasProblem;
  }

  /** Whether float32 GEMMs go to cuBLAS. */
  public boolean usesCublas() {
    return blas != null;
  }

  @Override
  public synchronized String name() {
    return "cuda:" + info.index() + " (" + info.name() + ")";
  }

  @Override
  public int multiprocessors() {
    return info.multiprocessors();
  }

  private void current() {
    driver.ctxSetCurrent(context);
  }

  @Override
  public synchronized long allocate(long bytes) {
    current();
    try {
      return driver.memAlloc(bytes);
    } catch (CudaException e) {
      if (OUT_OF_MEMORY.equals(e.errorName())) {
        return 0;
      }
      throw e;
    }
  }

  @Override
  public synchronized void free(long address) {
    current();
    // The memory may still be read by queued launches; cuMemFree waits for the device to finish
    // with it only across contexts, so drain this stream first.
    driver.streamSynchronize(stream);
    driver.memFree(address);
  }

  @Override
  public synchronized MemoryInfo memoryInfo() {
    current();
    CudaDriver.MemoryInfo m = driver.memGetInfo();
    return new MemoryInfo(m.free(), m.total());
  }

  /** The pinned staging buffer, grown to at least {@code bytes}; the stream must be idle. */
  private MemorySegment staging(long bytes) {
    if (stagingBytes < bytes) {
      if (stagingBytes > 0) {
        driver.memFreeHost(staging);
      }
      stagingBytes = Math.max(bytes, 1L << 20);
      staging = driver.memHostAlloc(stagingBytes, 0).reinterpret(stagingBytes);
    }
    return staging;
  }

  @Override
  public synchronized void copyToDevice(MemorySegment host, long deviceAddress, long bytes) {
    if (bytes == 0) {
      return;
    }
    current();
    // The staging buffer is reused, so the previous copy out of it must be done.
    driver.streamSynchronize(stream);
    MemorySegment s = staging(bytes);
    MemorySegment.copy(host, 0, s, 0, bytes);
    driver.memcpyHtoDAsync(deviceAddress, s.asSlice(0, bytes), bytes, stream);
  }

  @Override
  public synchronized void copyToHost(long deviceAddress, MemorySegment host, long bytes) {
    if (bytes == 0) {
      return;
    }
    current();
    driver.streamSynchronize(stream);
    MemorySegment s = staging(bytes);
    driver.memcpyDtoHAsync(s.asSlice(0, bytes), deviceAddress, bytes, stream);
    driver.streamSynchronize(stream);
    MemorySegment.copy(s, 0, host, 0, bytes);
  }

  @Override
  public synchronized void copyOnDevice(long destination, long source, long bytes) {
    if (bytes == 0 || destination == source) {
      return;
    }
    current();
    driver.memcpyDtoDAsync(destination, source, bytes, stream);
  }

  private MemorySegment function(CudaKernel k) {
    MemorySegment f = functions.get(k.name());
    if (f == null) {
      catalog.entry(k);
      MemorySegment module =
          modules.computeIfAbsent(k.module(), m -> driver.moduleLoadData(catalog.module(m).text()));
      f = driver.moduleGetFunction(module, k.name());
      functions.put(k.name(), f);
    }
    return f;
  }

  @Override
  public synchronized void check(CudaKernel kernel) {
    current();
    function(kernel);
  }

  @Override
  public synchronized void launch(CudaLaunch launch, long[] pointers) {
    current();
    if (blas != null) {
      CublasGemm call = CublasGemm.of(launch, pointers);
      if (call != null) {
        call.run(blas, blasHandle);
        return;
      }
    }
    MemorySegment f = function(launch.kernel());
    try (KernelParameters p = new KernelParameters()) {
      launch.write(p, pointers);
      driver.launchKernel(f, launch.grid(), launch.block(), 0, stream, p);
    }
  }

  @Override
  public synchronized void synchronize() {
    current();
    driver.streamSynchronize(stream);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    current();
    driver.streamSynchronize(stream);
    if (blas != null) {
      blas.destroy(blasHandle);
    }
    for (MemorySegment m : modules.values()) {
      driver.moduleUnload(m);
    }
    if (stagingBytes > 0) {
      driver.memFreeHost(staging);
    }
    driver.streamDestroy(stream);
    driver.primaryContextRelease(device);
  }
}
