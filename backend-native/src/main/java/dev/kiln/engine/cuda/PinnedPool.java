package dev.kiln.engine.cuda;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A few pinned host buffers through which uploads cross the bus without waiting for the stream. An
 * upload copies its bytes into a free buffer, queues the copy to the device and records an event
 * after it; the buffer is free again once that event has completed. {@link #acquire} takes a free
 * buffer (growing a small one when needed), adds one while there are fewer than the limit, and
 * waits only when every buffer's copy is still queued, and then for the oldest. So the next batch
 * can be uploaded while the step before it still runs.
 *
 * <p>Pinned memory is bounded: at most {@code maxBuffers} buffers of at most {@code maxBufferBytes}
 * each (4 of 64 MiB, 256 MiB in all, on a real device). A larger transfer goes through in chunks of
 * {@link #chunkBytes}, each waiting for a buffer as above, so it is effectively synchronous. Not
 * thread-safe: the runtime calls it under its lock.
 */
final class PinnedPool implements AutoCloseable {
  /** What the pool needs of the driver; tests give a fake. */
  interface Host {
    /** Pinned host memory of {@code bytes}. */
    MemorySegment allocate(long bytes);

    /** Frees memory from {@link #allocate}; no queued copy reads it. */
    void free(MemorySegment memory);

    /** A new event. */
    MemorySegment createEvent();

    /** Records {@code event} on the stream, after the work queued so far. */
    void record(MemorySegment event);

    /** Whether the work before the event's last record is done; does not wait. */
    boolean done(MemorySegment event);

    /** Waits for the work before the event's last record. */
    void waitFor(MemorySegment event);

    /** Destroys an event. */
    void destroyEvent(MemorySegment event);
  }

  /** One pinned buffer and the event recorded after the last copy out of it. */
  static final class Buffer {
    private MemorySegment memory;
    private final MemorySegment event;
    private long queuedAt = -1;

    private Buffer(MemorySegment memory, MemorySegment event) {
      this.memory = memory;
      this.event = event;
    }

    /** The buffer's memory (at least the bytes asked for). */
    MemorySegment memory() {
      return memory;
    }

    boolean inFlight() {
      return queuedAt >= 0;
    }
  }

  private final Host host;
  private final int maxBuffers;
  private final long maxBufferBytes;
  private final long minBufferBytes;
  private final List<Buffer> buffers = new ArrayList<>();
  private long queued;
  private int waits;
  private boolean closed;

  /**
   * A pool of at most {@code maxBuffers} buffers of {@code minBufferBytes} to {@code
   * maxBufferBytes} bytes.
   */
  PinnedPool(Host host, int maxBuffers, long minBufferBytes, long maxBufferBytes) {
    if (maxBuffers < 1 || minBufferBytes < 1 || maxBufferBytes < minBufferBytes) {
      throw new IllegalArgumentException(
          "a pinned pool needs at least one buffer and 1 <= min <= max bytes, got "
              + maxBuffers
              + " buffers of "
              + minBufferBytes
              + " to "
              + maxBufferBytes
              + " bytes");
    }
    this.host = host;
    this.maxBuffers = maxBuffers;
    this.minBufferBytes = minBufferBytes;
    this.maxBufferBytes = maxBufferBytes;
  }

  /** The most bytes one buffer holds: larger transfers go in chunks of this size. */
  long chunkBytes() {
    return maxBufferBytes;
  }

  /**
   * A buffer of at least {@code bytes} that no queued copy reads. Call {@link #queued} once a copy
   * out of it is queued; a buffer used only for a synchronous transfer needs nothing more.
   *
   * @throws IllegalArgumentException when {@code bytes} exceeds {@link #chunkBytes}
   */
  Buffer acquire(long bytes) {
    if (closed) {
      throw new IllegalStateException("the pinned pool is closed");
    }
    if (bytes > maxBufferBytes) {
      throw new IllegalArgumentException(
          "a pinned buffer holds at most " + maxBufferBytes + " bytes, asked for " + bytes);
    }
    Buffer fitting = null;
    Buffer smallFree = null;
    for (Buffer b : buffers) {
      if (b.inFlight() && host.done(b.event)) {
        b.queuedAt = -1;
      }
      if (!b.inFlight()) {
        if (b.memory.byteSize() >= bytes) {
          if (fitting == null || b.memory.byteSize() < fitting.memory.byteSize()) {
            fitting = b;
          }
        } else if (smallFree == null) {
          smallFree = b;
        }
      }
    }
    if (fitting != null) {
      return fitting;
    }
    if (buffers.size() < maxBuffers) {
      MemorySegment memory = host.allocate(size(bytes));
      MemorySegment event;
      try {
        event = host.createEvent();
      } catch (RuntimeException e) {
        host.free(memory);
        throw e;
      }
      Buffer b = new Buffer(memory, event);
      buffers.add(b);
      return b;
    }
    Buffer b = smallFree;
    if (b == null) {
      b = buffers.get(0);
      for (Buffer c : buffers) {
        if (c.queuedAt < b.queuedAt) {
          b = c;
        }
      }
      waits++;
      host.waitFor(b.event);
      b.queuedAt = -1;
    }
    if (b.memory.byteSize() < bytes) {
      MemorySegment old = b.memory;
      b.memory = null;
      host.free(old);
      try {
        b.memory = host.allocate(size(bytes));
      } catch (RuntimeException e) {
        buffers.remove(b);
        host.destroyEvent(b.event);
        throw e;
      }
    }
    return b;
  }

  /** Marks {@code b} busy until the work queued so far is done. */
  void queued(Buffer b) {
    host.record(b.event);
    b.queuedAt = queued++;
  }

  /** Marks every buffer free: the stream was synchronized, so no queued copy reads them. */
  void idle() {
    for (Buffer b : buffers) {
      b.queuedAt = -1;
    }
  }

  private long size(long bytes) {
    long s = Math.max(minBufferBytes, Long.highestOneBit(Math.max(1, bytes - 1)) << 1);
    return Math.min(maxBufferBytes, Math.max(s, bytes));
  }

  /** How many buffers the pool holds, for tests. */
  int buffers() {
    return buffers.size();
  }

  /** Pinned bytes held. */
  long pinnedBytes() {
    long sum = 0;
    for (Buffer b : buffers) {
      sum += b.memory == null ? 0 : b.memory.byteSize();
    }
    return sum;
  }

  /** How many times {@link #acquire} waited for a queued copy, for tests. */
  int waits() {
    return waits;
  }

  /** Frees the buffers and events; the caller has waited for the stream. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Buffer b : buffers) {
      if (b.memory != null) {
        host.free(b.memory);
      }
      host.destroyEvent(b.event);
    }
    buffers.clear();
  }
}
