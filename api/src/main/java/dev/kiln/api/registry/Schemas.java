package dev.kiln.api.registry;

import dev.kiln.api.KilnException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * JSON Schemas (draft 2020-12) of Keras configs, generated from the registry's declarations: one
 * per built-in class of every {@link Kind} ({@code layer/Dense.json} for a Dense layer's {@code
 * config}), one per kind for an object of that kind in any of Keras's forms ({@code
 * initializer.json}: a name, or {@code {class_name, config}} whose config is checked against the
 * class's schema), and {@code model.json} for a whole model as {@code model.to_json()} writes it.
 * The {@code config-schemas} module publishes them; a test there keeps them equal to what this
 * class generates.
 *
 * <p>The schemas check the form of a config: types, ranges and choices as declared. Keys a class
 * does not declare are allowed ({@code additionalProperties: true}): Keras ignores some keys, and
 * its classes gain keys in minor releases, so a schema that refused them would refuse valid files.
 * Kiln's reader reports the keys it does not take itself, naming the nearest declared key. Class
 * names are closed: a {@code class_name} that Kiln does not know is an error unless the entry
 * carries a {@code registered_name}, Keras's mark of a custom class.
 */
public final class Schemas {
  private Schemas() {}

  /** The base of every schema's {@code $id}. */
  public static final String BASE = "https://kiln.dev/schemas/";

  /** The JSON Schema dialect. */
  public static final String DIALECT = "https://json-schema.org/draft/2020-12/schema";

  /** The model envelope's schema, relative to {@link #BASE}. */
  public static final String MODEL = "model.json";

  /** Shared definitions (dtype policies, shapes), relative to {@link #BASE}. */
  public static final String COMMON = "common.json";

  /** The list of every schema file, relative to {@link #BASE}. */
  public static final String INDEX = "index.json";

  private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_.\\-]+");

  /** The folder of a kind's class schemas ({@code layer}, {@code initializer}). */
  public static String folder(Kind kind) {
    return kind.name().toLowerCase(Locale.ROOT);
  }

  /** A class's schema, relative to {@link #BASE} ({@code layer/Dense.json}). */
  public static String classSchema(Kind kind, String className) {
    if (!FILE_NAME.matcher(className).matches()) {
      throw new KilnException(
          kind.noun() + " class name '" + className + "' cannot name a schema file");
    }
    return folder(kind) + "/" + className + ".json";
  }

  /** The schema of any object of a kind, relative to {@link #BASE} ({@code initializer.json}). */
  public static String kindSchema(Kind kind) {
    return folder(kind) + ".json";
  }

  /** A reference to the schema of any object of {@code kind}, for {@link Arg#schema}. */
  public static Map<String, Object> ref(Kind kind) {
    return Map.of("$ref", BASE + kindSchema(kind));
  }

  /**
   * Every schema of Kiln's built-in classes, by path relative to {@link #BASE}, including the
   * {@link #INDEX} that lists them. Classes users {@link Registry#register} are left out: the
   * published schemas describe what Kiln itself reads.
   */
  public static SortedMap<String, Map<String, Object>> generate() {
    SortedMap<String, Map<String, Object>> out = new TreeMap<>();
    for (Kind kind : Kind.values()) {
      for (KerasClass<?> d : builtIns(kind)) {
        out.put(classSchema(kind, d.className()), classSchema(d));
      }
      out.put(kindSchema(kind), kindSchema(kind, builtIns(kind)));
    }
    out.put(COMMON, common());
    out.put(MODEL, model());
    Map<String, Object> index = header(INDEX, "Kiln's config schemas", null);
    index.remove("$schema");
    List<String> files = new ArrayList<>(out.keySet());
    files.add(INDEX);
    java.util.Collections.sort(files);
    index.put("schemas", files);
    out.put(INDEX, index);
    SortedMap<String, Map<String, Object>> fixed = new TreeMap<>();
    for (Map.Entry<String, Map<String, Object>> e : out.entrySet()) {
      @SuppressWarnings("unchecked")
      Map<String, Object> tree = (Map<String, Object>) canonical(e.getValue());
      fixed.put(e.getKey(), tree);
    }
    return fixed;
  }

  private static List<KerasClass<?>> builtIns(Kind kind) {
    List<KerasClass<?>> out = new ArrayList<>();
    for (String n : Registry.builtInClassNames(kind)) {
      out.add(Registry.declaration(kind, n));
    }
    return out;
  }

  // ---------------------------------------------------------------- one class

  /** The schema of one class's {@code config}. */
  public static Map<String, Object> classSchema(KerasClass<?> d) {
    Kind kind = d.kind();
    Map<String, Object> s =
        header(
            classSchema(kind, d.className()),
            d.className(),
            "The config of the "
                + kind.noun()
                + " class "
                + d.className()
                + " ("
                + kind.module()
                + "), from Kiln's declaration. Keys it does not declare are allowed: Keras"
                + " ignores some and adds keys in minor releases; Kiln's reader names those it"
                + " does not take.");
    s.put("type", "object");
    Map<String, Object> props = new LinkedHashMap<>();
    for (String key : new TreeSet<>(Registry.commonKeys(kind))) {
      props.put(key, commonKey(kind, key));
    }
    for (String key : d.tolerated()) {
      props.put(key, describe(Map.of(), "accepted and ignored (Keras writes it; Kiln has no use)"));
    }
    List<String> required = new ArrayList<>();
    for (Arg<?> a : d.args()) {
      props.put(a.key(), argument(a));
      if (a.isRequired()) {
        required.add(a.key());
      }
    }
    s.put("properties", props);
    if (!required.isEmpty()) {
      s.put("required", required);
    }
    s.put("additionalProperties", true);
    return s;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Map<String, Object> argument(Arg<?> a) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("description", a.expected());
    Map<String, Object> value = a.schema();
    if (a.isNullable() && !value.isEmpty()) {
      value = orNull(value);
    }
    s.putAll(value);
    if (!a.isRequired()) {
      Object def = ((Arg) a).write(a.defaultValue());
      if (def != null) {
        s.put("default", def);
      }
    }
    return s;
  }

  /** {@code value} that also takes null. */
  private static Map<String, Object> orNull(Map<String, Object> value) {
    Map<String, Object> v = new LinkedHashMap<>(value);
    Object type = v.get("type");
    if (type != null && !v.containsKey("$ref") && !v.containsKey("if")) {
      List<Object> types = new ArrayList<>(type instanceof List<?> l ? l : List.of(type));
      if (!types.contains("null")) {
        types.add("null");
      }
      v.put("type", types);
      if (v.get("enum") instanceof List<?> e && !new ArrayList<>(e).contains(null)) {
        List<Object> values = new ArrayList<>(e);
        values.add(null);
        v.put("enum", values);
      }
      return v;
    }
    return unlessNull(v);
  }

  /**
   * {@code schema} for any value but null. Written as if/then rather than anyOf with a null branch,
   * so that a wrong value gets the errors of {@code schema} alone, not also "null expected".
   */
  private static Map<String, Object> unlessNull(Map<String, Object> schema) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("if", Map.of("not", Map.of("type", "null")));
    s.put("then", schema);
    return s;
  }

  private static Map<String, Object> commonKey(Kind kind, String key) {
    return switch (key) {
      case "name" -> describe(Map.of("type", "string"), "the object's name");
      case "trainable" -> describe(Map.of("type", "boolean"), "whether its weights train");
      case "dtype" ->
          describe(
              Map.of("$ref", BASE + COMMON + "#/$defs/dtype"),
              "a dtype name, a DTypePolicy or null");
      case "batch_input_shape", "batch_shape" ->
          describe(
              Map.of("$ref", BASE + COMMON + "#/$defs/shape"),
              "the input shape with the batch axis (null for unknown sizes)");
      case "input_shape" ->
          describe(
              Map.of("$ref", BASE + COMMON + "#/$defs/shape"),
              "the input shape without the batch axis");
      case "reduction" ->
          describe(
              Map.of("type", List.of("string", "null")),
              "how losses over a batch combine (Keras's reduction name)");
      default -> describe(Map.of(), "a key Kiln reads for every " + kind.noun());
    };
  }

  private static Map<String, Object> describe(Map<String, Object> schema, String description) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("description", description);
    s.putAll(schema);
    return s;
  }

  private static Map<String, Object> header(String path, String title, String description) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("$schema", DIALECT);
    s.put("$id", BASE + path);
    s.put("title", title);
    if (description != null) {
      s.put("description", description);
    }
    return s;
  }

  // ---------------------------------------------------------------- any object of a kind

  private static Map<String, Object> kindSchema(Kind kind, List<KerasClass<?>> classes) {
    boolean layers = kind == Kind.LAYER;
    Map<String, Object> s =
        header(
            kindSchema(kind),
            (kind.noun().matches("[aeiou].*") ? "An " : "A ") + "Keras " + kind.noun(),
            layers
                ? "A layer or model entry: {module, class_name, config, registered_name}; its"
                    + " config is checked against its class's schema. A class_name Kiln does not"
                    + " know needs a registered_name (a custom class)."
                : (kind.noun().matches("[aeiou].*") ? "An " : "A ")
                    + kind.noun()
                    + ": a name, or {module, class_name, config, registered_name} whose config is"
                    + " checked against its class's schema. A class_name Kiln does not know needs"
                    + " a registered_name (a custom class).");
    List<String> names = new ArrayList<>();
    List<Object> dispatch = new ArrayList<>();
    for (KerasClass<?> d : classes) {
      List<String> these = new ArrayList<>();
      these.add(d.className());
      these.addAll(new TreeSet<>(d.aliases()));
      names.addAll(these);
      dispatch.add(when(these, Map.of("$ref", BASE + classSchema(kind, d.className()))));
    }
    if (layers) {
      for (String[] m :
          new String[][] {
            {"Sequential", "sequentialConfig"},
            {"Functional", "functionalConfig"},
            {"Model", "functionalConfig"}
          }) {
        if (!names.contains(m[0])) {
          names.add(m[0]);
          dispatch.add(when(List.of(m[0]), Map.of("$ref", BASE + MODEL + "#/$defs/" + m[1])));
        }
      }
    } else {
      // Keras writes functions (activations, losses, metrics) as {class_name: "function", config:
      // <name>}.
      names.add("function");
      dispatch.add(when(List.of("function"), Map.of("type", "string")));
    }
    Map<String, Object> known = new LinkedHashMap<>();
    known.put("if", Map.of("required", List.of("registered_name"), "properties", stringValued()));
    known.put("else", Map.of("properties", Map.of("class_name", Map.of("enum", sorted(names)))));
    dispatch.add(known);

    Map<String, Object> object = new LinkedHashMap<>();
    object.put("required", List.of("class_name"));
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("module", Map.of("type", List.of("string", "null")));
    props.put("class_name", Map.of("type", "string"));
    props.put("config", Map.of("type", List.of("object", "string")));
    props.put("registered_name", Map.of("type", List.of("string", "null")));
    props.put("build_config", Map.of("type", List.of("object", "null")));
    props.put("shared_object_id", Map.of("type", List.of("integer", "string")));
    if (layers) {
      props.put("compile_config", Map.of("$ref", BASE + MODEL + "#/$defs/compileConfig"));
    }
    object.put("properties", props);
    object.put("allOf", dispatch);

    if (layers) {
      s.put("type", "object");
      s.putAll(object);
    } else {
      s.put("type", List.of("string", "object"));
      s.put("if", Map.of("type", "string"));
      List<String> shorthands = new ArrayList<>(names);
      shorthands.remove("function");
      s.put("then", Map.of("enum", sorted(shorthands)));
      s.put("else", object);
    }
    return s;
  }

  private static Map<String, Object> stringValued() {
    return Map.of("registered_name", Map.of("type", "string"));
  }

  /** When class_name is one of {@code names}, {@code config} meets {@code config}. */
  private static Map<String, Object> when(List<String> names, Map<String, Object> config) {
    Map<String, Object> w = new LinkedHashMap<>();
    Object match = names.size() == 1 ? Map.of("const", names.get(0)) : Map.of("enum", names);
    w.put(
        "if", Map.of("required", List.of("class_name"), "properties", Map.of("class_name", match)));
    w.put("then", Map.of("properties", Map.of("config", config)));
    return w;
  }

  private static List<String> sorted(List<String> names) {
    return List.copyOf(new TreeSet<>(names));
  }

  // ---------------------------------------------------------------- shared definitions

  private static Map<String, Object> common() {
    Map<String, Object> s =
        header(COMMON, "Shared definitions", "Dtype policies and shapes, shared by the schemas.");
    Map<String, Object> defs = new LinkedHashMap<>();
    Map<String, Object> policy = new LinkedHashMap<>();
    policy.put(
        "description",
        "a dtype name (Keras 3.0-3.3 and Keras 2), a DTypePolicy {class_name, config: {name}}"
            + " (Keras 3.4+) or null");
    policy.put("type", List.of("string", "object", "null"));
    policy.put("if", Map.of("type", "object"));
    policy.put(
        "then",
        Map.of(
            "required",
            List.of("class_name"),
            "properties",
            Map.of(
                "class_name",
                Map.of("type", "string"),
                "config",
                Map.of("type", "object", "properties", Map.of("name", Map.of("type", "string"))))));
    defs.put("dtype", policy);
    Map<String, Object> shape = new LinkedHashMap<>();
    shape.put("description", "a shape: sizes, null for an unknown size");
    shape.put("type", List.of("array", "null"));
    shape.put("items", Map.of("type", List.of("integer", "null"), "minimum", 0));
    defs.put("shape", shape);
    s.put("$defs", defs);
    return s;
  }

  // ---------------------------------------------------------------- the model envelope

  private static Map<String, Object> model() {
    Map<String, Object> s =
        header(
            MODEL,
            "A Keras model",
            "A model as Keras 3's model.to_json() and the .keras archive's config.json write it:"
                + " {module, class_name, config, registered_name, build_config, compile_config}."
                + " Sequential and Functional configs are checked layer by layer; each layer"
                + " entry's config against its class's schema.");
    s.put("$ref", BASE + kindSchema(Kind.LAYER));
    s.put("required", List.of("class_name", "config"));
    Map<String, Object> defs = new LinkedHashMap<>();
    String layer = BASE + kindSchema(Kind.LAYER);

    Map<String, Object> seq = new LinkedHashMap<>();
    seq.put(
        "description",
        "a Sequential model's config: {name, trainable, dtype, layers, build_input_shape}, or"
            + " Keras 2's bare list of layers");
    seq.put("type", List.of("object", "array"));
    seq.put("items", Map.of("$ref", layer));
    Map<String, Object> seqProps = new LinkedHashMap<>();
    seqProps.put("name", Map.of("type", "string"));
    seqProps.put("trainable", Map.of("type", "boolean"));
    seqProps.put("dtype", Map.of("$ref", BASE + COMMON + "#/$defs/dtype"));
    seqProps.put("layers", Map.of("type", "array", "items", Map.of("$ref", layer)));
    seqProps.put("build_input_shape", Map.of("type", List.of("array", "null")));
    seq.put("properties", seqProps);
    seq.put("required", List.of("layers"));
    defs.put("sequentialConfig", seq);

    Map<String, Object> fun = new LinkedHashMap<>();
    fun.put(
        "description",
        "a Functional model's config: {name, trainable, layers, input_layers, output_layers};"
            + " each layer entry adds its name and inbound_nodes");
    fun.put("type", "object");
    Map<String, Object> funProps = new LinkedHashMap<>();
    funProps.put("name", Map.of("type", "string"));
    funProps.put("trainable", Map.of("type", "boolean"));
    funProps.put(
        "layers", Map.of("type", "array", "items", Map.of("$ref", "#/$defs/functionalLayer")));
    funProps.put("input_layers", Map.of("$ref", "#/$defs/tensorRefs"));
    funProps.put("output_layers", Map.of("$ref", "#/$defs/tensorRefs"));
    fun.put("properties", funProps);
    fun.put("required", List.of("layers", "input_layers", "output_layers"));
    defs.put("functionalConfig", fun);

    Map<String, Object> fl = new LinkedHashMap<>();
    fl.put("$ref", layer);
    fl.put(
        "properties",
        Map.of(
            "name",
            Map.of("type", "string"),
            "inbound_nodes",
            Map.of("type", "array", "items", Map.of("$ref", "#/$defs/node"))));
    defs.put("functionalLayer", fl);

    Map<String, Object> node = new LinkedHashMap<>();
    node.put(
        "description",
        "one call of the layer: Keras 3's {args, kwargs}, or Keras 2's list of"
            + " [layer, node, tensor, kwargs]");
    node.put("type", List.of("object", "array"));
    node.put(
        "properties",
        Map.of(
            "args",
            Map.of("type", "array", "items", Map.of("$ref", "#/$defs/nodeValue")),
            "kwargs",
            Map.of("type", "object", "additionalProperties", Map.of("$ref", "#/$defs/nodeValue"))));
    node.put("required", List.of("args"));
    defs.put("node", node);

    Map<String, Object> value = new LinkedHashMap<>();
    value.put(
        "description", "a call argument: a __keras_tensor__, a structure of them, or a literal");
    value.put(
        "if",
        Map.of(
            "type",
            "object",
            "required",
            List.of("class_name"),
            "properties",
            Map.of("class_name", Map.of("const", "__keras_tensor__"))));
    Map<String, Object> tensorConfig = new LinkedHashMap<>();
    tensorConfig.put("type", "object");
    tensorConfig.put("required", List.of("keras_history"));
    tensorConfig.put(
        "properties",
        Map.of(
            "shape",
            Map.of("$ref", BASE + COMMON + "#/$defs/shape"),
            "dtype",
            Map.of("type", List.of("string", "null")),
            "keras_history",
            Map.of("$ref", "#/$defs/history")));
    value.put(
        "then",
        Map.of("required", List.of("config"), "properties", Map.of("config", tensorConfig)));
    value.put(
        "else",
        Map.of(
            "items",
            Map.of("$ref", "#/$defs/nodeValue"),
            "additionalProperties",
            Map.of("$ref", "#/$defs/nodeValue")));
    defs.put("nodeValue", value);

    Map<String, Object> history = new LinkedHashMap<>();
    history.put("description", "[layer name, node index, tensor index]");
    history.put("type", "array");
    history.put(
        "prefixItems",
        List.of(
            Map.of("type", "string"),
            Map.of("type", "integer", "minimum", 0),
            Map.of("type", "integer", "minimum", 0)));
    history.put("minItems", 3);
    defs.put("history", history);

    Map<String, Object> refs = new LinkedHashMap<>();
    refs.put(
        "description",
        "the model's inputs or outputs: one [layer, node, tensor] triple, or a list or dict of"
            + " them");
    refs.put("type", List.of("array", "object"));
    refs.put("if", Map.of("type", "array", "prefixItems", List.of(Map.of("type", "string"))));
    refs.put("then", Map.of("$ref", "#/$defs/history"));
    refs.put(
        "else",
        Map.of(
            "items",
            Map.of("$ref", "#/$defs/tensorRefs"),
            "additionalProperties",
            Map.of("$ref", "#/$defs/tensorRefs")));
    defs.put("tensorRefs", refs);

    Map<String, Object> compile = new LinkedHashMap<>();
    compile.put(
        "description",
        "what model.compile was given: optimizer, loss, metrics, ...; {} when not compiled");
    compile.put("type", List.of("object", "null"));
    Map<String, Object> cp = new LinkedHashMap<>();
    cp.put("optimizer", unlessNull(Map.of("$ref", BASE + kindSchema(Kind.OPTIMIZER))));
    cp.put("loss", Map.of("$ref", "#/$defs/losses"));
    cp.put("metrics", Map.of("$ref", "#/$defs/metrics"));
    cp.put("weighted_metrics", Map.of("$ref", "#/$defs/metrics"));
    cp.put("run_eagerly", Map.of("type", "boolean"));
    cp.put("steps_per_execution", Map.of("type", "integer", "minimum", 1));
    cp.put("jit_compile", Map.of("type", List.of("boolean", "string")));
    compile.put("properties", cp);
    defs.put("compileConfig", compile);
    defs.put("losses", structureOf(Kind.LOSS, "losses"));
    defs.put("metrics", structureOf(Kind.METRIC, "metrics"));
    s.put("$defs", defs);
    return s;
  }

  /** Objects of a kind, alone or in lists and dicts (per output); null for none. */
  private static Map<String, Object> structureOf(Kind kind, String self) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("description", "a " + kind.noun() + ", or a list or dict of them, or null");
    s.put("type", List.of("string", "object", "array", "null"));
    s.put(
        "if",
        Map.of(
            "anyOf",
            List.of(
                Map.of("type", "string"),
                Map.of("type", "object", "required", List.of("class_name")))));
    s.put("then", Map.of("$ref", BASE + kindSchema(kind)));
    s.put(
        "else",
        Map.of(
            "items",
            Map.of("$ref", "#/$defs/" + self),
            "additionalProperties",
            Map.of("$ref", "#/$defs/" + self)));
    return s;
  }

  /**
   * A JSON tree with a fixed key order: maps built in order keep it, others (from {@code Map.of})
   * are sorted, so that generated files do not change from one run to the next.
   */
  private static Object canonical(Object v) {
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      Iterable<? extends Map.Entry<?, ?>> entries =
          m instanceof LinkedHashMap<?, ?> ? m.entrySet() : new TreeMap<>(m).entrySet();
      for (Map.Entry<?, ?> e : entries) {
        out.put((String) e.getKey(), canonical(e.getValue()));
      }
      return out;
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      for (Object x : l) {
        out.add(canonical(x));
      }
      return out;
    }
    return v;
  }
}
