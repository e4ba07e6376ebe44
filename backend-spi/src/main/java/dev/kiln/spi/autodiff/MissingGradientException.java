package dev.kiln.spi.autodiff;

/** Autodiff reached an op it cannot differentiate; the message names the op and the node. */
public final class MissingGradientException extends IllegalStateException {
  /**
   * @param message names the op and its node
   */
  public MissingGradientException(String message) {
    super(message);
  }
}
