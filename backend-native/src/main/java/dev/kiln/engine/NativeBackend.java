package dev.kiln.engine;

import dev.kiln.engine.cpu.CpuPool;
import dev.kiln.engine.cpu.OffHeap;
import dev.kiln.engine.cpu.Simd;
import dev.kiln.engine.cuda.CudaDevices;
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
import dev.kiln.spi.backend.Variable;
import dev.kiln.spi.ir.Graph;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Kiln engine. Options: {@code threads} (worker count, default the available processors) and
 * {@code device} (the default device, see {@link NativeDevices}). Programs run on the CPU; CUDA
 * devices are listed, and running on them waits for the CUDA executor.
 */
final class NativeBackend implements Backend {
  private final Device cpu = new Device(NativeBackendProvider.NAME, "cpu", 0);
  private final NativeDevices devices;
  private final Map<String, NativeVariable> variables = new HashMap<>();
  private final CpuPool pool;
  private boolean closed;

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
    this.devices = devices;
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

  /** The CPU, or the error for a CUDA device (not yet runnable) or a device of another backend. */
  private void checkRunnable(Device device, String what) {
    if (devices.isCpu(device)) {
      return;
    }
    if (devices.isCuda(device)) {
      throw devices.notYetImplemented(device, what);
    }
    throw new BackendException(
        "native: unknown device " + device + "; this backend has " + devices.devices());
  }

  @Override
  public DeviceTensor upload(HostTensor tensor, Device device) {
    checkOpen();
    checkRunnable(device, "uploading a tensor");
    NativeTensor t = new NativeTensor(tensor.type(), cpu);
    copyIn(tensor, t.segment());
    return t;
  }

  static void copyIn(HostTensor h, MemorySegment to) {
    MemorySegment from = heapSegment(h);
    MemorySegment.copy(from, 0, to, 0, NativeTensor.bytes(h.type()));
  }

  static MemorySegment heapSegment(HostTensor h) {
    return switch (h.array()) {
      case float[] a -> MemorySegment.ofArray(a);
      case double[] a -> MemorySegment.ofArray(a);
      case short[] a -> MemorySegment.ofArray(a);
      case byte[] a -> MemorySegment.ofArray(a);
      case int[] a -> MemorySegment.ofArray(a);
      case long[] a -> MemorySegment.ofArray(a);
      default -> throw new IllegalStateException("unexpected host array " + h.array().getClass());
    };
  }

  static HostTensor copyOut(TensorType type, MemorySegment from) {
    HostTensor h = HostTensor.zeros(type.dtype(), type.shape());
    MemorySegment.copy(from, 0, heapSegment(h), 0, NativeTensor.bytes(type));
    return h;
  }

  @Override
  public HostTensor download(DeviceTensor tensor) {
    checkOpen();
    if (!(tensor instanceof NativeTensor t)) {
      throw new BackendException("native: " + tensor + " belongs to another backend");
    }
    return copyOut(t.type(), t.segment());
  }

  @Override
  public Executable compile(Graph graph, CompileOptions options) {
    checkOpen();
    checkRunnable(
        options.device() == null ? defaultDevice() : options.device(), "compiling a program");
    ExecutableSupport.checkCompilable(name(), graph);
    return new NativeExecutable(this, graph);
  }

  @Override
  public Variable createVariable(String id, HostTensor initial) {
    checkOpen();
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
    return Optional.ofNullable(variables.get(id));
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
    }
  }

  void checkOpen() {
    if (closed) {
      throw new BackendException("native: the backend is closed");
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
      if (!value.type().equals(tensor.type())) {
        throw new BackendException(
            "native: variable '"
                + id
                + "' is "
                + tensor.type()
                + "; cannot assign "
                + value.type());
      }
      copyIn(value, tensor.segment());
    }
  }
}
