package dev.kiln.spi.backend;

import dev.kiln.spi.TensorType;

/**
 * A tensor held by a backend on one of its devices. It owns its memory until {@link #close()},
 * which is idempotent; using a closed tensor is an error that names it.
 */
public interface DeviceTensor extends AutoCloseable {
  /** Dtype and shape. */
  TensorType type();

  /** Where the data lives. */
  Device device();

  /** Frees the memory; later calls do nothing. */
  @Override
  void close();
}
