package dev.kiln.api.models;

import dev.kiln.api.KilnException;
import dev.kiln.api.losses.Loss;
import dev.kiln.api.metrics.Metric;
import dev.kiln.api.optimizers.Optimizer;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.api.saving.configs.JsonText;
import dev.kiln.api.saving.configs.KerasConfigs;
import dev.kiln.spi.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Models from Keras JSON configs, as Keras's {@code model_from_json} and {@code
 * deserialize_keras_object}. Reads what Keras 3 writes ({@code model.to_json()}, the {@code
 * config.json} of a {@code .keras} file), what Keras 2 and tf.keras write ({@code to_json}), and
 * TF.js {@code model.json} files; nested models, shared layers and several inputs and outputs
 * included. A config with a {@code compile_config} (or Keras 2's {@code training_config}) gives a
 * compiled model. The models have fresh weights.
 *
 * {@snippet :
 * Model m = Models.fromJson(Path.of("model.json"));
 * String json = m.toJson();          // Keras 3's form
 * Model same = Models.fromJson(json);
 * }
 *
 * <p>Configs are untrusted input: errors name the file (or {@code <string>}), the JSON path and
 * what is wrong, nesting is bounded, and nothing in a config runs code ({@code Lambda} layers are
 * refused). Layers of a user's own classes load once their declaration is {@link #register}ed.
 */
public final class Models {
  private Models() {}

  /**
   * A model from JSON text.
   *
   * @throws KilnException for text that is not JSON (with line and column) or not a model config
   *     Kiln can build, naming the JSON path at fault
   */
  public static Model fromJson(String json) {
    return build(JsonText.parse(json, "<string>"), "<string>");
  }

  /**
   * A model from a JSON file: a Keras config or a TF.js {@code model.json} (its weights are not
   * read here).
   *
   * @throws KilnException naming the file and, for bad content, the line and column or JSON path
   */
  public static Model fromJson(Path file) {
    return build(JsonText.parse(file), file.toString());
  }

  /**
   * A model from a parsed config (maps, lists, strings, numbers) in any dialect Kiln reads.
   *
   * @throws KilnException naming the JSON path at fault
   */
  public static Model fromConfig(Map<String, Object> config) {
    return build(config, "config");
  }

  /**
   * Keras 3's form of a parsed config of any dialect, without building it: the envelope {@code
   * module, class_name, config, registered_name, build_config?, compile_config?}.
   *
   * @throws KilnException naming the JSON path at fault
   */
  public static Map<String, Object> toKeras3(Object config) {
    return KerasConfigs.normalize(config);
  }

  /**
   * Registers a user's class so configs naming it load, as Keras's {@code
   * register_keras_serializable}. Same as {@link Registry#register}.
   */
  public static void register(KerasClass<?> declaration) {
    Registry.register(declaration);
  }

  private static Model build(Object parsed, String source) {
    Map<String, Object> env;
    try {
      env = KerasConfigs.normalize(parsed);
    } catch (KilnException e) {
      throw new KilnException(source + ": " + e.getMessage(), e);
    }
    Model model;
    try {
      model = buildModel(env);
    } catch (KilnException | IllegalArgumentException e) {
      throw new KilnException(source + ": " + e.getMessage(), e);
    } catch (StackOverflowError e) {
      throw new KilnException(source + ": the model is nested too deeply to build");
    }
    if (env.get("compile_config") instanceof Map<?, ?> cc && !cc.isEmpty()) {
      try {
        compile(model, cc);
      } catch (KilnException | IllegalArgumentException e) {
        throw new KilnException(source + ": $.compile_config: " + e.getMessage(), e);
      }
    }
    return model;
  }

  @SuppressWarnings("unchecked")
  private static Model buildModel(Map<String, Object> env) {
    String cls = (String) env.get("class_name");
    Map<String, Object> config = (Map<String, Object>) env.get("config");
    return switch (cls) {
      case "Sequential" -> Sequential.fromConfig(config);
      case "Functional" -> Model.fromConfig(config);
      default -> {
        Object o = Registry.fromConfig(Kind.LAYER, cls, config);
        if (!(o instanceof Model m)) {
          throw new KilnException(
              "$: class '" + cls + "' is a layer, not a model; wrap it in a Sequential config");
        }
        yield m;
      }
    };
  }

  /** Compiles a model as Keras's {@code compile_from_config}. */
  @SuppressWarnings("unchecked")
  private static void compile(Model model, Map<?, ?> cc) {
    Object weighted = cc.get("weighted_metrics");
    if (weighted != null
        && !(weighted instanceof List<?> wl && wl.isEmpty())
        && !(weighted instanceof Map<?, ?> wm && wm.isEmpty())) {
      // Keras weighs these by fit's sample_weight (and class_weight); as plain metrics they would
      // report other numbers under the same names.
      throw new KilnException(
          "`weighted_metrics` "
              + weighted
              + ": Kiln's compile has no metrics weighted by sample_weight; move them to `metrics`"
              + " (the same numbers when training without sample weights) or remove them");
    }
    Optimizer opt = Registry.deserialize(Kind.OPTIMIZER, cc.get("optimizer"));
    Object loss = cc.get("loss");
    Object weights = cc.get("loss_weights");
    Object metrics = cc.get("metrics");
    if (loss instanceof List<?> ls) {
      List<Loss> losses = new ArrayList<>();
      for (Object l : ls) {
        losses.add(Registry.deserialize(Kind.LOSS, l));
      }
      List<Double> lw = null;
      if (weights instanceof List<?> w) {
        lw = new ArrayList<>();
        for (Object x : w) {
          lw.add(weight(x));
        }
      }
      model.compile(opt, losses, lw, metricList(metrics));
    } else if (loss instanceof Map<?, ?> m && !m.containsKey("class_name")) {
      Map<String, Object> ls = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        ls.put((String) e.getKey(), Registry.deserialize(Kind.LOSS, e.getValue()));
      }
      Map<String, Double> lw = null;
      if (weights instanceof Map<?, ?> w) {
        lw = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : w.entrySet()) {
          lw.put((String) e.getKey(), weight(e.getValue()));
        }
      }
      Map<String, List<Object>> ms = null;
      if (metrics instanceof Map<?, ?> mm) {
        ms = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : mm.entrySet()) {
          ms.put((String) e.getKey(), metricList(e.getValue()));
        }
      }
      model.compile(opt, ls, lw, ms);
    } else {
      Loss l = Registry.deserialize(Kind.LOSS, loss);
      model.compile(opt, l, metricList(metrics).toArray());
    }
  }

  private static double weight(Object w) {
    if (!(w instanceof Number n)) {
      throw new KilnException("`loss_weights` must hold numbers, got " + w);
    }
    return n.doubleValue();
  }

  private static List<Object> metricList(Object metrics) {
    List<Object> out = new ArrayList<>();
    if (metrics == null) {
      return out;
    }
    if (!(metrics instanceof List<?> l)) {
      throw new KilnException("`metrics` must be a list, got " + metrics);
    }
    for (Object m : l) {
      out.add(m instanceof String s ? s : (Metric) Registry.deserialize(Kind.METRIC, m));
    }
    return out;
  }

  // ---------------------------------------------------------------- writing

  /** Keras 3's envelope of a model, as {@code serialize_keras_object(model)}. */
  static Map<String, Object> envelope(Model model) {
    Map<String, Object> e = new LinkedHashMap<>();
    boolean seq = model instanceof Sequential;
    boolean graph = !model.inputs().isEmpty() || seq;
    if (seq) {
      e.put("module", "keras");
      e.put("class_name", "Sequential");
      e.put("config", model.getConfig());
      e.put("registered_name", null);
    } else if (graph) {
      e.put("module", "keras.src.models.functional");
      e.put("class_name", "Functional");
      e.put("config", model.getConfig());
      e.put("registered_name", "Functional");
    } else {
      // A subclassed model: only its registered declaration can rebuild it.
      e.put("module", null);
      e.put("class_name", model.className());
      e.put("config", model.getConfig());
      e.put("registered_name", model.className());
    }
    if (seq && ((Sequential) model).isBuilt()) {
      e.put("build_config", Map.of("input_shape", dims(model.inputs().get(0).shape())));
    } else if (graph && !seq) {
      Map<String, Object> b = new LinkedHashMap<>();
      b.put("input_shape", null);
      e.put("build_config", b);
    }
    e.put("compile_config", compileConfig(model));
    return e;
  }

  /**
   * Keras 3's {@code compile_config} of a model: empty when it is not compiled; else the
   * optimizer's envelope, the losses and metrics (envelopes; a list per output when there are
   * several), the loss weights and Keras's other compile keys at the values Kiln runs with.
   */
  private static Map<String, Object> compileConfig(Model model) {
    Map<String, Object> c = new LinkedHashMap<>();
    if (model.optimizer() == null) {
      return c;
    }
    CompileState s = model.compiled();
    c.put("optimizer", Registry.write(Kind.OPTIMIZER, s.optimizer));
    if (s.losses.size() == 1) {
      c.put("loss", s.losses.get(0) == null ? null : Registry.write(Kind.LOSS, s.losses.get(0)));
      c.put("loss_weights", s.lossWeights == null ? null : new ArrayList<>(s.lossWeights));
      c.put("metrics", metricConfigs(s.metrics.get(0)));
    } else {
      // Several outputs: keyed by output name, Keras's dict form, so each keeps its own metrics.
      Map<String, Object> losses = new LinkedHashMap<>();
      Map<String, Object> weights = new LinkedHashMap<>();
      Map<String, Object> metrics = new LinkedHashMap<>();
      for (int o = 0; o < s.losses.size(); o++) {
        String name = s.outputNames.get(o);
        if (s.losses.get(o) != null) {
          losses.put(name, Registry.write(Kind.LOSS, s.losses.get(o)));
        }
        if (s.lossWeights != null) {
          weights.put(name, s.lossWeights.get(o));
        }
        metrics.put(name, metricConfigs(s.metrics.get(o)));
      }
      c.put("loss", losses);
      c.put("loss_weights", s.lossWeights == null ? null : weights);
      c.put("metrics", metrics);
    }
    c.put("weighted_metrics", null);
    c.put("run_eagerly", model.runEagerly());
    c.put("steps_per_execution", 1);
    c.put("jit_compile", false);
    return c;
  }

  private static List<Object> metricConfigs(List<Metric> ms) {
    List<Object> out = new ArrayList<>();
    for (Metric m : ms) {
      out.add(Registry.write(Kind.METRIC, m));
    }
    return out;
  }

  private static List<Object> dims(Shape s) {
    List<Object> out = new ArrayList<>();
    for (int d : s.dims()) {
      out.add(d == Shape.UNKNOWN ? null : d);
    }
    return out;
  }
}
