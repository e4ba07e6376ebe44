package dev.kiln.api.registry;

/**
 * A declared argument got a value it cannot take, in a builder call or a config. The message names
 * the object, the argument and the value: {@code layer 'dense_3': `units` must be a positive
 * integer, got -4}.
 */
public class ArgumentException extends IllegalArgumentException {
  /** An error with this message. */
  public ArgumentException(String message) {
    super(message);
  }
}
