package dev.kiln.api.initializers;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import java.util.Map;

/**
 * Makes the initial value of a weight. Built-in ones come from {@link Initializers} and carry their
 * Keras arguments ({@link Initializers.Declared}); a lambda is an initializer too, written to
 * configs with its {@link #className()} and {@link #config()} but not read back.
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
