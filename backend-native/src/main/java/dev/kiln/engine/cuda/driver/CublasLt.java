package dev.kiln.engine.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.function.Function;

/**
 * cuBLASLt ({@code libcublasLt.so}) through FFM: only its handle and version so far. It is found
 * and loaded before cuBLAS (which links to it); its matmul descriptors and heuristics (for fused
 * epilogues) are still to be bound.
 */
public final class CublasLt {
  static final CFunction GET_VERSION =
      new CFunction("cublasLtGetVersion", List.of(), FunctionDescriptor.of(JAVA_LONG), false);
  static final CFunction CREATE = CFunction.status("cublasLtCreate", ADDRESS);
  static final CFunction DESTROY = CFunction.status("cublasLtDestroy", ADDRESS);

  /** Every function this class binds. */
  static final List<CFunction> FUNCTIONS = List.of(GET_VERSION, CREATE, DESTROY);

  private final MethodHandle getVersion;
  private final MethodHandle create;
  private final MethodHandle destroy;
  private final Calls calls = new Calls(CublasLt::check);

  CublasLt(Function<CFunction, MethodHandle> resolve) {
    getVersion = resolve.apply(GET_VERSION);
    create = resolve.apply(CREATE);
    destroy = resolve.apply(DESTROY);
  }

  /**
   * Binds the cuBLASLt that {@code located} loaded.
   *
   * @throws CudaException if it was not found or lacks a function Kiln needs
   */
  public static CublasLt bind(CudaLibraries.Located located) {
    return new CublasLt(CFunction.resolver("cuBLASLt", located));
  }

  private static void check(int code, CFunction f, Object... args) {
    if (code != 0) {
      throw Status.failure("cuBLASLt", f.symbol(), args, code, StatusNames.CUBLAS, null, null);
    }
  }

  /** {@code cublasLtGetVersion()}: 130000 for 13.0.0. */
  public long version() {
    try {
      return (long) getVersion.invokeExact();
    } catch (Throwable t) {
      throw new CudaException("calling cublasLtGetVersion failed: " + t, t);
    }
  }

  /** A new cuBLASLt handle. */
  public MemorySegment create() {
    return calls.pointerOut(create, CREATE, Calls.named());
  }

  /** Destroys a handle. */
  public void destroy(MemorySegment handle) {
    calls.run(destroy, DESTROY, Calls.named("handle", handle), handle);
  }
}
