package dev.kiln.spi.ir;

/**
 * A graph could not be built because an op's operands do not fit it. The message names the op and
 * the operands' types.
 */
public final class ShapeError extends IllegalArgumentException {
  private final String opName;

  /**
   * @param opName the op whose rule failed, as {@link Op#name()} gives it
   * @param message what is wrong, naming the shapes
   */
  public ShapeError(String opName, String message) {
    super(opName + ": " + message);
    this.opName = opName;
  }

  /** The op whose shape rule rejected its operands. */
  public String opName() {
    return opName;
  }
}
