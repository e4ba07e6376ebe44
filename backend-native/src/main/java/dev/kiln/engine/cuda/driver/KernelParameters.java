package dev.kiln.engine.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The arguments of one kernel launch, in the form {@code cuLaunchKernel} takes: an array of
 * pointers, one per kernel parameter, each to a copy of the argument's value. The driver copies the
 * values during the launch call, so the parameters may be closed (or reused) once it returns. Owned
 * by one thread.
 *
 * {@snippet :
 * try (KernelParameters p = new KernelParameters()) {
 *   p.pointer(x).pointer(y).i32(n);
 *   driver.launchKernel(addOne, new int[] {blocks, 1, 1}, new int[] {256, 1, 1}, 0, stream, p);
 * }
 * }
 */
public final class KernelParameters implements AutoCloseable {
  private final Arena arena = Arena.ofConfined();
  private final List<MemorySegment> values = new ArrayList<>();
  private boolean closed;

  /** A device address ({@code T*} in the kernel). */
  public KernelParameters pointer(long deviceAddress) {
    slot(JAVA_LONG).set(JAVA_LONG, 0, deviceAddress);
    return this;
  }

  /** An {@code int} (or {@code unsigned int}). */
  public KernelParameters i32(int value) {
    slot(JAVA_INT).set(JAVA_INT, 0, value);
    return this;
  }

  /** A {@code long long} (or {@code size_t}). */
  public KernelParameters i64(long value) {
    slot(JAVA_LONG).set(JAVA_LONG, 0, value);
    return this;
  }

  /** A {@code float}. */
  public KernelParameters f32(float value) {
    slot(JAVA_FLOAT).set(JAVA_FLOAT, 0, value);
    return this;
  }

  /** A struct passed by value, laid out by the caller in {@code bytes} (copied). */
  public KernelParameters struct(MemorySegment bytes, long alignment) {
    MemorySegment s = arena.allocate(bytes.byteSize(), alignment);
    s.copyFrom(bytes);
    values.add(s);
    return this;
  }

  private MemorySegment slot(ValueLayout layout) {
    MemorySegment s = arena.allocate(layout);
    values.add(s);
    return s;
  }

  /** How many parameters were added. */
  public int count() {
    return values.size();
  }

  /** The {@code void**} array for {@code cuLaunchKernel}. */
  MemorySegment pointers() {
    MemorySegment array = arena.allocate(ADDRESS, Math.max(1, values.size()));
    for (int i = 0; i < values.size(); i++) {
      array.setAtIndex(ADDRESS, i, values.get(i));
    }
    return array;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      arena.close();
    }
  }
}
