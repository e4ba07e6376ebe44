package dev.kiln.cli;

import dev.kiln.api.models.Model;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * What {@code predict} and {@code evaluate} both take: the MODEL file and {@code --batch-size}, and
 * the loading of a model with its weights. A command words {@code --batch-size} its own way with
 * the {@code batch-size} key of its resource bundle (predict's batches are rows of its input).
 */
final class ModelOptions {
  @Parameters(
      paramLabel = "MODEL",
      description =
          "A .keras archive, a Keras 2 .h5 model or a TF.js model (folder or model.json).")
  Path model;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      defaultValue = "32",
      descriptionKey = "batch-size",
      description = "Samples per batch (default: ${DEFAULT-VALUE}).")
  int batchSize;

  /**
   * The model with its weights.
   *
   * @throws CliException if MODEL is a config without weights, naming what {@code command} needs
   */
  Model load(String command) throws IOException {
    if (ModelArgs.kind(model) == ModelArgs.Kind.CONFIG) {
      throw new CliException(
          model
              + " holds a config without weights: "
              + command
              + " needs a .keras, .h5 or TF.js model");
    }
    return ModelArgs.load(model, true);
  }
}
