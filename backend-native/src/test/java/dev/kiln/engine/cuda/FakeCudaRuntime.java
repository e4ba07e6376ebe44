package dev.kiln.engine.cuda;

import dev.kiln.engine.cuda.kernels.CudaKernel;
import dev.kiln.engine.cuda.kernels.KernelCatalog;
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
    MemorySegment.copy(host, 0, at(device, bytes), 0, bytes);
    events.add("upload " + bytes);
  }

  @Override
  public void copyToHost(long device, MemorySegment host, long bytes) {
    MemorySegment.copy(at(device, bytes), 0, host, 0, bytes);
    events.add("download " + bytes);
  }

  @Override
  public void copyOnDevice(long destination, long source, long bytes) {
    MemorySegment.copy(at(source, bytes), 0, at(destination, bytes), 0, bytes);
    events.add("copy " + bytes);
  }

  @Override
  public void check(CudaKernel kernel) {
    catalog.entry(kernel);
  }

  @Override
  public void launch(CudaLaunch launch, long[] pointers) {
    launches.add(new Launched(launch, pointers.clone()));
    events.add("launch " + launch.kernel().name());
    if (emulator != null) {
      emulator.run(launch, pointers);
    }
  }

  @Override
  public void synchronize() {}

  @Override
  public void close() {}
}
