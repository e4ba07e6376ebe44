package dev.kiln.engine;

import dev.kiln.engine.cpu.OffHeap;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.backend.Device;
import dev.kiln.spi.backend.DeviceTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A tensor in off-heap memory, 64-byte aligned, owned by its own arena: closing the tensor frees
 * the memory. Shared arenas, because kernels read it from the engine's worker threads.
 */
final class NativeTensor implements DeviceTensor {
  static final long ALIGNMENT = 64;

  private final TensorType type;
  private final Device device;
  private final Arena arena;
  private final MemorySegment segment;
  private boolean closed;

  NativeTensor(TensorType type, Device device) {
    this.type = type;
    this.device = device;
    this.arena = Arena.ofShared();
    try {
      this.segment = OffHeap.allocate(arena, bytes(type), ALIGNMENT);
    } catch (OutOfMemoryError e) {
      arena.close();
      throw new BackendException(
          "native: out of native memory allocating "
              + OffHeap.describeBytes(bytes(type))
              + " for a tensor "
              + type
              + ". Native memory is bounded by the machine's or container's memory limit (and"
              + " `ulimit -v`), not by -Xmx ("
              + e.getMessage()
              + ")",
          e);
    }
  }

  static long bytes(TensorType t) {
    return t.shape().size() * t.dtype().byteSize();
  }

  MemorySegment segment() {
    if (closed) {
      throw new BackendException("native: use of a closed tensor " + type);
    }
    return segment;
  }

  @Override
  public TensorType type() {
    return type;
  }

  @Override
  public Device device() {
    return device;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      arena.close();
    }
  }

  @Override
  public String toString() {
    return "NativeTensor " + type + (closed ? " (closed)" : "");
  }
}
