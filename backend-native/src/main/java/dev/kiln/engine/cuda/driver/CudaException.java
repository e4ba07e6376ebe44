package dev.kiln.engine.cuda.driver;

import dev.kiln.spi.backend.BackendException;

/**
 * A call into the CUDA driver, cuBLAS, cuDNN or NVRTC returned an error. The message names the
 * call, its arguments, the error's name and code and the library's description of it, e.g. {@code
 * cuMemAlloc_v2(bytesize=1073741824) failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory}.
 */
public final class CudaException extends BackendException {
  private final String call;
  private final int code;
  private final String errorName;

  CudaException(String message, String call, int code, String errorName) {
    super(message);
    this.call = call;
    this.code = code;
    this.errorName = errorName;
  }

  CudaException(String message, Throwable cause) {
    super(message, cause);
    this.call = null;
    this.code = 0;
    this.errorName = null;
  }

  /** The function that failed ({@code cuMemAlloc_v2}), or null when no call returned a code. */
  public String call() {
    return call;
  }

  /** The status code it returned. */
  public int code() {
    return code;
  }

  /** The code's name ({@code CUDA_ERROR_OUT_OF_MEMORY}), or null when no call returned a code. */
  public String errorName() {
    return errorName;
  }
}
