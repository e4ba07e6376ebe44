package dev.kiln.applications;

import dev.kiln.api.KilnException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where an application's weights come from. {@code "imagenet"} names Keras's own file in the Keras
 * cache, {@code <cache>/models/<Keras's file name>}; the cache is the {@code kiln.keras.home}
 * system property, else the {@code KERAS_HOME} environment variable, else {@code ~/.keras}. Nothing
 * is downloaded: a missing file is an error that says where to put it.
 */
public final class KerasWeights {
  /**
   * The prefix of weights Kiln ships in this module ({@code kiln:fashion_mnist}); {@link
   * ShippedWeights} lists them and loads them by layer name.
   */
  public static final String KILN_PREFIX = "kiln:";

  private KerasWeights() {}

  /** The Keras cache directory ({@code ~/.keras} unless configured). */
  public static Path cacheDir() {
    String p = System.getProperty("kiln.keras.home");
    if (p == null || p.isBlank()) {
      p = System.getenv("KERAS_HOME");
    }
    if (p == null || p.isBlank()) {
      return Path.of(System.getProperty("user.home"), ".keras");
    }
    return Path.of(p);
  }

  /**
   * The file that a {@code weights} argument names for a model.
   *
   * @param weights {@code "imagenet"}, {@code "kiln:NAME"} or a path
   * @param model the model's Keras name, for messages
   * @param kerasFile Keras's file name for its ImageNet weights of this configuration, or null
   * @throws KilnException if the weights are not there, naming where they were looked for
   */
  static Path resolve(String weights, String model, String kerasFile) {
    if (weights.startsWith(KILN_PREFIX)) {
      // Shipped weights are resources, not files: the builder loads them through ShippedWeights.
      throw new KilnException(
          "the weights '" + weights + "' for " + model + " ship inside Kiln and have no file path");
    }
    if (!"imagenet".equals(weights)) {
      return Path.of(weights);
    }
    if (kerasFile == null) {
      throw new KilnException(
          "Keras publishes no ImageNet weights for " + model + " in this configuration");
    }
    Path file = cacheDir().resolve("models").resolve(kerasFile);
    if (!Files.isRegularFile(file)) {
      throw new KilnException(
          "ImageNet weights for "
              + model
              + " not found at "
              + file
              + "; Kiln does not download them: put Keras's file '"
              + kerasFile
              + "' there (set the cache with -Dkiln.keras.home or KERAS_HOME), or pass its path"
              + " to weights(...)");
    }
    return file;
  }
}
