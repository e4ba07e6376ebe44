package dev.kiln.engine.cuda;

import dev.kiln.engine.cuda.driver.CudaException;
import dev.kiln.engine.cuda.kernels.CudaKernel;
import dev.kiln.engine.cuda.kernels.KernelCatalog;
import dev.kiln.engine.cuda.kernels.KernelFamily;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A device in host memory for tests: allocations at increasing addresses (never reused, so a stale
 * pointer cannot hit a newer allocation by chance), a capacity that makes allocations fail, copies
 * that move real bytes, and launches recorded with their resolved pointers. Kernels are checked
 * against the shipped PTX of one architecture, as the real runtime checks them.
 *
 * <p>Graphs: {@link #capture} records the launches and device copies queued while it runs, without
 * running them, and {@link #launchGraph} replays them with the pointers they were queued with.
 * Allocating, freeing, waiting, checking a kernel or copying to or from the host while capturing
 * fails with an {@link AssertionError}, as a real device refuses those under stream capture.
 *
 * <p>NVRTC ({@link #withNvrtc}): generated kernels of fused chains are accepted without compiling
 * their C, after checking that the source declares the parameters the launches pass. An emulated
 * launch of one lowers each node of the chain as the unfused program would ({@link CudaLowering})
 * and runs those launches through {@link KernelEmulator} over scratch memory, so a fused result
 * equals the unfused one whatever the generated C says; the C itself is checked by {@code
 * FusedElementwiseSourceTest} and on a GPU.
 */
public final class FakeCudaRuntime implements CudaRuntime {
  /** A recorded launch. */
  record Launched(CudaLaunch launch, long[] pointers) {}

  private final long capacity;
  private final KernelCatalog catalog = KernelCatalog.forArch("sm_80");
  private final Map<Long, byte[]> memory = new LinkedHashMap<>();
  public final List<Launched> launches = new ArrayList<>();
  public final List<String> events = new ArrayList<>();
  private long next = 0x10000;
  private long used;
  int frees;

  private final KernelEmulator emulator;
  private long workspaceLimit = 256L << 20;

  private boolean graphs = true;
  private RuntimeException captureFailure;
  private List<Runnable> recording;
  private final Map<Long, List<Runnable>> captured = new LinkedHashMap<>();
  private long nextGraph = 1;

  /** Graphs captured so far. */
  public int captures;

  /** Graph launches so far. */
  public int graphLaunches;

  private final List<CudnnConvolution> cudnnPlans = new ArrayList<>();
  private boolean cudnn;

  private java.util.function.Predicate<FusedElementwise.Kernel> nvrtc;
  private final Map<String, FusedElementwise.Kernel> compiled = new LinkedHashMap<>();

  /** Calls of {@link #compile} that had kernels to compile. */
  public int compileCalls;

  /** Gives this device an NVRTC that compiles every generated kernel. */
  public FakeCudaRuntime withNvrtc() {
    return withNvrtc(k -> true);
  }

  /** Gives this device an NVRTC that compiles the generated kernels {@code compiles} accepts. */
  public FakeCudaRuntime withNvrtc(java.util.function.Predicate<FusedElementwise.Kernel> compiles) {
    nvrtc = compiles;
    return this;
  }

  /** The generated kernels compiled so far, by name. */
  public Map<String, FusedElementwise.Kernel> compiled() {
    return compiled;
  }

  @Override
  public boolean canCompile() {
    return nvrtc != null;
  }

  @Override
  public java.util.Set<String> compile(List<FusedElementwise.Kernel> kernels) {
    if (nvrtc == null) {
      return java.util.Set.of();
    }
    notCapturing("compiling generated kernels");
    compileCalls++;
    java.util.Set<String> ready = new java.util.LinkedHashSet<>();
    for (FusedElementwise.Kernel k : kernels) {
      if (nvrtc.test(k)) {
        checkSignature(k);
        compiled.put(k.name(), k);
        ready.add(k.name());
      }
    }
    return ready;
  }

  private static final java.util.regex.Pattern SIGNATURE =
      java.util.regex.Pattern.compile("extern \"C\" __global__ void (\\w+)\\(([^)]*)\\)");

  /** The source declares the kernel with the parameters its launches pass, in order. */
  private static void checkSignature(FusedElementwise.Kernel k) {
    java.util.regex.Matcher m = SIGNATURE.matcher(k.source());
    String declared = m.find() && m.group(1).equals(k.name()) ? m.group(2) : null;
    if (declared == null || m.find()) {
      throw new AssertionError(
          "the source of " + k.name() + " does not declare it once:\n" + k.source());
    }
    List<String> want = new ArrayList<>();
    want.add("long long n");
    for (int i = 0; i < k.inputs().size(); i++) {
      want.add("const " + cType(k.inputs().get(i)) + "* in" + i);
    }
    want.add(cType(k.output()) + "* out");
    List<String> got = List.of(declared.split(",\\s*"));
    if (!got.equals(want) || k.kernel().params().size() != want.size()) {
      throw new AssertionError(
          k.name() + " declares " + got + " but its launches pass " + want + " " + k.kernel());
    }
  }

  private static String cType(dev.kiln.spi.ir.Value v) {
    return v.dtype() == dev.kiln.spi.DType.BOOL ? "unsigned char" : "float";
  }

  private static final long SCRATCH = 1L << 48;

  /**
   * Runs a fused chain as the unfused program would: each node's own launches, the intermediates in
   * scratch memory of this call.
   */
  private void emulateFused(FusedElementwise.Kernel k, CudaLaunch launch, long[] pointers) {
    long n = ((CudaLaunch.I64) launch.args().get(0)).value();
    if (n != k.output().shape().size() || pointers.length != k.inputs().size() + 1) {
      throw new AssertionError(
          "a launch of " + k.name() + " over the wrong size or operands: " + launch);
    }
    Map<dev.kiln.spi.ir.Value, Long> address = new java.util.HashMap<>();
    for (int i = 0; i < k.inputs().size(); i++) {
      address.put(k.inputs().get(i), pointers[i]);
    }
    address.put(k.output(), pointers[pointers.length - 1]);
    Map<Long, MemorySegment> scratch = new java.util.HashMap<>();
    long at = SCRATCH;
    for (dev.kiln.spi.ir.Node node : k.nodes().subList(0, k.nodes().size() - 1)) {
      long bytes = dev.kiln.engine.plan.MemoryPlan.bytes(node.output());
      // NaNs, so that an intermediate read before it is written shows.
      byte[] b = new byte[Math.toIntExact(bytes)];
      java.util.Arrays.fill(b, (byte) 0xff);
      scratch.put(at, MemorySegment.ofArray(b));
      address.put(node.output(), at);
      at += bytes + 4096;
    }
    List<dev.kiln.spi.ir.Value> values = new ArrayList<>(address.keySet());
    CudaLowering lowering = new CudaLowering(values::indexOf, multiprocessors(), workspaceLimit);
    KernelEmulator e =
        new KernelEmulator(
            a -> {
              for (Map.Entry<Long, MemorySegment> s : scratch.entrySet()) {
                if (a >= s.getKey() && a < s.getKey() + s.getValue().byteSize()) {
                  return s.getValue().asSlice(a - s.getKey());
                }
              }
              return from(a);
            });
    for (dev.kiln.spi.ir.Node node : k.nodes()) {
      for (CudaLaunch l : lowering.lower(node, false)) {
        long[] p =
            l.pointers().stream()
                .mapToLong(ptr -> address.get(values.get(ptr.slot())) + ptr.byteOffset())
                .toArray();
        e.run(l, p);
      }
    }
  }

  /**
   * Gives this device a cuDNN: convolutions are planned ({@link #cudnnPlan}, each with a workspace
   * of 4 KiB that the emulated pass fills with NaNs first, so a workspace overlapping an operand
   * shows) and run by {@link CudnnEmulator}.
   */
  public FakeCudaRuntime withCudnn() {
    cudnn = true;
    return this;
  }

  /** The convolutions planned for cuDNN so far. */
  public List<CudnnConvolution> cudnnPlans() {
    return cudnnPlans;
  }

  @Override
  public java.util.Optional<CudnnPlan> cudnnPlan(CudnnConvolution convolution) {
    if (!cudnn) {
      return java.util.Optional.empty();
    }
    notCapturing("planning a cuDNN convolution");
    cudnnPlans.add(convolution);
    return java.util.Optional.of(new CudnnPlan(cudnnPlans.size() - 1, CUDNN_WORKSPACE));
  }

  private static final long CUDNN_WORKSPACE = 4096;

  /** Makes this device unable to capture graphs, as a runtime without them. */
  public FakeCudaRuntime withoutGraphs() {
    graphs = false;
    return this;
  }

  /**
   * Makes every capture from now on end with {@code failure}, as the driver's would (a {@link
   * CudaException}) or as the real runtime's refusal of a call under capture would.
   */
  public FakeCudaRuntime failCaptures(RuntimeException failure) {
    captureFailure = failure;
    return this;
  }

  /** Graphs captured and not destroyed. */
  public int liveGraphs() {
    return captured.size();
  }

  private void notCapturing(String what) {
    if (recording != null) {
      throw new AssertionError(what + " during stream capture, which a real device refuses");
    }
  }

  /** Makes convolutions whose column matrices exceed {@code bytes} run in chunks of images. */
  public FakeCudaRuntime limitWorkspace(long bytes) {
    workspaceLimit = bytes;
    return this;
  }

  @Override
  public long workspaceLimit() {
    return workspaceLimit;
  }

  /** A device of {@code capacity} bytes that records launches without running them. */
  public FakeCudaRuntime(long capacity) {
    this(capacity, false);
  }

  /**
   * A device of {@code capacity} bytes; with {@code emulate}, launches run on the host for the
   * kernels {@link KernelEmulator} knows (float32 programs of dense models).
   */
  public FakeCudaRuntime(long capacity, boolean emulate) {
    this.capacity = capacity;
    this.emulator = emulate ? new KernelEmulator(this::from) : null;
  }

  @Override
  public String name() {
    return "cuda:0 (fake)";
  }

  @Override
  public int multiprocessors() {
    return KernelCatalog.DEFAULT_MULTIPROCESSORS;
  }

  @Override
  public long allocate(long bytes) {
    notCapturing("an allocation of " + bytes + " bytes");
    if (used + bytes > capacity) {
      events.add("alloc " + bytes + " failed");
      return 0;
    }
    long at = next;
    next += (bytes + 4095) / 4096 * 4096 + 4096;
    memory.put(at, new byte[Math.toIntExact(bytes)]);
    used += bytes;
    events.add("alloc " + bytes);
    return at;
  }

  @Override
  public void free(long address) {
    notCapturing("a free");
    byte[] b = memory.remove(address);
    if (b == null) {
      throw new AssertionError("free of unallocated 0x" + Long.toHexString(address));
    }
    used -= b.length;
    frees++;
    events.add("free " + b.length);
  }

  public long used() {
    return used;
  }

  @Override
  public MemoryInfo memoryInfo() {
    return new MemoryInfo(capacity - used, capacity);
  }

  /** The allocation holding {@code bytes} at {@code address}, as a segment from there. */
  MemorySegment at(long address, long bytes) {
    for (Map.Entry<Long, byte[]> e : memory.entrySet()) {
      long start = e.getKey();
      if (address >= start && address + bytes <= start + e.getValue().length) {
        return MemorySegment.ofArray(e.getValue()).asSlice(address - start, bytes);
      }
    }
    throw new AssertionError(
        "device range 0x" + Long.toHexString(address) + " + " + bytes + " is not allocated");
  }

  /** The allocation holding {@code address}, from there to its end. */
  MemorySegment from(long address) {
    for (Map.Entry<Long, byte[]> e : memory.entrySet()) {
      long start = e.getKey();
      if (address >= start && address < start + Math.max(1, e.getValue().length)) {
        return MemorySegment.ofArray(e.getValue()).asSlice(address - start);
      }
    }
    throw new AssertionError("device address 0x" + Long.toHexString(address) + " is not allocated");
  }

  @Override
  public void copyToDevice(MemorySegment host, long device, long bytes) {
    notCapturing("an upload");
    MemorySegment.copy(host, 0, at(device, bytes), 0, bytes);
    events.add("upload " + bytes);
  }

  @Override
  public void copyToHost(long device, MemorySegment host, long bytes) {
    notCapturing("a download");
    MemorySegment.copy(at(device, bytes), 0, host, 0, bytes);
    events.add("download " + bytes);
  }

  @Override
  public void copyOnDevice(long destination, long source, long bytes) {
    if (recording != null) {
      recording.add(
          () -> MemorySegment.copy(at(source, bytes), 0, at(destination, bytes), 0, bytes));
      events.add("capture copy " + bytes);
      return;
    }
    MemorySegment.copy(at(source, bytes), 0, at(destination, bytes), 0, bytes);
    events.add("copy " + bytes);
  }

  @Override
  public void check(CudaKernel kernel) {
    notCapturing("loading kernel " + kernel.name());
    if (kernel.family().library()) {
      return;
    }
    if (kernel.family().generated()) {
      FusedElementwise.Kernel k = compiled.get(kernel.name());
      if (k == null || !k.kernel().equals(kernel)) {
        throw new AssertionError("generated kernel " + kernel + " was not compiled on this device");
      }
      return;
    }
    catalog.entry(kernel);
  }

  @Override
  public void launch(CudaLaunch launch, long[] pointers) {
    long[] at = pointers.clone();
    if (recording != null) {
      recording.add(() -> execute(launch, at));
      events.add("capture launch " + launch.kernel().name());
      return;
    }
    launches.add(new Launched(launch, at));
    events.add("launch " + launch.kernel().name());
    execute(launch, at);
  }

  private void execute(CudaLaunch launch, long[] pointers) {
    if (launch.kernel().family() == KernelFamily.CUDNN_CONVOLUTION) {
      int id = ((CudaLaunch.I32) launch.args().get(0)).value();
      long bytes = ((CudaLaunch.I64) launch.args().get(5)).value();
      if (!cudnn || id < 0 || id >= cudnnPlans.size() || bytes != CUDNN_WORKSPACE) {
        throw new AssertionError("a cuDNN launch of no plan of this device: " + launch);
      }
      if (emulator != null) {
        MemorySegment scratch = at(pointers[3], bytes);
        for (long i = 0; i < bytes; i += 4) {
          scratch.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, i, 0x7fc00000);
        }
        new CudnnEmulator(this::from)
            .run(cudnnPlans.get(id), pointers[0], pointers[1], pointers[2]);
      }
      return;
    }
    if (launch.kernel().family().generated()) {
      FusedElementwise.Kernel k = compiled.get(launch.kernel().name());
      if (k == null) {
        throw new AssertionError("a launch of a kernel this device did not compile: " + launch);
      }
      if (emulator != null) {
        emulateFused(k, launch, pointers);
      }
      return;
    }
    if (emulator != null) {
      emulator.run(launch, pointers);
    }
  }

  @Override
  public void synchronize() {
    notCapturing("a wait for the stream");
  }

  @Override
  public boolean canCapture() {
    return graphs;
  }

  @Override
  public long capture(Runnable work) {
    if (!graphs) {
      throw new UnsupportedOperationException(name() + " cannot capture work into graphs");
    }
    notCapturing("a nested capture");
    recording = new ArrayList<>();
    events.add("begin capture");
    List<Runnable> ops;
    try {
      work.run();
    } finally {
      ops = recording;
      recording = null;
    }
    events.add("end capture");
    if (captureFailure != null) {
      throw captureFailure;
    }
    long id = nextGraph++;
    captured.put(id, ops);
    captures++;
    return id;
  }

  @Override
  public void launchGraph(long graph) {
    notCapturing("a graph launch");
    List<Runnable> ops = captured.get(graph);
    if (ops == null) {
      throw new AssertionError("launch of graph " + graph + ", which is destroyed or unknown");
    }
    graphLaunches++;
    events.add("graph launch");
    ops.forEach(Runnable::run);
  }

  @Override
  public void destroyGraph(long graph) {
    if (captured.remove(graph) == null) {
      throw new AssertionError("destroy of graph " + graph + ", which is destroyed or unknown");
    }
    events.add("graph destroy");
  }

  @Override
  public void close() {}
}
