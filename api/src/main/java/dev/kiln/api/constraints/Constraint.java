package dev.kiln.api.constraints;

import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/** A projection applied to a weight after each optimizer update. */
@FunctionalInterface
public interface Constraint {
  /** The constrained value of {@code weight}. */
  Value apply(Ops ops, Value weight);

  /** Keras's class name ({@code MaxNorm}). */
  default String className() {
    return "Constraint";
  }

  /** The arguments with Keras's keys. */
  default Map<String, Object> config() {
    return Map.of();
  }
}
