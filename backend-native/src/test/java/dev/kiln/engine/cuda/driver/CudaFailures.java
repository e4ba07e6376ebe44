package dev.kiln.engine.cuda.driver;

/** Device errors for fakes outside this package, shaped as the bindings make them. */
public final class CudaFailures {
  private CudaFailures() {}

  /** The exception a call returning {@code code} ({@code name}) gives. */
  public static CudaException of(String call, int code, String name) {
    return new CudaException(call + "(...) failed: " + name + " (" + code + ")", call, code, name);
  }
}
