package dev.kiln.api;

/**
 * An error in how the api was used: a layer called on shapes it cannot take, labels that do not fit
 * the loss, an unknown name. The message names the layer, the shapes or the key at fault.
 */
public class KilnException extends RuntimeException {
  /** An error with this message. */
  public KilnException(String message) {
    super(message);
  }

  /** An error with this message, caused by {@code cause}. */
  public KilnException(String message, Throwable cause) {
    super(message, cause);
  }
}
