package dev.kiln.api.saving.configs;

import dev.kiln.api.DTypePolicy;
import dev.kiln.api.KilnException;
import dev.kiln.api.activations.LegacyHardSigmoid;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Names;
import dev.kiln.api.registry.Registry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns a model config in any dialect Kiln reads into Keras 3's form: the envelope {@code {module,
 * class_name, config, registered_name, build_config?, compile_config?}} of a {@code Sequential} or
 * {@code Functional} model whose layers, nodes and nested objects are written as Keras 3 writes
 * them.
 *
 * <p>Dialects: Keras 3 ({@code model.to_json()}, the {@code config.json} of a {@code .keras} file);
 * Keras 2 and tf.keras ({@code to_json}: Sequential {@code config} as a list or a dict, {@code
 * [layer, node, tensor, kwargs]} nodes, {@code batch_input_shape}, {@code Model} as the functional
 * class name, {@code Policy} dtype objects, old initializer spellings); TF.js {@code model.json}
 * (the converter's {@code modelTopology.model_config} and the bare topology that tfjs-layers
 * saves). Keras 1 configs are refused as such, as is a {@code Lambda} layer (its body is Python
 * code). Every class name is checked against the {@link Registry}: an unknown one fails with its
 * JSON path and the nearest known names. The input is not changed.
 *
 * {@snippet :
 * Map<String, Object> keras3 = KerasConfigs.normalize(JsonText.parse(path));
 * Model m = Models.fromConfig(keras3);
 * }
 */
public final class KerasConfigs {
  private KerasConfigs() {}

  /** How many models may nest inside each other (and layers inside wrappers). */
  public static final int MAX_MODEL_DEPTH = 64;

  /**
   * How many layers a config may hold, nested models' layers included. The largest published Keras
   * models have a few thousand; a config past this is refused before anything is built.
   */
  public static final int MAX_LAYERS = 100_000;

  /**
   * The highest rank a shape in a config may have (NumPy's limit since 2.0); a longer shape list is
   * refused where it is written.
   */
  public static final int MAX_RANK = 64;

  /** The dialects a config can be written in. */
  public enum Dialect {
    /** Keras 3 (and tf.keras 2.13+, which writes the same envelopes). */
    KERAS_3,
    /** Keras 2 and tf.keras up to 2.12. */
    KERAS_2,
    /** A TF.js layers-model {@code model.json}. */
    TFJS
  }

  private static final Set<String> MODEL_CLASSES = Set.of("Sequential", "Model", "Functional");

  // Layers whose config is code: Keras refuses them outside unsafe mode; Java cannot run them at
  // all.
  private static final Map<String, String> CODE_LAYERS =
      Map.of(
          "Lambda", "its body is Python code (a serialized function or lambda)",
          "TFOpLambda", "it is a TensorFlow operation recorded as a layer, run by Python code",
          "SlicingOpLambda", "it is a TensorFlow slicing operation recorded as a layer");

  private static final Set<String> KERAS1_CLASSES =
      Set.of(
          "Merge",
          "Convolution1D",
          "Convolution2D",
          "Convolution3D",
          "AtrousConvolution1D",
          "AtrousConvolution2D",
          "Deconvolution2D",
          "MaxoutDense",
          "Highway",
          "TimeDistributedDense",
          "SeparableConvolution2D");

  private static final Set<String> KERAS1_KEYS =
      Set.of(
          "init",
          "inner_init",
          "border_mode",
          "nb_filter",
          "nb_row",
          "nb_col",
          "subsample",
          "dim_ordering",
          "W_regularizer",
          "b_regularizer",
          "U_regularizer",
          "W_constraint",
          "b_constraint",
          "U_constraint",
          "input_dtype",
          "inner_activation",
          "consume_less");

  // Classes renamed by tf.keras internals; the TF.js converter applies the same map.
  private static final Map<String, String> RENAMED =
      Map.of(
          "BatchNormalizationV1", "BatchNormalization",
          "BatchNormalizationV2", "BatchNormalization",
          "UnifiedGRU", "GRU",
          "UnifiedLSTM", "LSTM",
          "LSTMV1", "LSTM",
          "GRUV1", "GRU",
          "SyncBatchNormalization", "BatchNormalization");

  // Base-layer keyword arguments Keras accepts on every layer and does not keep in the layer.
  private static final Set<String> IGNORED_BASE_KEYS =
      Set.of("batch_size", "weights", "autocast", "dynamic", "input_dim", "input_length");

  /**
   * The dialect of a parsed config ({@link JsonText#parse}).
   *
   * @throws KilnException if it is no model config at all
   */
  public static Dialect dialect(Object root) {
    return new Reader(root).dialect;
  }

  /**
   * Keras 3's form of a parsed model config of any dialect.
   *
   * @throws KilnException naming the JSON path and what is wrong: a Keras 1 config, a {@code
   *     Lambda}, an unknown class (with the nearest known names), nesting past {@link
   *     #MAX_MODEL_DEPTH}, a value of the wrong JSON type
   */
  public static Map<String, Object> normalize(Object root) {
    return new Reader(root).normalize();
  }

  /** The JSON path of a key below {@code path} ({@code $.config.layers[3].config.units}). */
  static String at(String path, String key) {
    return key.matches("[A-Za-z_][A-Za-z0-9_]*")
        ? path + "." + key
        : path + "['" + key.replace("'", "\\'") + "']";
  }

  /** Up to {@code max} names nearest to {@code given} by edit distance, nearest first. */
  static List<String> nearest(String given, Iterable<String> known, int max) {
    String g = given.toLowerCase(Locale.ROOT);
    List<String> all = new ArrayList<>();
    for (String k : known) {
      all.add(k);
    }
    all.sort(
        Comparator.comparingInt((String k) -> Names.distance(g, k.toLowerCase(Locale.ROOT)))
            .thenComparing(Comparator.naturalOrder()));
    return all.subList(0, Math.min(max, all.size()));
  }

  // ---------------------------------------------------------------- the reader

  /** One normalization: the copied input, where the model sits in it, and its dialect. */
  private static final class Reader {
    private final Map<String, Object> model;
    private final String modelPath;
    private final Dialect dialect;
    private final Object compile;
    private final String compilePath;
    private final boolean compileIsLegacy;
    private final boolean legacyHardSigmoid;
    private int layerCount;

    @SuppressWarnings("unchecked")
    Reader(Object input) {
      Object root = copy(input, 0, "$");
      if (!(root instanceof Map<?, ?>)) {
        throw new KilnException("$: a model config must be a JSON object, got " + describe(root));
      }
      Map<String, Object> r = (Map<String, Object>) root;
      Object version;
      if (r.containsKey("modelTopology")) {
        Map<String, Object> topo = map(r.get("modelTopology"), "$.modelTopology");
        version = topo.get("keras_version");
        if (topo.containsKey("model_config")) {
          model = map(topo.get("model_config"), "$.modelTopology.model_config");
          modelPath = "$.modelTopology.model_config";
        } else {
          model = topo;
          modelPath = "$.modelTopology";
        }
        dialect = Dialect.TFJS;
        Object tc = topo.get("training_config");
        compile = tc != null ? tc : r.get("trainingConfig");
        compilePath = tc != null ? "$.modelTopology.training_config" : "$.trainingConfig";
        compileIsLegacy = true;
      } else if (r.containsKey("class_name")) {
        model = r;
        modelPath = "$";
        version = r.get("keras_version");
        boolean k3 =
            r.containsKey("module")
                || r.containsKey("registered_name")
                || r.containsKey("build_config")
                || r.containsKey("compile_config");
        dialect = k3 || hasKeras3Markers(r.get("config"), 0) ? Dialect.KERAS_3 : Dialect.KERAS_2;
        compile =
            r.containsKey("compile_config") ? r.get("compile_config") : r.get("training_config");
        compilePath = r.containsKey("compile_config") ? "$.compile_config" : "$.training_config";
        compileIsLegacy = !r.containsKey("compile_config");
      } else if (r.containsKey("model_config")) {
        // The attributes of a Keras 2 HDF5 file, copied out as one object.
        model = map(r.get("model_config"), "$.model_config");
        modelPath = "$.model_config";
        version = r.get("keras_version");
        // Keras 3 writes legacy .h5 files with this layout too, keeping its own nodes inside.
        dialect = hasKeras3Markers(model, 0) ? Dialect.KERAS_3 : Dialect.KERAS_2;
        compile = r.get("training_config");
        compilePath = "$.training_config";
        compileIsLegacy = true;
      } else if (r.get("layers") instanceof List<?>) {
        // A bare model config: Functional when it names its inputs, else Sequential.
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("class_name", r.containsKey("input_layers") ? "Functional" : "Sequential");
        env.put("config", r);
        model = env;
        modelPath = "$";
        version = null;
        dialect = Dialect.KERAS_3;
        compile = null;
        compilePath = null;
        compileIsLegacy = false;
      } else {
        throw new KilnException(
            "$: not a Keras model config: expected `class_name` and `config` (a Keras model),"
                + " `modelTopology` (a TF.js model.json) or `layers`; found the keys "
                + r.keySet());
      }
      if (version instanceof String v && v.startsWith("1.")) {
        throw keras1(modelPath, "keras_version is \"" + v + "\"");
      }
      // tf.keras 2.13 to 2.15 write Keras 3's envelopes but keep Keras 2's activations.
      legacyHardSigmoid =
          dialect != Dialect.KERAS_3 || version instanceof String v && v.startsWith("2.");
    }

    /** Whether a config holds what only Keras 3 writes: {@code module} keys, args/kwargs nodes. */
    private static boolean hasKeras3Markers(Object v, int depth) {
      if (depth > JsonText.MAX_DEPTH) {
        return false;
      }
      if (v instanceof Map<?, ?> m) {
        if (m.containsKey("module") && m.containsKey("class_name")
            || "__keras_tensor__".equals(m.get("class_name"))) {
          return true;
        }
        for (Object x : m.values()) {
          if (hasKeras3Markers(x, depth + 1)) {
            return true;
          }
        }
      } else if (v instanceof List<?> l) {
        for (Object x : l) {
          if (hasKeras3Markers(x, depth + 1)) {
            return true;
          }
        }
      }
      return false;
    }

    Map<String, Object> normalize() {
      Map<String, Object> env = modelEnvelope(model, modelPath, 0);
      if (compile != null && !(compile instanceof Map<?, ?> m && m.isEmpty())) {
        env.put(
            "compile_config",
            compileIsLegacy
                ? compileFromTraining(map(compile, compilePath), compilePath)
                : compileConfig(map(compile, compilePath), compilePath));
      } else if (compile != null) {
        env.put("compile_config", new LinkedHashMap<>());
      }
      return env;
    }

    // ------------------------------------------------------------ models

    private Map<String, Object> modelEnvelope(Map<String, Object> e, String path, int depth) {
      if (depth > MAX_MODEL_DEPTH) {
        throw new KilnException(
            path
                + ": models are nested more than "
                + MAX_MODEL_DEPTH
                + " levels deep; refusing the config");
      }
      String cls = className(e, path);
      Map<String, Object> out = new LinkedHashMap<>();
      switch (cls) {
        case "Sequential" -> {
          out.put("module", "keras");
          out.put("class_name", "Sequential");
          Object shape = e.get("build_config") instanceof Map<?, ?> b ? b.get("input_shape") : null;
          out.put("config", sequential(e.get("config"), at(path, "config"), shape, depth));
          out.put("registered_name", null);
        }
        case "Model", "Functional" -> {
          out.put("module", "keras.src.models.functional");
          out.put("class_name", "Functional");
          out.put("config", functional(e.get("config"), at(path, "config"), depth));
          out.put("registered_name", "Functional");
        }
        default -> {
          // A model of a user's registered class, or a single layer.
          Map<String, Object> entry = layerEntry(e, path, depth, false);
          out.putAll(entry);
        }
      }
      if (e.get("build_config") instanceof Map<?, ?> b) {
        out.put("build_config", b);
      }
      return out;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> sequential(Object c, String path, Object builtFor, int depth) {
      Map<String, Object> cfg;
      List<Object> entries;
      String layersPath;
      if (c instanceof List<?> list) {
        // Keras <= 2.2.2 and TF.js's legacy form: the config is the list of layers.
        cfg = new LinkedHashMap<>();
        entries = (List<Object>) list;
        layersPath = path;
      } else {
        cfg = map(c, path);
        layersPath = at(path, "layers");
        entries = list(cfg.get("layers"), layersPath);
      }
      List<Object> layers = new ArrayList<>();
      for (int i = 0; i < entries.size(); i++) {
        layers.add(layerEntry(entries.get(i), layersPath + "[" + i + "]", depth, false));
      }
      if (!layers.isEmpty() && !hasInput((Map<String, Object>) layers.get(0))) {
        Object shape = cfg.get("build_input_shape");
        if (shape == null) {
          shape = builtFor;
        }
        Map<String, Object> first = (Map<String, Object>) layers.get(0);
        if (shape == null
            && "Functional".equals(first.get("class_name"))
            && first.get("config") instanceof Map<?, ?> fc) {
          // Keras builds a Sequential whose first layer is a model from that model's input.
          shape = modelInputShape((Map<String, Object>) fc);
        }
        if (shape instanceof List<?>) {
          Map<String, Object> inCfg = new LinkedHashMap<>();
          inCfg.put("batch_shape", shape);
          inCfg.put("dtype", "float32");
          Map<String, Object> in = new LinkedHashMap<>();
          in.put("module", "keras.layers");
          in.put("class_name", "InputLayer");
          in.put("config", inCfg);
          in.put("registered_name", null);
          layers.add(0, in);
        }
      }
      cfg.put("layers", layers);
      return cfg;
    }

    /** Whether a normalized Sequential entry fixes the input shape itself. */
    private static boolean hasInput(Map<String, Object> entry) {
      if ("InputLayer".equals(entry.get("class_name"))) {
        return true;
      }
      return entry.get("config") instanceof Map<?, ?> c
          && (c.get("batch_input_shape") != null
              || c.get("batch_shape") != null
              || c.get("input_shape") != null);
    }

    /** The batch shape of a normalized Functional config's first input, or null. */
    @SuppressWarnings("unchecked")
    private static Object modelInputShape(Map<String, Object> fc) {
      if (fc.get("layers") instanceof List<?> ls && fc.get("input_layers") instanceof List<?> ins) {
        Object first = ins.isEmpty() ? null : ins.get(0) instanceof String ? ins : ins.get(0);
        if (ins.size() > 1 && !(ins.get(0) instanceof String)) {
          return null;
        }
        if (first instanceof List<?> h && !h.isEmpty() && h.get(0) instanceof String name) {
          for (Object o : ls) {
            Map<String, Object> e = (Map<String, Object>) o;
            if (name.equals(e.get("name"))
                && "InputLayer".equals(e.get("class_name"))
                && e.get("config") instanceof Map<?, ?> c) {
              return c.get("batch_shape");
            }
          }
        }
      }
      return null;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> functional(Object c, String path, int depth) {
      Map<String, Object> cfg = map(c, path);
      String layersPath = at(path, "layers");
      List<Object> entries = list(cfg.get("layers"), layersPath);
      // Keras 2 numbers the nodes of a nested Sequential with an input from 1 (its node 0 is the
      // one made when it was built); Keras 3 numbers them from 0.
      Set<String> shiftedSequentials = new java.util.HashSet<>();
      List<Object> layers = new ArrayList<>();
      for (int i = 0; i < entries.size(); i++) {
        Map<String, Object> e = layerEntry(entries.get(i), layersPath + "[" + i + "]", depth, true);
        if (dialect != Dialect.KERAS_3
            && "Sequential".equals(e.get("class_name"))
            && e.get("config") instanceof Map<?, ?> sc
            && sc.get("layers") instanceof List<?> sl
            && !sl.isEmpty()
            && hasInput((Map<String, Object>) sl.get(0))) {
          shiftedSequentials.add((String) e.get("name"));
        }
        layers.add(e);
      }
      for (int i = 0; i < layers.size(); i++) {
        Map<String, Object> e = (Map<String, Object>) layers.get(i);
        String p = layersPath + "[" + i + "]";
        Object nodes = e.get("inbound_nodes");
        List<Object> out = new ArrayList<>();
        if (nodes != null) {
          List<Object> ns = list(nodes, at(p, "inbound_nodes"));
          for (int j = 0; j < ns.size(); j++) {
            out.add(node(ns.get(j), at(p, "inbound_nodes") + "[" + j + "]", shiftedSequentials));
          }
        }
        e.put("inbound_nodes", out);
      }
      cfg.put("layers", layers);
      for (String k : List.of("input_layers", "output_layers")) {
        if (!cfg.containsKey(k)) {
          throw new KilnException(at(path, k) + ": a Functional config needs `" + k + "`");
        }
        cfg.put(k, endpoints(cfg.get(k), at(path, k), shiftedSequentials));
      }
      return cfg;
    }

    /** A node in Keras 3's {@code {args, kwargs}} form. */
    @SuppressWarnings("unchecked")
    private Object node(Object n, String path, Set<String> shifted) {
      if (n instanceof Map<?, ?> m) {
        if (!(m.get("args") instanceof List<?>)) {
          throw new KilnException(
              path + ": a node must have `args` (a list), got the keys " + m.keySet());
        }
        if (m.get("kwargs") != null) {
          callArguments(map(m.get("kwargs"), at(path, "kwargs")), at(path, "kwargs"));
        }
        if (!shifted.isEmpty()) {
          shiftTensors(m, shifted);
        }
        return m;
      }
      List<Object> items = list(n, path);
      // Some exporters write a node holding one tensor without the enclosing list.
      if (!items.isEmpty() && items.get(0) instanceof String) {
        items = List.of(items);
      }
      List<Object> tensors = new ArrayList<>();
      Map<String, Object> kwargs = new LinkedHashMap<>();
      for (int i = 0; i < items.size(); i++) {
        String p = path + "[" + i + "]";
        List<Object> h = list(items.get(i), p);
        List<Object> history = history(h, p, shifted);
        if (h.size() > 3) {
          if (h.get(3) instanceof Map<?, ?> kw) {
            callArguments((Map<String, Object>) kw, p + "[3]");
            kwargs.putAll((Map<String, Object>) kw);
          } else if (h.get(3) != null) {
            throw new KilnException(p + "[3]: a node's call arguments must be a JSON object");
          }
        }
        tensors.add(kerasTensor(history));
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put(
          "args",
          tensors.size() == 1 ? new ArrayList<>(tensors) : new ArrayList<>(List.of(tensors)));
      out.put("kwargs", kwargs);
      return out;
    }

    /**
     * Checks a node's keyword call arguments. {@code training} true or false is taken: that call
     * then runs in that mode in fit and predict alike, as Keras does (fine-tuning with a frozen
     * base model). Of the others, which Kiln's graph does not pass to the layer, only those that
     * leave Keras's call as it is without them are taken (null, and false for flags such as {@code
     * use_causal_mask} or {@code return_attention_scores}). Refused: a tensor passed by keyword
     * ({@code mask}, an attention layer's {@code value}: Kiln connects positional inputs only), and
     * any other value.
     */
    private static void callArguments(Map<String, Object> kwargs, String path) {
      for (Map.Entry<String, Object> e : kwargs.entrySet()) {
        String k = e.getKey();
        Object v = e.getValue();
        String why;
        if (v == null) {
          continue;
        } else if (k.equals("training")) {
          if (v instanceof Boolean) {
            continue;
          }
          why = "`training` is true, false or null";
        } else if (hasTensor(v, 0)) {
          why =
              "it passes a tensor by keyword, and Kiln connects a layer's positional inputs only"
                  + (k.equals("mask")
                      ? " (masks flow from the layers that make them, such as Embedding or"
                          + " Masking)"
                      : "");
        } else if (Boolean.FALSE.equals(v)) {
          continue;
        } else {
          why = "Kiln does not pass keyword call arguments to layers";
        }
        throw new KilnException(
            at(path, k) + ": the layer is called with `" + k + "=" + show(v) + "`: " + why);
      }
    }

    private static boolean hasTensor(Object v, int depth) {
      if (depth > JsonText.MAX_DEPTH) {
        return false;
      }
      if (v instanceof Map<?, ?> m) {
        if ("__keras_tensor__".equals(m.get("class_name"))) {
          return true;
        }
        for (Object x : m.values()) {
          if (hasTensor(x, depth + 1)) {
            return true;
          }
        }
      } else if (v instanceof List<?> l) {
        if (l.size() >= 3 && l.get(0) instanceof String && l.get(1) instanceof Number) {
          // Keras 2 writes a tensor argument as its [layer, node, tensor] history.
          return true;
        }
        for (Object x : l) {
          if (hasTensor(x, depth + 1)) {
            return true;
          }
        }
      }
      return false;
    }

    private List<Object> history(List<Object> h, String path, Set<String> shifted) {
      if (h.size() < 3
          || !(h.get(0) instanceof String name)
          || !isIndex(h.get(1))
          || !isIndex(h.get(2))) {
        throw new KilnException(
            path
                + ": a tensor reference must be [layer name, node index, tensor index], got "
                + show(h));
      }
      long node = ((Number) h.get(1)).longValue();
      if (shifted.contains(name) && node > 0) {
        node--;
      }
      return new ArrayList<>(List.of(name, node, ((Number) h.get(2)).longValue()));
    }

    @SuppressWarnings("unchecked")
    private void shiftTensors(Object v, Set<String> shifted) {
      if (v instanceof Map<?, ?> m) {
        if ("__keras_tensor__".equals(m.get("class_name"))
            && m.get("config") instanceof Map<?, ?> c
            && c.get("keras_history") instanceof List<?> h
            && h.size() >= 2
            && h.get(0) instanceof String name
            && shifted.contains(name)
            && h.get(1) instanceof Number n
            && n.longValue() > 0) {
          ((List<Object>) h).set(1, n.longValue() - 1);
        }
        for (Object x : m.values()) {
          shiftTensors(x, shifted);
        }
      } else if (v instanceof List<?> l) {
        for (Object x : l) {
          shiftTensors(x, shifted);
        }
      }
    }

    private static Map<String, Object> kerasTensor(List<Object> history) {
      Map<String, Object> c = new LinkedHashMap<>();
      // A Keras 2 node records no shape or dtype; the loader reads only the history.
      c.put("shape", null);
      c.put("dtype", null);
      c.put("keras_history", history);
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("class_name", "__keras_tensor__");
      t.put("config", c);
      return t;
    }

    /** {@code input_layers}/{@code output_layers}: a triple, a list of triples or a dict. */
    @SuppressWarnings("unchecked")
    private Object endpoints(Object v, String path, Set<String> shifted) {
      if (v instanceof Map<?, ?> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
          String p = at(path, (String) e.getKey());
          out.put((String) e.getKey(), history(list(e.getValue(), p), p, shifted));
        }
        return new ArrayList<>(out.values());
      }
      List<Object> l = list(v, path);
      if (l.isEmpty()) {
        throw new KilnException(path + ": must name at least one tensor, got []");
      }
      if (l.get(0) instanceof String) {
        return history(l, path, shifted);
      }
      List<Object> out = new ArrayList<>();
      for (int i = 0; i < l.size(); i++) {
        String p = path + "[" + i + "]";
        out.add(history(list(l.get(i), p), p, shifted));
      }
      return out;
    }

    // ------------------------------------------------------------ layers

    @SuppressWarnings("unchecked")
    private Map<String, Object> layerEntry(Object o, String path, int depth, boolean functional) {
      if (depth > MAX_MODEL_DEPTH) {
        throw new KilnException(
            path
                + ": layers are nested more than "
                + MAX_MODEL_DEPTH
                + " levels deep; refusing the config");
      }
      if (++layerCount > MAX_LAYERS) {
        throw new KilnException(
            path
                + ": the config holds more than "
                + MAX_LAYERS
                + " layers (nested models included); refusing it");
      }
      Map<String, Object> e = map(o, path);
      String cls = className(e, path);
      cls = RENAMED.getOrDefault(cls, cls);
      Object cfgRaw = e.get("config");
      String layerName =
          cfgRaw instanceof Map<?, ?> m && m.get("name") instanceof String s
              ? s
              : e.get("name") instanceof String s2 ? s2 : null;
      if (CODE_LAYERS.containsKey(cls)) {
        throw new KilnException(
            path
                + ": layer "
                + (layerName == null ? "" : "'" + layerName + "' ")
                + "is a "
                + cls
                + " layer, which Kiln cannot load: "
                + CODE_LAYERS.get(cls)
                + ", and Python code cannot run in Java. Replace it with built-in layers, or"
                + " write it as a Java layer and register it with Models.register under a class"
                + " name of your own.");
      }
      if (KERAS1_CLASSES.contains(cls)) {
        throw keras1(path, "layer class `" + cls + "` exists only in Keras 1");
      }
      Map<String, Object> out = new LinkedHashMap<>();
      if (MODEL_CLASSES.contains(cls)) {
        Map<String, Object> env = new LinkedHashMap<>(e);
        env.put("class_name", cls);
        out.putAll(modelEnvelope(env, path, depth + 1));
      } else {
        KerasClass<?> d = declaration(Kind.LAYER, cls, path, e);
        Map<String, Object> cfg =
            cfgRaw == null ? new LinkedHashMap<>() : map(cfgRaw, at(path, "config"));
        out.put("module", e.get("module") instanceof String m ? m : Kind.LAYER.module());
        out.put("class_name", cls);
        out.put("config", layerConfig(cls, d, cfg, at(path, "config"), depth));
        out.put("registered_name", e.get("registered_name"));
        if (e.get("build_config") instanceof Map<?, ?> b) {
          checkRank(b.get("input_shape"), at(at(path, "build_config"), "input_shape"), 0);
          out.put("build_config", b);
        }
      }
      if (functional) {
        Object name = e.get("name");
        if (name == null) {
          name = layerName;
        }
        if (!(name instanceof String)) {
          throw new KilnException(at(path, "name") + ": a layer entry needs a name (a string)");
        }
        out.put("name", name);
        out.put("inbound_nodes", e.get("inbound_nodes"));
      }
      return out;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> layerConfig(
        String cls, KerasClass<?> d, Map<String, Object> c, String path, int depth) {
      if (dialect == Dialect.TFJS) {
        c = snakeKeys(c);
      }
      for (String k : c.keySet()) {
        if (KERAS1_KEYS.contains(k)
            || (k.equals("output_dim") && !cls.equals("Embedding"))
            || (k.equals("p") && cls.equals("Dropout"))) {
          throw keras1(path, "layer argument `" + k + "` exists only in Keras 1");
        }
      }
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<String, Object> en : c.entrySet()) {
        String k = en.getKey();
        Object v = en.getValue();
        String p = at(path, k);
        Arg<?> arg = d.arg(k);
        if (IGNORED_BASE_KEYS.contains(k) && arg == null && !d.tolerated().contains(k)) {
          continue;
        }
        if (k.endsWith("shape")) {
          checkRank(v, p, 0);
        }
        if (v == null) {
          // Keras 2 and TF.js write an unset argument as null; Kiln's default stands for it.
          if (arg != null && !arg.isNullable() || k.equals("dtype")) {
            continue;
          }
          out.put(k, null);
          continue;
        }
        if (k.equals("dtype")) {
          out.put(k, dtype(v, p));
        } else if (k.equals("layer") || k.equals("backward_layer")) {
          out.put(k, layerEntry(v, p, depth + 1, false));
        } else if (k.equals("cell") && v instanceof Map<?, ?>) {
          out.put(k, layerEntry(v, p, depth + 1, false));
        } else if (k.equals("cells") && v instanceof List<?> cells) {
          List<Object> cs = new ArrayList<>();
          for (int i = 0; i < cells.size(); i++) {
            cs.add(layerEntry(cells.get(i), p + "[" + i + "]", depth + 1, false));
          }
          out.put(k, cs);
        } else if (kindOf(k) != null) {
          out.put(k, object(kindOf(k), v, p));
        } else {
          out.put(k, v);
        }
      }
      if (cls.equals("InputLayer")
          && out.get("batch_shape") == null
          && out.get("batch_input_shape") != null) {
        out.put("batch_shape", out.remove("batch_input_shape"));
      }
      if (dialect != Dialect.KERAS_3
          && (cls.equals("GRU") || cls.equals("GRUCell"))
          && !out.containsKey("reset_after")
          && d.arg("reset_after") != null) {
        // Keras <= 2.2 and TF.js know only the original GRU (one bias per gate).
        out.put("reset_after", false);
      }
      if (cls.equals("LeakyReLU")
          && out.containsKey("alpha")
          && !out.containsKey("negative_slope")) {
        // Keras 3 renamed Keras 2's `alpha`.
        out.put("negative_slope", out.remove("alpha"));
      }
      if (cls.equals("BatchNormalization")
          && out.get("axis") instanceof List<?> ax
          && ax.size() == 1) {
        out.put("axis", ax.get(0));
      }
      return out;
    }

    /**
     * Refuses a shape (or a list of shapes, for layers with several inputs) longer than {@link
     * #MAX_RANK}, before any layer allocates per-axis state for it.
     */
    private static void checkRank(Object v, String path, int level) {
      if (!(v instanceof List<?> l) || level > 1) {
        return;
      }
      if (l.size() > MAX_RANK) {
        throw new KilnException(
            path
                + ": a shape of rank "
                + l.size()
                + "; Kiln takes shapes of rank up to "
                + MAX_RANK
                + ", refusing the config");
      }
      for (int i = 0; i < l.size(); i++) {
        checkRank(l.get(i), path + "[" + i + "]", level + 1);
      }
    }

    /** A dtype as Keras 3 writes it: a {@code DTypePolicy} envelope or a name. */
    private Object dtype(Object v, String path) {
      if (v instanceof String s) {
        // TensorFlow's other names for its float types, found in tf.keras 2 configs.
        return switch (s) {
          case "float" -> "float32";
          case "double" -> "float64";
          case "half" -> "float16";
          default -> s;
        };
      }
      Map<String, Object> m = map(v, path);
      Object cls = m.get("class_name");
      if (!(m.get("config") instanceof Map<?, ?> c) || !(c.get("name") instanceof String name)) {
        throw new KilnException(
            path
                + ": a dtype must be a name or a policy {class_name, config: {name}}, got "
                + show(v));
      }
      if ("Policy".equals(cls) || "DTypePolicy".equals(cls)) {
        return DTypePolicy.envelope(name);
      }
      return m;
    }

    private static Kind kindOf(String key) {
      if (key.endsWith("_initializer")) {
        return Kind.INITIALIZER;
      }
      if (key.endsWith("_regularizer")) {
        return Kind.REGULARIZER;
      }
      if (key.endsWith("_constraint")) {
        return Kind.CONSTRAINT;
      }
      if (key.equals("activation") || key.equals("recurrent_activation")) {
        return Kind.ACTIVATION;
      }
      return null;
    }

    /** A nested object (initializer, regularizer, ...) in Keras 3's form, its class checked. */
    @SuppressWarnings("unchecked")
    private Object object(Kind kind, Object v, String path) {
      if (v instanceof String s) {
        s = dialectActivation(kind, s);
        declaration(kind, s, path, Map.of());
        return s;
      }
      if (!(v instanceof Map<?, ?>)) {
        return v;
      }
      Map<String, Object> m = (Map<String, Object>) v;
      if ("__lambda__".equals(m.get("class_name"))) {
        throw new KilnException(
            path + ": a Python lambda, which cannot run in Java; use a built-in " + kind.noun());
      }
      if ("function".equals(m.get("class_name")) && m.get("config") instanceof String fn) {
        // {"class_name": "function", "config": "relu"}: a function by name (an activation, or a
        // loss or metric given as a function).
        String name = dialectActivation(kind, fn);
        declaration(kind, name, path, m);
        if (kind != Kind.ACTIVATION) {
          return name;
        }
        Map<String, Object> f = new LinkedHashMap<>(m);
        f.put("config", name);
        return f;
      }
      String cls = className(m, path);
      if (cls.startsWith("Custom>")) {
        cls = cls.substring("Custom>".length());
      }
      if (kind == Kind.OPTIMIZER && cls.equals("RMSProp")) {
        // TF.js's spelling.
        cls = "RMSprop";
      }
      KerasClass<?> d = declaration(kind, cls, path, m);
      Object cfgRaw = m.get("config");
      Map<String, Object> c =
          cfgRaw == null ? new LinkedHashMap<>() : map(cfgRaw, at(path, "config"));
      if (dialect == Dialect.TFJS) {
        c = snakeKeys(c);
        if (kind == Kind.OPTIMIZER) {
          c = tfjsOptimizerConfig(cls, c);
        }
      }
      Map<String, Object> cfg = new LinkedHashMap<>();
      for (Map.Entry<String, Object> en : c.entrySet()) {
        String k = en.getKey();
        Object x = en.getValue();
        Arg<?> arg = d.arg(k);
        if (kind == Kind.INITIALIZER && k.equals("dtype") && arg == null) {
          continue;
        }
        if (kind == Kind.OPTIMIZER && k.equals("lr") && !c.containsKey("learning_rate")) {
          k = "learning_rate";
          arg = d.arg(k);
        }
        if (x == null && arg != null && !arg.isNullable()) {
          continue;
        }
        if (kind == Kind.INITIALIZER && k.equals("distribution") && "normal".equals(x)) {
          // Keras 2 and TF.js meant the truncated normal by "normal"; Keras 3 spells it out.
          x = "truncated_normal";
        }
        cfg.put(k, x);
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("module", m.get("module") instanceof String mod ? mod : kind.module());
      out.put("class_name", cls);
      out.put("config", cfg);
      out.put("registered_name", m.get("registered_name"));
      return out;
    }

    /**
     * The activation a name means in this config's dialect: Keras 2 (tf.keras 2.x) and TF.js define
     * {@code hard_sigmoid} as {@code clip(0.2x + 0.5, 0, 1)}, Keras 3 (and Kiln) as {@code relu6(x
     * + 3) / 6}; the older meaning is Kiln's {@code legacy_hard_sigmoid}.
     */
    private String dialectActivation(Kind kind, String name) {
      return kind == Kind.ACTIVATION && legacyHardSigmoid && name.equals("hard_sigmoid")
          ? LegacyHardSigmoid.NAME
          : name;
    }

    /**
     * TF.js's optimizer arguments under Keras's names: {@code beta1} is {@code beta_1}, and
     * RMSProp's {@code decay} is Keras's {@code rho}.
     */
    private static Map<String, Object> tfjsOptimizerConfig(String cls, Map<String, Object> c) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<String, Object> e : c.entrySet()) {
        String k =
            switch (e.getKey()) {
              case "beta1" -> "beta_1";
              case "beta2" -> "beta_2";
              case "decay" -> cls.equals("RMSprop") ? "rho" : "decay";
              default -> e.getKey();
            };
        out.put(k, e.getValue());
      }
      return out;
    }

    /** The declaration of a class name, or the error naming the path and the nearest names. */
    private KerasClass<?> declaration(Kind kind, String cls, String path, Map<String, Object> e) {
      try {
        return Registry.declaration(kind, cls);
      } catch (KilnException ex) {
        // A registered name "package>Name" may be registered under its bare name.
        int gt = cls.lastIndexOf('>');
        if (gt >= 0 && gt < cls.length() - 1) {
          try {
            return Registry.declaration(kind, cls.substring(gt + 1));
          } catch (KilnException ignored) {
            // fall through to the error for the full name
          }
        }
        Object reg = e.get("registered_name");
        Object module = e.get("module");
        throw new KilnException(
            path
                + ": unknown "
                + kind.noun()
                + " class '"
                + cls
                + "'"
                + (reg instanceof String r && !r.equals(cls)
                    ? " (registered_name '" + r + "')"
                    : "")
                + (module instanceof String m && !m.startsWith("keras.") && !m.equals("keras")
                    ? " from module '" + m + "'"
                    : "")
                + "; nearest known: "
                + String.join(", ", nearest(cls, Registry.classNames(kind), 3))
                + (kind == Kind.LAYER
                    ? ". Register your own classes with Models.register(KerasClass) before loading"
                    : ""),
            ex);
      }
    }

    // ------------------------------------------------------------ compile configs

    /** Keras 3's {@code compile_config}, its optimizer, losses and metrics checked. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> compileConfig(Map<String, Object> c, String path) {
      Map<String, Object> out = new LinkedHashMap<>(c);
      Object opt = c.get("optimizer");
      if (opt == null) {
        throw new KilnException(at(path, "optimizer") + ": a compile config needs an optimizer");
      }
      out.put("optimizer", object(Kind.OPTIMIZER, opt, at(path, "optimizer")));
      out.put("loss", lossesOrMetrics(Kind.LOSS, c.get("loss"), at(path, "loss")));
      out.put("metrics", lossesOrMetrics(Kind.METRIC, c.get("metrics"), at(path, "metrics")));
      return out;
    }

    /** Keras 2's {@code training_config} ({@code optimizer_config}, ...) as a compile config. */
    private Map<String, Object> compileFromTraining(Map<String, Object> t, String path) {
      Map<String, Object> c = new LinkedHashMap<>();
      Object opt =
          t.containsKey("optimizer_config") ? t.get("optimizer_config") : t.get("optimizer");
      c.put("optimizer", opt);
      c.put("loss", t.get("loss"));
      c.put("loss_weights", t.get("loss_weights"));
      c.put("metrics", t.get("metrics"));
      c.put("weighted_metrics", t.get("weighted_metrics"));
      c.put("run_eagerly", false);
      c.put("steps_per_execution", 1);
      c.put("jit_compile", false);
      return compileConfig(c, path);
    }

    @SuppressWarnings("unchecked")
    private Object lossesOrMetrics(Kind kind, Object v, String path) {
      if (v instanceof String s && dialect == Dialect.TFJS) {
        // tfjs-layers keeps the names users gave, often camelCase (meanSquaredError).
        v = snake(s);
      }
      if (v == null || v instanceof String && kind == Kind.METRIC) {
        return v;
      }
      if (v instanceof List<?> l) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < l.size(); i++) {
          out.add(lossesOrMetrics(kind, l.get(i), path + "[" + i + "]"));
        }
        return out;
      }
      if (v instanceof Map<?, ?> m && !m.containsKey("class_name")) {
        // Keyed by output name.
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
          out.put(
              (String) e.getKey(),
              lossesOrMetrics(kind, e.getValue(), at(path, (String) e.getKey())));
        }
        return out;
      }
      return object(kind, v, path);
    }

    // ------------------------------------------------------------ checks and copies

    private static String className(Map<String, Object> e, String path) {
      Object c = e.get("class_name");
      if (!(c instanceof String s) || s.isEmpty()) {
        throw new KilnException(
            at(path, "class_name")
                + ": must be a class name (a string), got "
                + (c == null && !e.containsKey("class_name")
                    ? "nothing (the key is missing)"
                    : show(c)));
      }
      return s;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object v, String path) {
      if (!(v instanceof Map<?, ?> m)) {
        throw new KilnException(path + ": must be a JSON object, got " + describe(v));
      }
      return (Map<String, Object>) m;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object v, String path) {
      if (!(v instanceof List<?> l)) {
        throw new KilnException(path + ": must be a JSON array, got " + describe(v));
      }
      return (List<Object>) l;
    }

    private static boolean isIndex(Object v) {
      return (v instanceof Integer || v instanceof Long) && ((Number) v).longValue() >= 0;
    }

    private static KilnException keras1(String path, String evidence) {
      return new KilnException(
          path
              + ": this is a Keras 1 config ("
              + evidence
              + "). Keras 1 names layers and arguments differently (Convolution2D, Merge,"
              + " output_dim, init, border_mode) and Kiln reads only Keras 2, Keras 3 and TF.js"
              + " configs; load the model in Keras 2 and save it again to convert it.");
    }

    private static Map<String, Object> snakeKeys(Map<String, Object> c) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<String, Object> e : c.entrySet()) {
        out.put(snake(e.getKey()), e.getValue());
      }
      return out;
    }

    /** {@code batchInputShape} to {@code batch_input_shape}, as TF.js converts keys. */
    static String snake(String k) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < k.length(); i++) {
        char ch = k.charAt(i);
        if (Character.isUpperCase(ch) && i > 0) {
          b.append('_').append(Character.toLowerCase(ch));
        } else {
          b.append(i == 0 ? Character.toLowerCase(ch) : ch);
        }
      }
      return b.toString();
    }

    /**
     * A deep copy with string keys, refusing nesting deeper than {@link JsonText#MAX_DEPTH} (a map
     * built in Java may be deeper, or cyclic).
     */
    private static Object copy(Object v, int depth, String path) {
      if (depth > JsonText.MAX_DEPTH) {
        throw new KilnException(
            path.substring(0, Math.min(path.length(), 200))
                + "...: the config is nested more than "
                + JsonText.MAX_DEPTH
                + " levels deep; refusing it");
      }
      if (v instanceof Map<?, ?> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
          if (!(e.getKey() instanceof String k)) {
            throw new KilnException(path + ": keys must be strings, got " + show(e.getKey()));
          }
          out.put(k, copy(e.getValue(), depth + 1, depth < 50 ? at(path, k) : path));
        }
        return out;
      }
      if (v instanceof List<?> l) {
        List<Object> out = new ArrayList<>(l.size());
        for (int i = 0; i < l.size(); i++) {
          out.add(copy(l.get(i), depth + 1, depth < 50 ? path + "[" + i + "]" : path));
        }
        return out;
      }
      return v;
    }

    private static String describe(Object v) {
      if (v == null) {
        return "null";
      }
      if (v instanceof List<?>) {
        return "an array";
      }
      if (v instanceof Map<?, ?>) {
        return "an object";
      }
      if (v instanceof String s) {
        return "the string " + show(s);
      }
      if (v instanceof Number || v instanceof Boolean) {
        return "the value " + v;
      }
      return "a " + v.getClass().getSimpleName();
    }

    private static String show(Object v) {
      String s = v instanceof String str ? "\"" + str + "\"" : String.valueOf(v);
      return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }
  }
}
