package dev.kiln.api.registry;

import java.util.Map;

/**
 * An object with declared Keras arguments: its config is its common keys plus {@link #args()} in
 * config form, and the {@link Registry} rebuilds it from that config.
 */
public interface KerasObject {
  /** The declared arguments' values. */
  Args args();

  /** Keras's class name ({@code Dense}). */
  String className();

  /** Keras's config of this object. */
  Map<String, Object> getConfig();

  /**
   * Reads the keys every object of its kind has (a layer's {@code name} and {@code trainable}),
   * after the declared arguments are set. The default reads none.
   *
   * @throws ArgumentException for a value of the wrong type
   */
  default void readCommonConfig(Map<String, Object> config) {}
}
