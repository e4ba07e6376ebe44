package dev.kiln.spi.backend;

import java.util.Map;

/**
 * How to compile a graph: the device to run on ({@code null} for the backend's default) and
 * backend-specific flags.
 *
 * @param device target device, or null for the default
 * @param flags free-form settings a backend documents
 */
public record CompileOptions(Device device, Map<String, String> flags) {
  /** Copies the flags. */
  public CompileOptions {
    flags = Map.copyOf(flags);
  }

  /** The default device, no flags. */
  public static CompileOptions defaults() {
    return new CompileOptions(null, Map.of());
  }
}
