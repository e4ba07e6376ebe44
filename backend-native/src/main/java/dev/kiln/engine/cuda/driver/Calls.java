package dev.kiln.engine.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Calls off the hot path (set-up, queries, creation and destruction) through {@link
 * MethodHandle#invokeWithArguments}, with the shapes the libraries share: a status to check, and an
 * out-parameter written first. Launches, copies and GEMMs call {@code invokeExact} themselves; the
 * bindings' tests run every method against stand-in handles, so an argument of the wrong type shows
 * either way without a GPU.
 */
final class Calls {
  /** A library's check of a status code. */
  @FunctionalInterface
  interface Check {
    /**
     * @param named alternating argument names and values, for the message
     * @throws CudaException if {@code code} is not zero
     */
    void check(int code, CFunction f, Object[] named);
  }

  private final Check check;

  Calls(Check check) {
    this.check = check;
  }

  /** Argument names and values for messages. */
  static Object[] named(Object... pairs) {
    return pairs;
  }

  /** Calls {@code f} through its handle {@code h} and checks the status. */
  void run(MethodHandle h, CFunction f, Object[] named, Object... args) {
    int code;
    try {
      code = (int) h.invokeWithArguments(args);
    } catch (Throwable t) {
      throw CFunction.unexpected(f, t);
    }
    check.check(code, f, named);
  }

  /** Calls {@code f(&out, rest...)} and returns the pointer it wrote. */
  MemorySegment pointerOut(MethodHandle h, CFunction f, Object[] named, Object... rest) {
    try (Arena arena = Arena.ofConfined()) {
      return out(arena, ADDRESS, h, f, named, rest).get(ADDRESS, 0);
    }
  }

  /** Calls {@code f(&out, rest...)} and returns the {@code int} it wrote. */
  int intOut(MethodHandle h, CFunction f, Object[] named, Object... rest) {
    try (Arena arena = Arena.ofConfined()) {
      return out(arena, JAVA_INT, h, f, named, rest).get(JAVA_INT, 0);
    }
  }

  /** Calls {@code f(&out, rest...)} and returns the 64-bit value it wrote. */
  long longOut(MethodHandle h, CFunction f, Object[] named, Object... rest) {
    try (Arena arena = Arena.ofConfined()) {
      return out(arena, JAVA_LONG, h, f, named, rest).get(JAVA_LONG, 0);
    }
  }

  private MemorySegment out(
      Arena arena,
      MemoryLayout layout,
      MethodHandle h,
      CFunction f,
      Object[] named,
      Object[] rest) {
    MemorySegment out = arena.allocate(layout);
    Object[] args = new Object[rest.length + 1];
    args[0] = out;
    System.arraycopy(rest, 0, args, 1, rest.length);
    run(h, f, named, args);
    return out;
  }
}
