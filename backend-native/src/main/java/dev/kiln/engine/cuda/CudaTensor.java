package dev.kiln.engine.cuda;

import dev.kiln.engine.cpu.OffHeap;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.backend.Device;
import dev.kiln.spi.backend.DeviceTensor;
import java.lang.foreign.MemorySegment;

/**
 * A tensor in a CUDA device's memory, from the device's caching allocator: closing it returns the
 * memory to the cache. Host data crosses the bus through the runtime's pinned staging buffer.
 */
public final class CudaTensor implements DeviceTensor {
  private final TensorType type;
  private final Device device;
  private final CudaRuntime runtime;
  private final CudaAllocator allocator;
  private final long address;
  private boolean closed;

  /**
   * Uninitialized device memory for a tensor of {@code type}.
   *
   * @param what what the tensor is, for the out-of-memory message
   */
  public CudaTensor(
      TensorType type, Device device, CudaRuntime runtime, CudaAllocator allocator, String what) {
    this.type = type;
    this.device = device;
    this.runtime = runtime;
    this.allocator = allocator;
    this.address = allocator.allocate(bytes(type), () -> what + " " + type);
  }

  /** A device copy of {@code host}. */
  public static CudaTensor upload(
      HostTensor host, Device device, CudaRuntime runtime, CudaAllocator allocator) {
    CudaTensor t = new CudaTensor(host.type(), device, runtime, allocator, "a tensor uploaded as");
    t.assign(host);
    return t;
  }

  /** The bytes of a tensor of {@code type}. */
  public static long bytes(TensorType type) {
    return type.shape().size() * type.dtype().byteSize();
  }

  /**
   * The device address.
   *
   * @throws BackendException when the tensor is closed
   */
  public long address() {
    if (closed) {
      throw new BackendException("native (CUDA): use of a closed tensor " + type);
    }
    return address;
  }

  /** Copies the tensor to the host, waiting for the work that computes it. */
  public HostTensor download() {
    HostTensor h = HostTensor.zeros(type.dtype(), type.shape());
    runtime.copyToHost(address(), OffHeap.heapSegment(h), bytes(type));
    return h;
  }

  /**
   * Overwrites the tensor with {@code host}, after the queued work.
   *
   * @throws BackendException when the types differ
   */
  public void assign(HostTensor host) {
    if (!host.type().equals(type)) {
      throw new BackendException(
          "native (CUDA): cannot write " + host.type() + " into a tensor " + type);
    }
    MemorySegment from = OffHeap.heapSegment(host);
    runtime.copyToDevice(from, address(), bytes(type));
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
      allocator.release(address);
    }
  }

  @Override
  public String toString() {
    return "CudaTensor " + type + " on " + device + (closed ? " (closed)" : "");
  }
}
