package dev.kiln.api.regularizers;

import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * A penalty on a weight added to the training loss. Built-in ones come from {@link Regularizers}
 * and carry their Keras arguments ({@link Regularizers.Declared}); a lambda is a regularizer too,
 * written to configs with its {@link #className()} and {@link #config()} but not read back.
 */
@FunctionalInterface
public interface Regularizer {
  /** The scalar penalty for {@code weight}. */
  Value penalty(Ops ops, Value weight);

  /** Keras's class name ({@code L2}). */
  default String className() {
    return "Regularizer";
  }

  /** The arguments with Keras's keys. */
  default Map<String, Object> config() {
    return Map.of();
  }
}
