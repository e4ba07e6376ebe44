package dev.kiln.api.saving;

import dev.kiln.api.KilnException;
import dev.kiln.api.models.Model;
import dev.kiln.api.models.Models;
import io.jhdf.HdfFile;
import io.jhdf.exceptions.HdfException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Whole models on disk, as Keras's {@code model.save} and {@code keras.models.load_model}: {@code
 * .keras} archives ({@link KerasArchive}), Keras 2 full-model {@code .h5} files (read) and TF.js
 * layers models ({@link TfjsModel}); and the weights formats {@code saveWeights}/{@code
 * loadWeights} choose by suffix.
 */
public final class ModelFiles {
  private ModelFiles() {}

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** The weights formats, named by a file's suffix. */
  public enum WeightsFormat {
    /** {@code .weights.h5} / {@code .h5}: Keras 3's HDF5 layout (Keras 2's is read too). */
    H5,
    /** {@code .npz}: a NumPy archive keyed by weight path. */
    NPZ,
    /** {@code .keras}: the weights inside a Keras archive (read only). */
    KERAS,
    /** {@code model.json}: the weights of a TF.js layers model (read only). */
    TFJS
  }

  /**
   * The weights format {@code path}'s suffix names.
   *
   * @throws KilnException if the suffix names none, listing those there are
   */
  public static WeightsFormat weightsFormat(Path path) {
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".h5") || name.endsWith(".hdf5")) {
      return WeightsFormat.H5;
    }
    if (name.endsWith(".npz")) {
      return WeightsFormat.NPZ;
    }
    if (name.endsWith(".keras")) {
      return WeightsFormat.KERAS;
    }
    if (name.endsWith(".json")) {
      return WeightsFormat.TFJS;
    }
    throw new KilnException(
        "cannot tell the weights format of "
            + path
            + " from its name: use a name ending in .weights.h5 (Keras 3's HDF5 weights, which"
            + " Keras reads) or .npz (a NumPy archive); .keras archives and TF.js model.json files"
            + " are read too");
  }

  /**
   * Loads weights from a file of any format {@link #weightsFormat} names, matched by the model's
   * structure.
   */
  public static void loadWeights(Model model, Path path) throws IOException {
    switch (weightsFormat(path)) {
      case H5 -> WeightsH5.read(model, path);
      case KERAS -> KerasArchive.loadWeights(model, path);
      case TFJS -> TfjsModel.loadWeights(model, path);
      case NPZ -> model.loadWeights(path);
    }
    optimizerStateLoaded(model);
  }

  /**
   * Tells a compiled model's optimizer that its state variables were just loaded, so its host-side
   * step count (which drives learning-rate schedules) follows the loaded {@code iteration}.
   */
  static void optimizerStateLoaded(Model model) {
    if (model.optimizer() != null) {
      model.optimizer().stateRestored();
    }
  }

  /**
   * Saves a whole model: {@code .keras} as a Keras archive; a path ending in {@code .json}, an
   * existing folder or a name without a suffix as a TF.js layers model.
   *
   * @throws KilnException if the suffix names no model format
   */
  public static void save(Model model, Path path) throws IOException {
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".keras")) {
      KerasArchive.write(model, path);
    } else if (name.endsWith(".json") || Files.isDirectory(path) || !name.contains(".")) {
      TfjsModel.write(model, path);
    } else {
      throw new KilnException(
          "cannot tell which model format to save "
              + path
              + " in: use a name ending in .keras (a Keras 3 archive) or a folder or model.json"
              + " (a TF.js layers model); Keras 2's .h5 is read, not written, and saveWeights"
              + " writes weights only");
    }
  }

  /**
   * Loads a whole model, as {@code keras.models.load_model}: a {@code .keras} archive, a Keras 2
   * full-model {@code .h5} ({@code model_config} and {@code model_weights}), or a TF.js layers
   * model (its {@code model.json} or its folder).
   *
   * @throws KilnException naming the file and what is wrong: an unknown format, a damaged file, a
   *     config that cannot be built, weights that do not fit
   */
  public static Model load(Path path) throws IOException {
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".keras")) {
      return KerasArchive.read(path);
    }
    if (name.endsWith(".h5") || name.endsWith(".hdf5")) {
      return loadH5(path);
    }
    if (name.endsWith(".json") || Files.isDirectory(path)) {
      return TfjsModel.read(path);
    }
    throw new KilnException(
        "cannot tell the model format of "
            + path
            + ": Kiln loads .keras archives, Keras 2 full-model .h5 files and TF.js model.json"
            + " files (or their folders)");
  }

  private static Model loadH5(Path path) throws IOException {
    if (!Files.isRegularFile(path)) {
      throw new java.nio.file.NoSuchFileException(path.toString());
    }
    try (HdfFile f = WeightsH5.open(path)) {
      String config = WeightsH5.stringAttribute(f, "model_config");
      if (config == null) {
        throw new KilnException(
            "HDF5 file "
                + path
                + " has no 'model_config' attribute: it holds weights only; build the model and"
                + " call loadWeights");
      }
      Object parsed;
      try {
        parsed = JSON.readValue(config, Object.class);
      } catch (JacksonException e) {
        throw new KilnException(
            "HDF5 file "
                + path
                + ": attribute 'model_config' is not valid JSON: "
                + e.getOriginalMessage(),
            e);
      }
      if (!(parsed instanceof Map<?, ?> m)) {
        throw new KilnException("HDF5 file " + path + ": 'model_config' is not a JSON object");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> env = (Map<String, Object>) m;
      Model model = fromConfig(env, path + " (model_config)");
      Keras2H5.load(model, f, path, true);
      return model;
    } catch (HdfException e) {
      throw new KilnException("HDF5 file " + path + " is damaged: " + e.getMessage(), e);
    }
  }

  /**
   * Builds a model from a Keras envelope ({@code class_name}, {@code config}) read from {@code
   * where}. Keras 3 Sequential and Functional configs only for now; the json helper's {@code
   * Models.fromConfig} (Keras 2 and TF.js forms, registered classes) replaces this one call.
   */
  static Model fromConfig(Map<String, Object> envelope, String where) {
    try {
      return buildModel(envelope);
    } catch (KilnException e) {
      throw new KilnException("cannot build the model of " + where + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new KilnException(
          "cannot build the model of "
              + where
              + ": "
              + e.getClass().getSimpleName()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** Any dialect Keras or TF.js writes, through the one reader of configs. */
  private static Model buildModel(Map<String, Object> envelope) {
    return Models.fromConfig(envelope);
  }
}
