package dev.kiln.spi.backend;

/** A backend could not be found, opened, or asked to do something; the message says why. */
public class BackendException extends RuntimeException {
  /**
   * @param message what went wrong and where
   */
  public BackendException(String message) {
    super(message);
  }

  /**
   * @param message what went wrong and where
   * @param cause the underlying failure
   */
  public BackendException(String message, Throwable cause) {
    super(message, cause);
  }
}
