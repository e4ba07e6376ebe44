package dev.kiln.cli;

import dev.kiln.api.KilnException;
import dev.kiln.api.models.Model;
import dev.kiln.api.models.Models;
import dev.kiln.api.saving.configs.JsonText;
import dev.kiln.schemas.ConfigError;
import dev.kiln.schemas.ConfigValidator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code kiln train SPEC} reads: a Kiln training spec ({@code {model, compile, fit, data}},
 * checked against {@code training-spec.json}) or a Keras config that carries its own {@code
 * compile_config}.
 *
 * @param file the spec file
 * @param model the {@code model} entry: a config object or a path (a whole Keras config when the
 *     file is one)
 * @param compile the {@code compile} entry, or null
 * @param fit the {@code fit} entry (empty when absent)
 * @param data the {@code data} entry, or null (a Keras config names none)
 */
record TrainingSpec(
    Path file,
    Object model,
    Map<String, Object> compile,
    Map<String, Object> fit,
    DataSource.Spec data) {

  /** Keys only a training spec has at its top level; a Keras config has class_name instead. */
  private static final List<String> SPEC_KEYS = List.of("model", "compile", "fit", "data");

  /**
   * Reads and checks {@code file}.
   *
   * @throws CliException naming the file and the JSON path of each schema error
   */
  @SuppressWarnings("unchecked")
  static TrainingSpec read(Path file) throws IOException {
    ModelArgs.existing(file);
    Object parsed = JsonText.parse(file);
    if (!(parsed instanceof Map<?, ?> top)) {
      throw new CliException(file + ": $: a training spec or Keras config is a JSON object");
    }
    boolean spec = !top.containsKey("class_name") && SPEC_KEYS.stream().anyMatch(top::containsKey);
    if (!spec) {
      return new TrainingSpec(file, parsed, null, Map.of(), null);
    }
    List<ConfigError> errors = ConfigValidator.forTrainingSpecs().validate(file);
    if (!errors.isEmpty()) {
      throw new CliException(file + ": " + joined(errors, "$"));
    }
    Map<String, Object> m = (Map<String, Object>) top;
    Path base = file.toAbsolutePath().getParent();
    return new TrainingSpec(
        file,
        m.get("model"),
        (Map<String, Object>) m.get("compile"),
        m.containsKey("fit") ? (Map<String, Object>) m.get("fit") : Map.of(),
        data(m.get("data"), base));
  }

  private static String joined(List<ConfigError> errors, String prefix) {
    List<String> parts = new ArrayList<>();
    for (ConfigError e : errors) {
      parts.add(prefix + e.path().substring(1) + ": " + e.message());
    }
    return String.join("; ", parts);
  }

  @SuppressWarnings("unchecked")
  private static DataSource.Spec data(Object d, Path base) {
    if (d instanceof String s) {
      return DataSource.Spec.of(s, base);
    }
    Map<String, Object> m = (Map<String, Object>) d;
    int[] size = null;
    if (m.get("image_size") instanceof List<?> l) {
      size = new int[] {((Number) l.get(0)).intValue(), ((Number) l.get(1)).intValue()};
    }
    return new DataSource.Spec(
        (String) m.get("source"),
        base,
        (String) m.get("labels"),
        (String) m.get("label"),
        (List<String>) m.get("features"),
        (String) m.get("x"),
        (String) m.get("y"),
        size,
        m.get("scale") instanceof Number n ? n.doubleValue() : null,
        (String) m.get("test"),
        m.get("test_split") instanceof Number n ? n.doubleValue() : null,
        m.get("limit") instanceof Number n ? n.intValue() : null);
  }

  /** A {@code fit} entry as an int, or {@code otherwise}. */
  int fitInt(String key, int otherwise) {
    return fit.get(key) instanceof Number n ? n.intValue() : otherwise;
  }

  /** The {@code fit} entry {@code seed}, or {@code otherwise}. */
  long seed(long otherwise) {
    return fit.get("seed") instanceof Number n ? n.longValue() : otherwise;
  }

  /** The {@code fit} entry {@code validation_split}, or 0. */
  double validationSplit() {
    return fit.get("validation_split") instanceof Number n ? n.doubleValue() : 0;
  }

  /** The {@code fit} entry {@code shuffle}, or true. */
  boolean shuffle() {
    return !(fit.get("shuffle") instanceof Boolean b) || b;
  }

  /**
   * Builds the model, compiled by the spec's {@code compile} or the config's own {@code
   * compile_config}.
   *
   * @throws CliException naming the file and JSON path of what cannot be built
   */
  @SuppressWarnings("unchecked")
  Model buildModel() throws IOException {
    boolean wholeFile = data == null;
    String at = wholeFile ? "$" : "$.model";
    Model model;
    if (model() instanceof String path) {
      Path p = file.toAbsolutePath().getParent().resolve(path);
      Model loaded = ModelArgs.load(p, true);
      if (compile == null) {
        model = loaded;
      } else {
        Map<String, Object> env =
            new LinkedHashMap<>(Models.toKeras3(JsonText.parse(loaded.toJson(), p.toString())));
        env.put("compile_config", compile);
        model = build(env, at);
        if (ModelArgs.kind(p) == ModelArgs.Kind.WITH_WEIGHTS) {
          model.setWeights(loaded.getWeights());
        }
        loaded.close();
      }
    } else {
      Map<String, Object> env;
      try {
        env = new LinkedHashMap<>(Models.toKeras3(model()));
      } catch (KilnException e) {
        throw new CliException(file + ": " + relocate(e.getMessage(), at));
      }
      List<ConfigError> errors = ConfigValidator.forModels().validate(JsonText.write(env, false));
      if (!errors.isEmpty()) {
        String form = env.equals(model()) ? "" : " (in its Keras 3 form)";
        throw new CliException(file + form + ": " + joined(errors, at));
      }
      if (compile != null) {
        env.put("compile_config", compile);
      }
      model = build(env, at);
    }
    if (model.optimizer() == null) {
      throw new CliException(
          file
              + (wholeFile
                  ? " has no compile_config: train a Kiln training spec that adds"
                  : ": the model has no compile_config and the spec no")
              + " \"compile\": {\"optimizer\": ..., \"loss\": ..., \"metrics\": [...]}");
    }
    return model;
  }

  private Model build(Map<String, Object> env, String at) {
    try {
      return Models.fromConfig(env);
    } catch (KilnException e) {
      throw new CliException(file + ": " + relocate(e.getMessage(), at));
    }
  }

  /** An api message's JSON path moved to where the config sits in the spec. */
  private String relocate(String message, String at) {
    String m = message.startsWith("config: ") ? message.substring("config: ".length()) : message;
    if (data != null && compile != null && m.startsWith("$.compile_config")) {
      return "$.compile" + m.substring("$.compile_config".length());
    }
    return m.startsWith("$") ? at + m.substring(1) : m;
  }
}
