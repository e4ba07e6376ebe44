package dev.kiln.cli;

import dev.kiln.api.models.Model;
import dev.kiln.api.models.Models;
import dev.kiln.api.saving.ModelFiles;
import dev.kiln.api.saving.configs.JsonText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Opens the model files the commands take, by what they hold. */
final class ModelArgs {
  private ModelArgs() {}

  /** What a model file holds. */
  enum Kind {
    /** A Keras JSON config (any dialect), or a TF.js model.json without weights: no weights. */
    CONFIG,
    /** A file or folder with weights: .keras, .h5, a TF.js model with its shards. */
    WITH_WEIGHTS
  }

  static Path existing(Path path) throws IOException {
    if (!Files.exists(path)) {
      throw new NoSuchFileException(path.toString());
    }
    return path;
  }

  static Kind kind(Path path) throws IOException {
    existing(path);
    if (Files.isDirectory(path)) {
      return Kind.WITH_WEIGHTS;
    }
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".keras") || name.endsWith(".h5") || name.endsWith(".hdf5")) {
      return Kind.WITH_WEIGHTS;
    }
    if (name.endsWith(".json")) {
      Object parsed = JsonText.parse(path);
      return hasWeightsManifest(parsed) ? Kind.WITH_WEIGHTS : Kind.CONFIG;
    }
    throw new CliException(
        "cannot tell what "
            + path
            + " holds from its name: give a Keras JSON config or TF.js model.json (.json), a"
            + " .keras archive, a Keras 2 .h5 model or a TF.js model folder");
  }

  /**
   * The model in {@code path}. With {@code weights} false, JSON files give the model their config
   * builds and no weights are read (a TF.js model.json whose shards are elsewhere still works).
   */
  static Model load(Path path, boolean weights) throws IOException {
    Kind kind = kind(path);
    boolean json =
        Files.isRegularFile(path)
            && path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
    if (json && (!weights || kind == Kind.CONFIG)) {
      return Models.fromJson(path);
    }
    // TfjsModel compares shard paths with the model's folder without normalizing it, so a
    // relative path through '..' (../model.json) would be refused as leaving its folder.
    return ModelFiles.load(path.toAbsolutePath().normalize());
  }

  private static boolean hasWeightsManifest(Object parsed) {
    return parsed instanceof Map<?, ?> m
        && m.get("weightsManifest") instanceof List<?> l
        && !l.isEmpty();
  }
}
