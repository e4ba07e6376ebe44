package dev.kiln.api.constraints;

import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * A projection applied to a weight after each optimizer update. Built-in ones come from {@link
 * Constraints} and carry their Keras arguments ({@link Constraints.Declared}); a lambda is a
 * constraint too, written to configs with its {@link #className()} and {@link #config()} but not
 * read back.
 */
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
