package dev.kiln.engine.cuda.driver;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Stand-in handles for a library's functions: each has the exact type of its downcall handle,
 * records its arguments and returns a chosen status (0 unless set), so that every binding method
 * runs, with its argument types checked by {@code invokeExact}, without the library.
 */
final class FakeLibrary implements Function<CFunction, MethodHandle> {
  /** One recorded call. */
  record Call(String symbol, List<Object> args) {}

  private static final MethodHandle RECORD;

  static {
    try {
      RECORD =
          MethodHandles.lookup()
              .findVirtual(
                  FakeLibrary.class,
                  "record",
                  MethodType.methodType(Object.class, CFunction.class, Object[].class));
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final List<Call> calls = new ArrayList<>();
  private final Map<String, Integer> statuses = new HashMap<>();
  private final Map<String, MethodHandle> overrides = new HashMap<>();

  /** Makes {@code symbol} return {@code status}. */
  FakeLibrary failing(String symbol, int status) {
    statuses.put(symbol, status);
    return this;
  }

  /** Binds {@code symbol} to {@code handle} instead (it must have the downcall's type). */
  FakeLibrary with(String symbol, MethodHandle handle) {
    overrides.put(symbol, handle);
    return this;
  }

  /** Leaves {@code symbol} unbound, as a library without it. */
  FakeLibrary without(String symbol) {
    overrides.put(symbol, null);
    return this;
  }

  @Override
  public MethodHandle apply(CFunction f) {
    if (overrides.containsKey(f.symbol())) {
      return overrides.get(f.symbol());
    }
    MethodType type = f.descriptor().toMethodType();
    return RECORD
        .bindTo(this)
        .bindTo(f)
        .asCollector(Object[].class, type.parameterCount())
        .asType(type);
  }

  @SuppressWarnings("unused") // called through RECORD
  private Object record(CFunction f, Object[] args) {
    calls.add(new Call(f.symbol(), List.of(args)));
    Class<?> r = f.descriptor().toMethodType().returnType();
    if (r == int.class) {
      return statuses.getOrDefault(f.symbol(), 0);
    }
    if (r == long.class) {
      return 0L;
    }
    return MemorySegment.NULL;
  }

  /** The last call of {@code symbol}. */
  Call last(String symbol) {
    for (int i = calls.size() - 1; i >= 0; i--) {
      if (calls.get(i).symbol().equals(symbol)) {
        return calls.get(i);
      }
    }
    throw new AssertionError(symbol + " was not called; calls: " + calls);
  }
}
