package dev.kiln.engine.cuda;

import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.backend.MemoryUsage;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * A caching allocator of device memory. Requests are rounded up to a size class (multiples of 512
 * bytes up to 1 MiB, then of 2 MiB), freed blocks are kept per class and handed out again, so a
 * training loop allocates from the driver only in its first step. When the driver is out of memory
 * the cache is returned to it and the request tried once more; a second failure is an error naming
 * what the memory was for, its size and the device's usage. Thread-safe: tensors may be closed from
 * any thread.
 */
public final class CudaAllocator {
  private static final long SMALL = 512;
  private static final long LARGE = 2L << 20;
  private static final long SMALL_LIMIT = 1L << 20;

  private final CudaRuntime runtime;
  private final TreeMap<Long, ArrayDeque<Long>> cache = new TreeMap<>();
  private final Map<Long, Long> inUse = new HashMap<>();
  private long bytesInUse;
  private long bytesCached;
  private long fromDriver;
  private long peakInUse;
  private long peakReserved;

  /** An allocator of {@code runtime}'s memory. */
  public CudaAllocator(CudaRuntime runtime) {
    this.runtime = runtime;
  }

  /** The size class of a request of {@code bytes}: what the allocator reserves for it. */
  public static long sizeClass(long bytes) {
    long b = Math.max(1, bytes);
    long unit = b <= SMALL_LIMIT ? SMALL : LARGE;
    return (b + unit - 1) / unit * unit;
  }

  /**
   * Device memory for {@code bytes}, from the cache when a block of its class is free.
   *
   * @param what what the memory is for, for the out-of-memory message ("the result of matmul
   *     (float32[512, 1024])")
   * @throws BackendException when the device has no room even after the cache is freed
   */
  public synchronized long allocate(long bytes, Supplier<String> what) {
    long size = sizeClass(bytes);
    ArrayDeque<Long> free = cache.get(size);
    long address;
    if (free != null && !free.isEmpty()) {
      address = free.pop();
      bytesCached -= size;
    } else {
      address = runtime.allocate(size);
      if (address == 0) {
        emptyCache();
        address = runtime.allocate(size);
      }
      if (address == 0) {
        throw outOfMemory(bytes, size, what.get());
      }
      fromDriver++;
    }
    inUse.put(address, size);
    bytesInUse += size;
    peakInUse = Math.max(peakInUse, bytesInUse);
    peakReserved = Math.max(peakReserved, bytesInUse + bytesCached);
    return address;
  }

  /**
   * Returns memory from {@link #allocate} to the cache. Work queued on the stream may still use it;
   * the next user is queued on the same stream, after it.
   *
   * @throws IllegalArgumentException when the address is not in use
   */
  public synchronized void release(long address) {
    Long size = inUse.remove(address);
    if (size == null) {
      throw new IllegalArgumentException(
          "CUDA: device address 0x" + Long.toHexString(address) + " is not allocated here");
    }
    bytesInUse -= size;
    bytesCached += size;
    cache.computeIfAbsent(size, s -> new ArrayDeque<>()).push(address);
  }

  /** Gives every cached block back to the driver. */
  public synchronized void emptyCache() {
    for (ArrayDeque<Long> blocks : cache.values()) {
      for (long a : blocks) {
        runtime.free(a);
      }
    }
    cache.clear();
    bytesCached = 0;
  }

  /** Frees everything, in use or cached. */
  public synchronized void releaseAll() {
    emptyCache();
    for (long a : inUse.keySet()) {
      runtime.free(a);
    }
    inUse.clear();
    bytesInUse = 0;
  }

  /** Bytes handed out and not yet released (by size class). */
  public synchronized long bytesInUse() {
    return bytesInUse;
  }

  /** Bytes held in the cache. */
  public synchronized long bytesCached() {
    return bytesCached;
  }

  /**
   * Bytes in use and reserved from the device (in use plus cached), now and at their highest since
   * this allocator was made, all by size class.
   */
  public synchronized MemoryUsage usage() {
    return new MemoryUsage(bytesInUse, bytesInUse + bytesCached, peakInUse, peakReserved);
  }

  /** How many allocations went to the driver. */
  public synchronized long driverAllocations() {
    return fromDriver;
  }

  private BackendException outOfMemory(long bytes, long size, String what) {
    CudaRuntime.MemoryInfo m = runtime.memoryInfo();
    return new BackendException(
        "native (CUDA): out of device memory on "
            + runtime.name()
            + " allocating "
            + describe(bytes)
            + (size != bytes ? " (" + describe(size) + " with rounding)" : "")
            + " for "
            + what
            + "; the device has "
            + describe(m.free())
            + " free of "
            + describe(m.total())
            + ", Kiln holds "
            + describe(bytesInUse)
            + " in use (its cache was freed and the allocation retried). Use a smaller batch"
            + " size or model, or -Dkiln.device=cpu");
  }

  /** Bytes in the largest unit that keeps them readable. */
  static String describe(long bytes) {
    if (bytes < 1024) {
      return bytes + " bytes";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
