package dev.kiln.spi.backend;

/**
 * How much of a device's memory a backend's allocator holds, in bytes: what its live tensors,
 * variables and programs use, and what it has taken from the device (in use plus kept in its
 * cache), each now and at its highest since the backend was opened. Reserved memory is what other
 * processes on the device cannot have; PyTorch's {@code torch.cuda.memory_reserved} and {@code
 * max_memory_reserved} count the same for its caching allocator, its {@code memory_allocated} the
 * in-use part. Memory the device's libraries take for themselves (the context, cuBLAS and cuDNN
 * handles) is not counted.
 *
 * @param inUse bytes handed out and not yet freed
 * @param reserved bytes taken from the device: in use plus cached
 * @param peakInUse the highest {@code inUse} so far
 * @param peakReserved the highest {@code reserved} so far
 */
public record MemoryUsage(long inUse, long reserved, long peakInUse, long peakReserved) {
  /** Checks that the figures are consistent: none negative, none above its peak. */
  public MemoryUsage {
    if (inUse < 0 || reserved < inUse || peakInUse < inUse || peakReserved < reserved) {
      throw new IllegalArgumentException(
          "inconsistent memory usage: inUse="
              + inUse
              + ", reserved="
              + reserved
              + ", peakInUse="
              + peakInUse
              + ", peakReserved="
              + peakReserved);
    }
  }
}
