package dev.kiln.engine.cuda;

import dev.kiln.engine.cuda.driver.Cublas;
import dev.kiln.engine.cuda.driver.CublasLt;
import dev.kiln.engine.cuda.driver.CudaDriver;
import dev.kiln.engine.cuda.driver.CudaException;
import dev.kiln.engine.cuda.driver.CudaLibraries.Library;
import dev.kiln.engine.cuda.driver.CudaLibraries.Located;
import dev.kiln.engine.cuda.driver.Cudnn;
import dev.kiln.engine.cuda.driver.KernelParameters;
import dev.kiln.engine.cuda.driver.Nvrtc;
import dev.kiln.engine.cuda.kernels.CudaKernel;
import dev.kiln.engine.cuda.kernels.KernelCatalog;
import dev.kiln.engine.cuda.kernels.KernelFamily;
import dev.kiln.spi.backend.BackendException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link CudaRuntime} of a real GPU: the device's primary context, one non-blocking stream,
 * Kiln's PTX modules for the device's architecture loaded on first use, and a few pinned buffers
 * through which host memory crosses the bus. Every call makes the context current on the calling
 * thread first, so executables may be run from any thread (one at a time).
 *
 * <p>Uploads are asynchronous: the bytes are copied into a free pinned buffer and the copy to the
 * device is queued with an event after it, so uploading the next batch does not wait for the step
 * queued before it (see {@link PinnedPool}). At most 4 buffers of at most 64 MiB are pinned (256
 * MiB in all); a larger upload goes in 64 MiB chunks, each waiting for a buffer, so it is in effect
 * synchronous. Downloads wait for the queued work and the bytes.
 *
 * <p>Work can be captured into CUDA graphs ({@link #capture}) on the stream, cuBLAS included, when
 * cuBLAS has {@code cublasSetWorkspace}.
 *
 * <p>With NVRTC, generated kernels of fused elementwise chains ({@link FusedElementwise}) are
 * compiled for the architecture of Kiln's PTX that the device runs, all chains of a program in one
 * NVRTC call, and loaded as modules of their own. A chain that does not compile is logged once and
 * runs op by op; an NVRTC that fails otherwise, or PTX the driver cannot load, turns fusion off on
 * the device with one warning.
 */
public final class CudaDriverRuntime implements CudaRuntime {
  private static final Logger LOG = LoggerFactory.getLogger(CudaDriverRuntime.class);
  private static final String OUT_OF_MEMORY = "CUDA_ERROR_OUT_OF_MEMORY";

  /** How many pinned buffers uploads may use at once. */
  static final int PINNED_BUFFERS = 4;

  private static final long PINNED_MIN_BYTES = 1L << 20;
  private static final long PINNED_MAX_BYTES = 64L << 20;

  private final CudaDriver driver;
  private final CudaDevices.Info info;
  private final int device;
  private final MemorySegment context;
  private final MemorySegment stream;
  private final KernelCatalog catalog;
  private final Map<String, MemorySegment> modules = new HashMap<>();
  private final Map<String, MemorySegment> functions = new HashMap<>();
  private Nvrtc nvrtc;
  private String nvrtcProblem;
  private final Map<String, MemorySegment> fusedFunctions = new HashMap<>();
  private final Set<String> unfusable = new HashSet<>();
  private final List<MemorySegment> fusedModules = new ArrayList<>();
  private final Cublas blas;
  private final MemorySegment blasHandle;
  private String blasProblem;
  private final CudnnConvolutions convolutions;
  private String cudnnProblem;
  private long blasWorkspace;
  private String captureProblem;
  private final PinnedPool pinned;
  private final Set<Long> graphs = new LinkedHashSet<>();
  private boolean capturing;
  private boolean closed;

  /**
   * Opens device {@code info} of the probe's {@code status}, with cuBLAS, cuDNN and NVRTC when it
   * found them ({@code -Dkiln.cuda.cublas=false} and {@code -Dkiln.cuda.cudnn=false} leave GEMMs
   * and convolutions to Kiln's kernels, {@code -Dkiln.cuda.nvrtc=false} runs elementwise chains op
   * by op).
   */
  public CudaDriverRuntime(CudaDevices.Status status, CudaDevices.Info info) {
    this(
        status.driver(),
        info,
        use("kiln.cuda.cublas") ? status.library(Library.CUBLAS).orElse(null) : null,
        status.library(Library.CUBLAS_LT).orElse(null),
        use("kiln.cuda.cudnn") ? status.library(Library.CUDNN).orElse(null) : null,
        use("kiln.cuda.nvrtc") ? bindNvrtc(status.library(Library.NVRTC).orElse(null)) : null);
  }

  /** NVRTC bound, or null when it was not found or does not bind (logged). */
  private static Nvrtc bindNvrtc(Located nvrtc) {
    if (nvrtc == null || !nvrtc.found()) {
      return null;
    }
    try {
      return Nvrtc.bind(nvrtc);
    } catch (CudaException e) {
      LOG.info("NVRTC unusable, elementwise chains run op by op: {}", e.getMessage());
      return null;
    }
  }

  private static boolean use(String property) {
    return !"false".equalsIgnoreCase(System.getProperty(property, "true"));
  }

  /**
   * Opens device {@code info} through {@code driver}; GEMMs through cuBLAS when {@code cublas} is a
   * found library (cuBLASLt, which cuBLAS links to, is loaded first when found); convolutions with
   * Kiln's kernels.
   */
  public CudaDriverRuntime(
      CudaDriver driver, CudaDevices.Info info, Located cublas, Located cublasLt) {
    this(driver, info, cublas, cublasLt, null);
  }

  /**
   * As {@link #CudaDriverRuntime(CudaDriver, CudaDevices.Info, Located, Located)}, with
   * convolutions through cuDNN when {@code cudnn} is a found library.
   */
  public CudaDriverRuntime(
      CudaDriver driver, CudaDevices.Info info, Located cublas, Located cublasLt, Located cudnn) {
    this(driver, info, cublas, cublasLt, cudnn, null);
  }

  /**
   * As {@link #CudaDriverRuntime(CudaDriver, CudaDevices.Info, Located, Located, Located)}, with
   * fused elementwise chains compiled by {@code nvrtc} when it is not null.
   */
  public CudaDriverRuntime(
      CudaDriver driver,
      CudaDevices.Info info,
      Located cublas,
      Located cublasLt,
      Located cudnn,
      Nvrtc nvrtc) {
    this.driver = driver;
    this.nvrtc = nvrtc;
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
    CudnnConvolutions convs = null;
    if (cudnn != null && cudnn.found()) {
      try {
        convs =
            new CudnnConvolutions(
                Cudnn.bind(cudnn), stream, mathMode() == Cublas.TF32_TENSOR_OP_MATH);
      } catch (CudaException e) {
        // A cuDNN that does not bind or start leaves the convolutions to Kiln's kernels.
        cudnnProblem = "cuDNN unusable, Kiln's convolution kernels used: " + e.getMessage();
        LOG.info("{}: {}", name(), cudnnProblem);
      }
    }
    convolutions = convs;
    if (b != null) {
      giveCublasAWorkspace(info.major());
    }
    if (captureProblem != null) {
      LOG.info("CUDA graphs are off on {}: {}; steps run launch by launch", name(), captureProblem);
    }
    this.pinned =
        new PinnedPool(
            new PinnedPool.Host() {
              @Override
              public MemorySegment allocate(long bytes) {
                return driver.memHostAlloc(bytes, 0);
              }

              @Override
              public void free(MemorySegment memory) {
                driver.memFreeHost(memory);
              }

              @Override
              public MemorySegment createEvent() {
                return driver.eventCreate(CudaDriver.EVENT_DISABLE_TIMING);
              }

              @Override
              public void record(MemorySegment event) {
                driver.eventRecord(event, stream);
              }

              @Override
              public boolean done(MemorySegment event) {
                return driver.eventQuery(event);
              }

              @Override
              public void waitFor(MemorySegment event) {
                driver.eventSynchronize(event);
              }

              @Override
              public void destroyEvent(MemorySegment event) {
                driver.eventDestroy(event);
              }
            },
            PINNED_BUFFERS,
            PINNED_MIN_BYTES,
            PINNED_MAX_BYTES);
  }

  /**
   * Gives the cuBLAS handle a workspace of its own. Without one, cuBLAS takes workspace memory from
   * a pool it allocates on first use per stream, and an allocation there while the stream is being
   * captured either fails the capture or becomes a memory node of the graph; with a fixed
   * workspace, a GEMM under capture only launches kernels. 32 MiB on Hopper and newer and 4 MiB
   * before, the sizes cuBLAS's documentation recommends. Must follow {@code setStream}, which
   * resets the workspace.
   */
  private void giveCublasAWorkspace(int major) {
    if (!blas.canSetWorkspace()) {
      captureProblem = "this cuBLAS has no cublasSetWorkspace_v2 (11.4 and newer)";
      return;
    }
    long bytes = major >= 9 ? 32L << 20 : 4L << 20;
    try {
      blasWorkspace = driver.memAlloc(bytes);
      blas.setWorkspace(blasHandle, blasWorkspace, bytes);
    } catch (CudaException e) {
      captureProblem = "cuBLAS's workspace could not be set: " + e.getMessage();
    }
  }

  /** Why work cannot be captured into graphs on this device, or null when it can. */
  public String captureProblem() {
    return captureProblem;
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

  private void notCapturing(String what) {
    if (capturing) {
      throw new IllegalStateException(
          what + " on " + name() + " while its stream is captured into a graph");
    }
  }

  @Override
  public synchronized long allocate(long bytes) {
    notCapturing("an allocation");
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
    notCapturing("a free");
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

  @Override
  public synchronized void copyToDevice(MemorySegment host, long deviceAddress, long bytes) {
    if (bytes == 0) {
      return;
    }
    notCapturing("an upload");
    current();
    for (long done = 0; done < bytes; ) {
      long n = Math.min(pinned.chunkBytes(), bytes - done);
      // A buffer no queued copy still reads: the caller's memory may change once this returns.
      PinnedPool.Buffer b = pinned.acquire(n);
      MemorySegment.copy(host, done, b.memory(), 0, n);
      driver.memcpyHtoDAsync(deviceAddress + done, b.memory().asSlice(0, n), n, stream);
      pinned.queued(b);
      done += n;
    }
  }

  @Override
  public synchronized void copyToHost(long deviceAddress, MemorySegment host, long bytes) {
    if (bytes == 0) {
      return;
    }
    notCapturing("a download");
    current();
    for (long done = 0; done < bytes; ) {
      long n = Math.min(pinned.chunkBytes(), bytes - done);
      PinnedPool.Buffer b = pinned.acquire(n);
      driver.memcpyDtoHAsync(b.memory().asSlice(0, n), deviceAddress + done, n, stream);
      driver.streamSynchronize(stream);
      pinned.idle();
      MemorySegment.copy(b.memory(), 0, host, done, n);
      done += n;
    }
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

  /** Why cuDNN is not used although it was found, or null. */
  public String cudnnProblem() {
    return cudnnProblem;
  }

  /** Whether convolutions may go to cuDNN. */
  public boolean usesCudnn() {
    return convolutions != null;
  }

  @Override
  public synchronized Optional<CudnnPlan> cudnnPlan(CudnnConvolution convolution) {
    if (convolutions == null) {
      return Optional.empty();
    }
    current();
    notCapturing("planning a cuDNN convolution");
    try {
      return Optional.of(convolutions.plan(convolution, workspaceLimit()));
    } catch (BackendException e) {
      // cuDNN refusing one geometry leaves that convolution to Kiln's kernels, not the program.
      LOG.info("{}: {}; Kiln's kernels run it", name(), e.getMessage());
      return Optional.empty();
    }
  }

  @Override
  public synchronized void check(CudaKernel kernel) {
    if (kernel.family().library()) {
      return;
    }
    if (kernel.family().generated()) {
      fusedFunction(kernel);
      return;
    }
    current();
    function(kernel);
  }

  private MemorySegment fusedFunction(CudaKernel k) {
    MemorySegment f = fusedFunctions.get(k.name());
    if (f == null) {
      throw new IllegalStateException(
          "generated kernel " + k.name() + " was not compiled on " + name() + " (see compile)");
    }
    return f;
  }

  /** Whether generated kernels are compiled (NVRTC found, not turned off or failed). */
  public synchronized boolean usesNvrtc() {
    return nvrtc != null;
  }

  /** Why NVRTC was turned off although it was found, or null. */
  public synchronized String nvrtcProblem() {
    return nvrtcProblem;
  }

  @Override
  public synchronized boolean canCompile() {
    return nvrtc != null;
  }

  @Override
  public synchronized Set<String> compile(List<FusedElementwise.Kernel> kernels) {
    Map<String, FusedElementwise.Kernel> todo = new LinkedHashMap<>();
    for (FusedElementwise.Kernel k : kernels) {
      if (!fusedFunctions.containsKey(k.name()) && !unfusable.contains(k.name())) {
        todo.putIfAbsent(k.name(), k);
      }
    }
    if (nvrtc != null && !todo.isEmpty()) {
      notCapturing("compiling generated kernels");
      current();
      // One NVRTC call for the program; when a kernel in it does not compile, each alone, so
      // that only that one runs op by op.
      if (!load(List.copyOf(todo.values()), false)) {
        for (FusedElementwise.Kernel k : todo.values()) {
          if (nvrtc != null) {
            load(List.of(k), true);
          }
        }
      }
    }
    Set<String> ready = new LinkedHashSet<>();
    for (FusedElementwise.Kernel k : kernels) {
      if (fusedFunctions.containsKey(k.name())) {
        ready.add(k.name());
      }
    }
    return ready;
  }

  /** The NVRTC option naming the virtual architecture of the device's shipped PTX. */
  String nvrtcArchitecture() {
    return "--gpu-architecture=compute_" + catalog.arch().substring("sm_".length());
  }

  /**
   * Compiles and loads {@code kernels} as one module. A kernel that does not compile is, when
   * {@code alone}, logged and remembered; anything else going wrong turns fusion off here.
   *
   * @return whether the module loaded (or fusion was turned off)
   */
  private boolean load(List<FusedElementwise.Kernel> kernels, boolean alone) {
    String unit = alone ? kernels.get(0).name() + ".cu" : "kiln_fused.cu";
    String ptx;
    try {
      ptx = nvrtc.compile(FusedElementwise.source(kernels), unit, List.of(nvrtcArchitecture()));
    } catch (CudaException e) {
      if (!"NVRTC_ERROR_COMPILATION".equals(e.errorName())) {
        return turnOffNvrtc("NVRTC failed: " + e.getMessage());
      }
      if (alone) {
        FusedElementwise.Kernel k = kernels.get(0);
        unfusable.add(k.name());
        LOG.warn(
            "{}: NVRTC could not compile fused kernel {} ({}); those ops run one kernel each: {}",
            name(),
            k.name(),
            k.describe(),
            e.getMessage());
      }
      return false;
    } catch (RuntimeException e) {
      return turnOffNvrtc("NVRTC failed: " + e);
    }
    MemorySegment module;
    try {
      module = driver.moduleLoadData(ptx);
    } catch (CudaException e) {
      // NVRTC newer than the driver writes PTX the driver cannot read, and so for every kernel.
      return turnOffNvrtc("the driver cannot load NVRTC's PTX: " + e.getMessage());
    }
    fusedModules.add(module);
    Map<String, MemorySegment> found = new HashMap<>();
    try {
      for (FusedElementwise.Kernel k : kernels) {
        found.put(k.name(), driver.moduleGetFunction(module, k.name()));
      }
    } catch (CudaException e) {
      return turnOffNvrtc("a compiled module lacks a generated kernel: " + e.getMessage());
    }
    fusedFunctions.putAll(found);
    return true;
  }

  private boolean turnOffNvrtc(String why) {
    nvrtc = null;
    nvrtcProblem = why;
    LOG.warn("{}: fused elementwise kernels are off, each op runs its own kernel: {}", name(), why);
    return true;
  }

  @Override
  public synchronized void launch(CudaLaunch launch, long[] pointers) {
    current();
    if (launch.kernel().family() == KernelFamily.CUDNN_CONVOLUTION) {
      if (convolutions == null) {
        throw new IllegalStateException(name() + " has no cuDNN for " + launch);
      }
      convolutions.run(
          ((CudaLaunch.I32) launch.args().get(0)).value(),
          pointers[0],
          pointers[1],
          pointers[2],
          pointers[3],
          ((CudaLaunch.I64) launch.args().get(5)).value());
      return;
    }
    if (blas != null) {
      CublasGemm call = CublasGemm.of(launch, pointers);
      if (call != null) {
        call.run(blas, blasHandle);
        return;
      }
    }
    MemorySegment f =
        launch.kernel().family().generated()
            ? fusedFunction(launch.kernel())
            : function(launch.kernel());
    try (KernelParameters p = new KernelParameters()) {
      launch.write(p, pointers);
      driver.launchKernel(f, launch.grid(), launch.block(), 0, stream, p);
    }
  }

  @Override
  public synchronized void synchronize() {
    notCapturing("a wait for the stream");
    current();
    driver.streamSynchronize(stream);
    pinned.idle();
  }

  @Override
  public boolean canCapture() {
    return captureProblem == null;
  }

  @Override
  public synchronized long capture(Runnable work) {
    if (captureProblem != null) {
      throw new UnsupportedOperationException(
          name() + " cannot capture work into graphs: " + captureProblem);
    }
    current();
    // Thread-local mode: only this thread is kept from calls that are unsafe during a capture;
    // other threads (other devices' runtimes) go on, and this runtime's lock keeps them off the
    // stream until the capture ends.
    driver.streamBeginCapture(stream, CudaDriver.CAPTURE_MODE_THREAD_LOCAL);
    capturing = true;
    try {
      work.run();
    } catch (RuntimeException | Error e) {
      capturing = false;
      discardCapture(e);
      throw e;
    }
    capturing = false;
    MemorySegment graph = driver.streamEndCapture(stream);
    try {
      MemorySegment exec = driver.graphInstantiate(graph, 0);
      graphs.add(exec.address());
      return exec.address();
    } finally {
      // The executable graph is a copy; the captured one is not needed once instantiated.
      driver.graphDestroy(graph);
    }
  }

  /** Ends a capture that failed, so the stream runs work again; the partial graph is dropped. */
  private void discardCapture(Throwable cause) {
    try {
      MemorySegment g = driver.streamEndCapture(stream);
      if (g.address() != 0) {
        driver.graphDestroy(g);
      }
    } catch (CudaException e) {
      cause.addSuppressed(e);
    }
  }

  @Override
  public synchronized void launchGraph(long graph) {
    if (!graphs.contains(graph)) {
      throw new IllegalArgumentException(
          "graph 0x" + Long.toHexString(graph) + " was not captured on " + name() + " or is gone");
    }
    current();
    driver.graphLaunch(MemorySegment.ofAddress(graph), stream);
  }

  @Override
  public synchronized void destroyGraph(long graph) {
    // After close the context's graphs are gone already.
    if (closed || !graphs.remove(graph)) {
      return;
    }
    current();
    driver.graphExecDestroy(MemorySegment.ofAddress(graph));
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    current();
    driver.streamSynchronize(stream);
    for (long g : graphs) {
      driver.graphExecDestroy(MemorySegment.ofAddress(g));
    }
    graphs.clear();
    if (blas != null) {
      blas.destroy(blasHandle);
    }
    if (convolutions != null) {
      convolutions.close();
    }
    if (blasWorkspace != 0) {
      driver.memFree(blasWorkspace);
    }
    for (MemorySegment m : modules.values()) {
      driver.moduleUnload(m);
    }
    for (MemorySegment m : fusedModules) {
      driver.moduleUnload(m);
    }
    pinned.close();
    driver.streamDestroy(stream);
    driver.primaryContextRelease(device);
  }
}
