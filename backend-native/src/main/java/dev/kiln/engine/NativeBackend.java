package dev.kiln.engine;

import dev.kiln.engine.cpu.CpuPool;
import dev.kiln.engine.cpu.OffHeap;
import dev.kiln.engine.cpu.Simd;
import dev.kiln.engine.cuda.CudaAllocator;
import dev.kiln.engine.cuda.CudaDevices;
import dev.kiln.engine.cuda.CudaDriverRuntime;
import dev.kiln.engine.cuda.CudaRuntime;
import dev.kiln.engine.cuda.CudaTensor;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.backend.BackendOptions;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.Device;
import dev.kiln.spi.backend.DeviceTensor;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.backend.ExecutableSupport;
import dev.kiln.spi.backend.MemoryUsage;
import dev.kiln.spi.backend.Variable;
import dev.kiln.spi.ir.Graph;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The Kiln engine. Options: {@code threads} (worker count, default the available processors) and
 * {@code device} (the default device, see {@link NativeDevices}). Programs run on the CPU, and on
 * CUDA devices once {@link NativeDevices#CUDA_EXECUTOR_READY} is set or {@code
 * kiln.cuda.executor=true} switches the executor on. Variables live on the default device: in host
 * memory for the CPU, in device memory (across steps) for a GPU.
 */
final class NativeBackend implements Backend {
  private final Device cpu = new Device(NativeBackendProvider.NAME, "cpu", 0);
  private final NativeDevices devices;
  private final Map<String, NativeVariable> variables = new HashMap<>();
  private final Map<String, CudaVariable> cudaVariables = new HashMap<>();
  private final Map<Device, CudaPlace> cudaPlaces = new HashMap<>();
  private final Function<Device, CudaRuntime> cudaRuntimes;
  private final boolean cudaEnabled;
  private final CpuPool pool;
  private boolean closed;

  /**
   * A CUDA device in use: its runtime (context and stream) and its memory's caching allocator.
   *
   * @param device the device
   * @param runtime its runtime
   * @param allocator its allocator
   */
  record CudaPlace(Device device, CudaRuntime runtime, CudaAllocator allocator) {
    /** Uninitialized device memory for a tensor of {@code type}. */
    CudaTensor tensor(TensorType type, String what) {
      return new CudaTensor(type, device, runtime, allocator, what);
    }
  }

  NativeBackend(BackendOptions options) {
    this(
        options,
        NativeDevices.fromSettings(
            CudaDevices::shared,
            options.get(NativeDevices.OPTION, null),
            System.getProperty(NativeDevices.PROPERTY),
            System.getenv(NativeDevices.ENVIRONMENT)));
  }

  NativeBackend(BackendOptions options, NativeDevices devices) {
    this(options, devices, null);
  }

  /**
   * A backend whose CUDA devices run through {@code cudaRuntimes} (tests give a fake device); with
   * null, through the CUDA driver, and only when the executor is enabled ({@link
   * NativeDevices#executorEnabled}).
   */
  NativeBackend(
      BackendOptions options, NativeDevices devices, Function<Device, CudaRuntime> cudaRuntimes) {
    this.devices = devices;
    this.cudaEnabled = cudaRuntimes != null || devices.executorEnabled();
    this.cudaRuntimes =
        cudaRuntimes != null
            ? cudaRuntimes
            : d -> new CudaDriverRuntime(devices.cuda(), devices.cuda().devices().get(d.index()));
    int threads =
        Integer.parseInt(
            options.get("threads", Integer.toString(Runtime.getRuntime().availableProcessors())));
    this.pool = CpuPool.shared(threads);
    Simd.logOnce();
  }

  /** The CPU device, where programs run. */
  Device cpu() {
    return cpu;
  }

  CpuPool pool() {
    return pool;
  }

  @Override
  public String name() {
    return NativeBackendProvider.NAME;
  }

  @Override
  public List<Device> devices() {
    return devices.devices();
  }

  @Override
  public Device defaultDevice() {
    return devices.defaultDevice();
  }

  @Override
  public String describe(Device device) {
    return devices.describe(device);
  }

  @Override
  public List<String> notes() {
    return devices.notes();
  }

  /**
   * The caching allocator's figures for a CUDA device (zeros before its first use); empty for the
   * CPU, whose memory comes from the JVM and the operating system.
   */
  @Override
  public Optional<MemoryUsage> memoryUsage(Device device) {
    if (!devices.isCuda(device)) {
      return Optional.empty();
    }
    CudaPlace p;
    synchronized (this) {
      p = cudaPlaces.get(device);
    }
    return Optional.of(p == null ? new MemoryUsage(0, 0, 0, 0) : p.allocator().usage());
  }

  /** The CPU, or the error for a CUDA device (not yet runnable) or a device of another backend. */
  private void checkRunnable(Device device, String what) {
    if (devices.isCpu(device)) {
      return;
    }
    if (devices.isCuda(device)) {
      if (!cudaEnabled) {
        throw devices.notYetImplemented(device, what);
      }
      return;
    }
    throw new BackendException(
        "native: unknown device " + device + "; this backend has " + devices.devices());
  }

  @Override
  public DeviceTensor upload(HostTensor tensor, Device device) {
    checkOpen();
    checkRunnable(device, "uploading a tensor");
    if (devices.isCuda(device)) {
      CudaPlace p = cudaPlace(device);
      return CudaTensor.upload(tensor, device, p.runtime(), p.allocator());
    }
    NativeTensor t = new NativeTensor(tensor.type(), cpu);
    copyIn(tensor, t.segment());
    return t;
  }

  static void copyIn(HostTensor h, MemorySegment to) {
    MemorySegment from = heapSegment(h);
    MemorySegment.copy(from, 0, to, 0, NativeTensor.bytes(h.type()));
  }

  static MemorySegment heapSegment(HostTensor h) {
    return OffHeap.heapSegment(h);
  }

  static HostTensor copyOut(TensorType type, MemorySegment from) {
    HostTensor h = HostTensor.zeros(type.dtype(), type.shape());
    MemorySegment.copy(from, 0, heapSegment(h), 0, NativeTensor.bytes(type));
    return h;
  }

  @Override
  public HostTensor download(DeviceTensor tensor) {
    checkOpen();
    if (tensor instanceof CudaTensor c) {
      return c.download();
    }
    if (!(tensor instanceof NativeTensor t)) {
      throw new BackendException("native: " + tensor + " belongs to another backend");
    }
    return copyOut(t.type(), t.segment());
  }

  @Override
  public Executable compile(Graph graph, CompileOptions options) {
    checkOpen();
    Device device = options.device() == null ? defaultDevice() : options.device();
    checkRunnable(device, "compiling a program");
    ExecutableSupport.checkCompilable(name(), graph);
    if (devices.isCuda(device)) {
      return new CudaExecutable(this, graph, cudaPlace(device));
    }
    return new NativeExecutable(this, graph);
  }

  @Override
  public Variable createVariable(String id, HostTensor initial) {
    checkOpen();
    deleteVariable(id);
    Device d = defaultDevice();
    if (devices.isCuda(d) && cudaEnabled) {
      CudaVariable v = new CudaVariable(id, (CudaTensor) upload(initial, d));
      cudaVariables.put(id, v);
      return v;
    }
    NativeVariable old = variables.remove(id);
    if (old != null) {
      old.tensor().close();
    }
    NativeVariable v = new NativeVariable(id, (NativeTensor) upload(initial));
    variables.put(id, v);
    return v;
  }

  @Override
  public Optional<Variable> variable(String id) {
    Variable v = variables.get(id);
    return Optional.ofNullable(v != null ? v : cudaVariables.get(id));
  }

  /**
   * The device tensor of variable {@code id} for a program on {@code place}.
   *
   * @throws BackendException when the variable is missing or lives on another device
   */
  CudaTensor cudaVariable(String id, CudaPlace place) {
    CudaVariable v = cudaVariables.get(id);
    if (v == null || !v.tensor().device().equals(place.device())) {
      throw new BackendException(
          "native: the graph reads variable '"
              + id
              + "' but "
              + place.device()
              + " has no variable of that id"
              + (variables.containsKey(id)
                  ? " (it lives on " + cpu + ": variables live on the default device)"
                  : ""));
    }
    return v.tensor();
  }

  /** The runtime and allocator of a CUDA device, opened on first use. */
  synchronized CudaPlace cudaPlace(Device device) {
    return cudaPlaces.computeIfAbsent(
        device,
        d -> {
          CudaRuntime r = cudaRuntimes.apply(d);
          return new CudaPlace(d, r, new CudaAllocator(r));
        });
  }

  /** The variable's memory, for executables; null if absent. */
  MemorySegment variableSegment(String id) {
    NativeVariable v = variables.get(id);
    return v == null ? null : v.tensor().segment();
  }

  @Override
  public void deleteVariable(String id) {
    NativeVariable v = variables.remove(id);
    if (v != null) {
      v.tensor().close();
    }
    CudaVariable c = cudaVariables.remove(id);
    if (c != null) {
      c.tensor().close();
    }
  }

  @Override
  public void trimFreedMemory() {
    OffHeap.trim();
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      variables.values().forEach(v -> v.tensor().close());
      variables.clear();
      cudaVariables.values().forEach(v -> v.tensor().close());
      cudaVariables.clear();
      for (CudaPlace p : cudaPlaces.values()) {
        p.allocator().releaseAll();
        p.runtime().close();
      }
      cudaPlaces.clear();
    }
  }

  void checkOpen() {
    if (closed) {
      throw new BackendException("native: the backend is closed");
    }
  }

  /** Checks that {@code value} may be assigned to variable {@code id} of type {@code type}. */
  static void checkAssignable(String id, TensorType type, HostTensor value) {
    if (!value.type().equals(type)) {
      throw new BackendException(
          "native: variable '" + id + "' is " + type + "; cannot assign " + value.type());
    }
  }

  /** A backend variable: a tensor with an id. */
  record NativeVariable(String id, NativeTensor tensor) implements Variable {
    @Override
    public TensorType type() {
      return tensor.type();
    }

    @Override
    public HostTensor read() {
      return copyOut(tensor.type(), tensor.segment());
    }

    @Override
    public void assign(HostTensor value) {
      checkAssignable(id, tensor.type(), value);
      copyIn(value, tensor.segment());
    }
  }

  /** A variable in a CUDA device's memory. */
  record CudaVariable(String id, CudaTensor tensor) implements Variable {
    @Override
    public TensorType type() {
      return tensor.type();
    }

    @Override
    public HostTensor read() {
      return tensor.download();
    }

    @Override
    public void assign(HostTensor value) {
      checkAssignable(id, tensor.type(), value);
      tensor.assign(value);
    }
  }
}
