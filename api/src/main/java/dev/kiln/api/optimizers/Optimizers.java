package dev.kiln.api.optimizers;

import dev.kiln.api.KilnException;
import java.util.Locale;

/** Optimizers by Keras name ({@code "adam"}, {@code "sgd"}, ...), with Keras's defaults. */
public final class Optimizers {
  private Optimizers() {}

  /**
   * A new optimizer of this name.
   *
   * @throws KilnException for an unknown name, listing the known ones
   */
  public static Optimizer get(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "sgd" -> new SGD();
      case "adam" -> new Adam();
      case "adamw" -> new AdamW();
      case "rmsprop" -> new RMSprop();
      case "adagrad" -> new Adagrad();
      case "adadelta" -> new Adadelta();
      case "adamax" -> new Adamax();
      case "nadam" -> new Nadam();
      case "lion" -> new Lion();
      default ->
          throw new KilnException(
              "Could not interpret optimizer identifier: '"
                  + name
                  + "'. Known optimizers: sgd, adam, adamw, rmsprop, adagrad, adadelta, adamax,"
                  + " nadam, lion");
    };
  }
}
