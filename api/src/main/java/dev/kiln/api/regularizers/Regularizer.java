package dev.kiln.api.regularizers;

import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/** A penalty on a weight added to the training loss. */
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
