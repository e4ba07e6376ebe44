package dev.kiln.api.initializers;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import java.util.Map;

/**
 * Makes the initial value of a weight. Built-in ones come from {@link Initializers}; a lambda is an
 * initializer too.
 */
@FunctionalInterface
public interface Initializer {
  /** A new value of this shape and dtype. */
  HostTensor initialize(Shape shape, DType dtype);

  /** Keras's class name ({@code GlorotUniform}). */
  default String className() {
    return "Initializer";
  }

  /** The arguments, with Keras's keys. */
  default Map<String, Object> config() {
    return Map.of();
  }
}
