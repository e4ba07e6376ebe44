package dev.kiln.spi.backend;

import dev.kiln.spi.HostTensor;
import dev.kiln.spi.TensorType;

/**
 * A tensor that lives in a backend across runs, named by an id that graphs read and update ({@code
 * GraphBuilder.variable}, {@code GraphBuilder.update}). Every executable of the backend that names
 * the id shares it.
 */
public interface Variable {
  /** The id graphs use. */
  String id();

  /** Dtype and shape, fixed at creation. */
  TensorType type();

  /** A copy of the current value. */
  HostTensor read();

  /**
   * Replaces the value.
   *
   * @throws BackendException if the type differs from {@link #type()}
   */
  void assign(HostTensor value);
}
