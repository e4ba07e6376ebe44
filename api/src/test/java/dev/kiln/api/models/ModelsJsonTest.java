package dev.kiln.api.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Dropout;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.merging.Add;
import dev.kiln.api.layers.merging.Concatenate;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.optimizers.Adam;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.saving.configs.JsonText;
import dev.kiln.spi.DType;
import dev.kiln.spi.ir.Value;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kiln models to Keras 3 JSON and back; Keras 2 and TF.js dialects; refused configs. */
class ModelsJsonTest {
  @SuppressWarnings("unchecked")
  private static Map<String, Object> parse(String json) {
    return (Map<String, Object>) JsonText.parse(json, "test");
  }

  @SuppressWarnings("unchecked")
  private static <T> T get(Object tree, Object... keys) {
    Object v = tree;
    for (Object k : keys) {
      v = k instanceof Integer i ? ((List<Object>) v).get(i) : ((Map<String, Object>) v).get(k);
    }
    return (T) v;
  }

  private static String refused(String json) {
    return assertThrows(KilnException.class, () -> Models.fromJson(json)).getMessage();
  }

  // ---------------------------------------------------------------- round trips

  @Test
  void sequentialRoundTripKeepsConfigAndCompileState() {
    Kiln.clearSession();
    Sequential s =
        new Sequential(
            Input.of(4), new Dense(8, "relu"), new Dropout(0.25), new Dense(3, "softmax"));
    s.compile(new Adam(0.005), Losses.get("sparse_categorical_crossentropy"), "accuracy");
    String json = s.toJson();
    Map<String, Object> env = parse(json);
    assertEquals("keras", env.get("module"));
    assertEquals("Sequential", env.get("class_name"));
    assertTrue(env.containsKey("registered_name") && env.get("registered_name") == null);
    assertEquals(
        new ArrayList<>(java.util.Arrays.asList(null, 4)), get(env, "build_config", "input_shape"));
    assertEquals("Adam", get(env, "compile_config", "optimizer", "class_name"));
    assertEquals("keras.optimizers", get(env, "compile_config", "optimizer", "module"));
    assertEquals(
        0.005,
        ((Number) get(env, "compile_config", "optimizer", "config", "learning_rate")).doubleValue(),
        1e-12);
    assertEquals("SparseCategoricalCrossentropy", get(env, "compile_config", "loss", "class_name"));
    assertEquals(1, ((List<?>) get(env, "compile_config", "metrics")).size());
    try (Model back = Models.fromJson(json)) {
      assertInstanceOf(Sequential.class, back);
      assertEquals(json, back.toJson());
      assertInstanceOf(Adam.class, back.optimizer());
      assertEquals(s.countParams(), back.countParams());
    }
  }

  @Test
  void uncompiledModelsWriteAnEmptyCompileConfig() {
    Kiln.clearSession();
    Sequential s = new Sequential(Input.of(2), new Dense(1));
    Map<String, Object> env = parse(s.toJson(true));
    assertEquals(Map.of(), env.get("compile_config"));
    assertNull(Models.fromJson(s.toJson()).optimizer());
  }

  /** Two inputs, one layer shared by both, a nested Functional model, two outputs. */
  private static Model twoTowers() {
    KerasTensor innerIn = Input.named("inner_in", DType.FLOAT32, 3);
    Model inner =
        Model.of(
            List.of(innerIn),
            List.of(new Dense(3, "tanh").name("inner_dense").apply(innerIn)),
            "inner");
    KerasTensor a = Input.named("a", DType.FLOAT32, 4);
    KerasTensor b = Input.named("b", DType.FLOAT32, 4);
    Dense shared = (Dense) new Dense(3, "relu").name("shared");
    KerasTensor ha = shared.apply(a);
    KerasTensor hb = shared.apply(b);
    KerasTensor sum = new Add().name("sum").applyAll(List.of(ha, hb)).get(0);
    KerasTensor nested = inner.apply(sum);
    KerasTensor cat = new Concatenate().name("cat").applyAll(List.of(nested, hb)).get(0);
    KerasTensor out1 = new Dense(2).name("out1").apply(cat);
    KerasTensor out2 = new Dense(1, "sigmoid").name("out2").apply(nested);
    return Model.of(List.of(a, b), List.of(out1, out2), "two_towers");
  }

  @Test
  void functionalWithSharedLayerNestedModelAndTwoOutputsRoundTrips() {
    Kiln.clearSession();
    Model m = twoTowers();
    m.compile(
        new Adam(0.01),
        Map.of("out1", "mse", "out2", "binary_crossentropy"),
        Map.of("out1", 1.0, "out2", 0.5),
        Map.of("out2", List.of("accuracy")));
    String json = m.toJson();
    Map<String, Object> env = parse(json);
    assertEquals("Functional", env.get("class_name"));
    assertEquals("keras.src.models.functional", env.get("module"));
    assertEquals("Functional", env.get("registered_name"));
    List<Map<String, Object>> layers = get(env, "config", "layers");
    Map<String, Object> out2 =
        layers.stream().filter(l -> l.get("name").equals("out2")).findFirst().orElseThrow();
    // As Keras: a nested Functional model's first call in the outer model is node 1.
    assertEquals(
        List.of("inner", 1, 0),
        get(out2, "inbound_nodes", 0, "args", 0, "config", "keras_history"));
    assertEquals(0.5, ((Number) get(env, "compile_config", "loss_weights", "out2")).doubleValue());
    try (Model back = Models.fromJson(json)) {
      assertEquals(json, back.toJson());
      assertEquals(2, back.inputs().size());
      assertEquals(2, back.outputs().size());
      assertEquals(m.countParams(), back.countParams());
      // The shared layer is one layer with two calls, as in the original.
      assertEquals(2, back.getLayer("shared").calls().size());
    }
  }

  @Test
  void nestedSequentialAndFunctionalRoundTrip() {
    Kiln.clearSession();
    Sequential block = new Sequential(Input.of(5), new Dense(4, "relu"), new Dense(4));
    block.name("block");
    KerasTensor x = Input.named("x", DType.FLOAT32, 5);
    KerasTensor y = new Dense(2).name("head").apply(block.apply(x));
    Model f = Model.of(List.of(x), List.of(y), "f");
    Sequential outer = new Sequential(Input.of(5), f, new Dense(1));
    String json = outer.toJson();
    try (Model back = Models.fromJson(json)) {
      assertEquals(json, back.toJson());
      assertEquals(outer.countParams(), back.countParams());
    }
    // A nested Sequential is no Functional in Keras 3: its nodes count from 0.
    Map<String, Object> head =
        ((List<Map<String, Object>>) get(parse(f.toJson()), "config", "layers"))
            .stream().filter(l -> "head".equals(l.get("name"))).findFirst().orElseThrow();
    assertEquals(
        List.of("block", 0, 0),
        get(head, "inbound_nodes", 0, "args", 0, "config", "keras_history"));
  }

  // ---------------------------------------------------------------- Keras 2 and TF.js

  private static final String KERAS2_FUNCTIONAL =
      """
      {"class_name": "Model", "keras_version": "2.2.4-tf", "backend": "tensorflow",
       "config": {"name": "k2",
        "layers": [
         {"class_name": "InputLayer", "name": "in",
          "config": {"batch_input_shape": [null, 3], "dtype": "float32", "sparse": false,
                     "name": "in"}, "inbound_nodes": []},
         {"class_name": "Model", "name": "sub",
          "config": {"name": "sub", "layers": [
            {"class_name": "InputLayer", "name": "sub_in",
             "config": {"batch_input_shape": [null, 3], "dtype": "float32", "name": "sub_in"},
             "inbound_nodes": []},
            {"class_name": "Dense", "name": "sub_d",
             "config": {"name": "sub_d", "units": 3, "activation": "relu", "use_bias": true,
                        "kernel_initializer": {"class_name": "VarianceScaling",
                          "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "normal",
                                     "seed": null, "dtype": "float32"}},
                        "bias_initializer": {"class_name": "Zeros", "config": {}},
                        "kernel_regularizer": null, "activity_regularizer": null,
                        "dtype": {"class_name": "Policy", "config": {"name": "float32"}}},
             "inbound_nodes": [[["sub_in", 0, 0, {}]]]}],
           "input_layers": [["sub_in", 0, 0]], "output_layers": [["sub_d", 0, 0]]},
          "inbound_nodes": [[["in", 0, 0, {}]]]},
         {"class_name": "Dense", "name": "shared",
          "config": {"name": "shared", "units": 3, "kernel_initializer":
                     {"class_name": "GlorotUniform", "config": {"seed": null}}},
          "inbound_nodes": [[["in", 0, 0, {}]], [["sub", 1, 0, {}]]]},
         {"class_name": "Add", "name": "add", "config": {"name": "add"},
          "inbound_nodes": [[["shared", 0, 0, {}], ["shared", 1, 0, {}]]]}],
        "input_layers": [["in", 0, 0]], "output_layers": [["add", 0, 0]]}}
      """;

  @Test
  void readsKeras2FunctionalNodesPoliciesAndInitializers() {
    Map<String, Object> k3 = Models.toKeras3(JsonText.parse(KERAS2_FUNCTIONAL, "k2"));
    assertEquals("Functional", k3.get("class_name"));
    assertEquals(
        java.util.Arrays.asList(null, 3), get(k3, "config", "layers", 0, "config", "batch_shape"));
    Map<String, Object> subDense = get(k3, "config", "layers", 1, "config", "layers", 1, "config");
    assertEquals("truncated_normal", get(subDense, "kernel_initializer", "config", "distribution"));
    assertNull(get(subDense, "kernel_initializer", "config", "dtype"));
    assertEquals("DTypePolicy", get(subDense, "dtype", "class_name"));
    assertEquals("keras.initializers", get(subDense, "kernel_initializer", "module"));
    // The shared layer's second call takes the nested model's first call: node 1, kept as Keras 3.
    assertEquals(
        List.of("sub", 1L, 0L),
        get(k3, "config", "layers", 2, "inbound_nodes", 1, "args", 0, "config", "keras_history"));
    List<?> addArgs = get(k3, "config", "layers", 3, "inbound_nodes", 0, "args");
    assertEquals(1, addArgs.size());
    assertEquals(2, ((List<?>) addArgs.get(0)).size());
    try (Model m = Models.fromJson(KERAS2_FUNCTIONAL)) {
      // sub: 3*3+3; shared: 3*3+3.
      assertEquals(24, m.countParams());
      assertEquals(2, m.getLayer("shared").calls().size());
    }
  }

  @Test
  void keras2CountsANestedSequentialsNodesFromOne() {
    // tf.keras skips the node a Sequential with an input made when it was built; Keras 3 does not
    // count it, so node 1 here is Keras 3's node 0.
    String json =
        """
        {"class_name": "Functional", "keras_version": "2.4.0", "config": {"name": "f",
          "layers": [
           {"class_name": "InputLayer", "name": "x",
            "config": {"batch_input_shape": [null, 3], "name": "x"}, "inbound_nodes": []},
           {"class_name": "Sequential", "name": "seq", "config": {"name": "seq", "layers": [
              {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 3],
                                                      "name": "seq_in"}},
              {"class_name": "Dense", "config": {"name": "seq_d", "units": 2}}]},
            "inbound_nodes": [[["x", 0, 0, {}]]]},
           {"class_name": "Dense", "name": "head", "config": {"name": "head", "units": 1},
            "inbound_nodes": [[["seq", 1, 0, {}]]]}],
          "input_layers": [["x", 0, 0]], "output_layers": [["head", 0, 0]]}}
        """;
    Map<String, Object> k3 = Models.toKeras3(JsonText.parse(json, "k2"));
    assertEquals(
        List.of("seq", 0L, 0L),
        get(k3, "config", "layers", 2, "inbound_nodes", 0, "args", 0, "config", "keras_history"));
    try (Model m = Models.fromJson(json)) {
      assertEquals(3 * 2 + 2 + 2 + 1, m.countParams());
    }
  }

  @Test
  void readsTheListFormOfSequentialAndTfjsTopologies() {
    String list =
        """
        {"class_name": "Sequential", "keras_version": "2.2.2", "config": [
          {"class_name": "Dense", "config": {"name": "d1", "units": 4,
            "batch_input_shape": [null, 2], "dtype": "float32"}},
          {"class_name": "Dense", "config": {"name": "d2", "units": 1, "batch_size": null,
            "weights": null, "autocast": true, "dynamic": false}}]}
        """;
    try (Model m = Models.fromJson(list)) {
      assertEquals(2 * 4 + 4 + 4 + 1, m.countParams());
    }
    Map<String, Object> leaky =
        Models.toKeras3(
            JsonText.parse(
                list.replace(
                    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d2\"",
                    "{\"class_name\": \"LeakyReLU\", \"config\": {\"alpha\": 0.1}},"
                        + " {\"class_name\": \"Dense\", \"config\": {\"name\": \"d2\""),
                "t"));
    assertEquals(Map.of("negative_slope", 0.1), get(leaky, "config", "layers", 1, "config"));
    // tfjs-layers may write camelCase keys; TF.js writes unset arguments as null.
    String tfjs =
        """
        {"format": "layers-model", "modelTopology": {"class_name": "Sequential",
          "keras_version": "tfjs-layers 1.0.0", "backend": "tensor_flow.js",
          "config": {"name": "s", "layers": [
            {"class_name": "GRU", "config": {"name": "g", "units": 2, "batchInputShape": [null, 5, 3],
              "implementation": null, "dtype": "float32"}}]}},
         "weightsManifest": []}
        """;
    try (Model m = Models.fromJson(tfjs)) {
      // TF.js's GRU has one bias per gate (reset_after false): 3 * (3*2 + 2*2 + 2).
      assertEquals(36, m.countParams());
    }
  }

  @Test
  void compileConfigsOfTfjsAndKeras3Compile() {
    String tfjs =
        """
        {"modelTopology": {"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "Dense", "config": {"name": "d", "units": 1,
                                               "batch_input_shape": [null, 2]}}]}},
         "trainingConfig": {"loss": "meanSquaredError", "metrics": ["mae"],
           "optimizer_config": {"class_name": "RMSProp",
             "config": {"learningRate": 0.02, "decay": 0.8, "momentum": 0, "epsilon": 1e-7,
                        "centered": false}}}}
        """;
    try (Model m = Models.fromJson(tfjs)) {
      assertEquals("RMSprop", m.optimizer().className());
      assertEquals(0.8, ((Number) m.optimizer().getConfig().get("rho")).doubleValue());
      assertEquals(
          0.02, ((Number) m.optimizer().getConfig().get("learning_rate")).doubleValue(), 1e-9);
    }
    // Keras 3 writes a loss given as a function by its name.
    String k3 =
        """
        {"module": "keras", "class_name": "Sequential", "registered_name": null,
         "config": {"name": "s", "layers": [
           {"module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": [null, 2], "dtype": "float32", "name": "in"}},
           {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "units": 1}}]},
         "compile_config": {"optimizer": "sgd",
           "loss": {"module": "builtins", "class_name": "function", "config": "mean_squared_error",
                    "registered_name": "function"},
           "loss_weights": null, "metrics": null}}
        """;
    try (Model m = Models.fromJson(k3)) {
      assertEquals("SGD", m.optimizer().className());
    }
    String bad =
        refused(
            k3.replace("\"loss_weights\": null", "\"loss_weights\": [\"heavy\"]")
                .replace("\"loss\": {", "\"loss\": [{")
                .replace(
                    "\"registered_name\": \"function\"}", "\"registered_name\": \"function\"}]"));
    assertTrue(bad.contains("$.compile_config: `loss_weights` must hold numbers, got heavy"), bad);
  }

  // ---------------------------------------------------------------- users' classes

  /** A user's layer with one declared argument. */
  public static final class JsonTestScale extends Layer {
    static final Arg<Double> FACTOR = Arg.positive("factor", 2.0);
    static final KerasClass<JsonTestScale> KERAS =
        KerasClass.of(
            Kind.LAYER, "JsonTestScale", JsonTestScale.class, a -> new JsonTestScale(), FACTOR);

    @Override
    protected Value call(Ops ops, Value x) {
      return ops.mul(x, args().get(FACTOR));
    }
  }

  @Test
  void registeredUserClassesLoad() {
    Models.register(JsonTestScale.KERAS);
    String json =
        """
        {"module": "keras", "class_name": "Sequential", "registered_name": null,
         "config": {"name": "s", "layers": [
           {"module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": [null, 2], "dtype": "float32", "name": "in"}},
           {"module": "my.layers", "class_name": "JsonTestScale", "registered_name": "my>JsonTestScale",
            "config": {"name": "scale", "factor": 3.0}}]}}
        """;
    try (Model m = Models.fromJson(json)) {
      assertEquals(3.0, m.layers().get(0).getConfig().get("factor"));
      try (Model back = Models.fromJson(m.toJson())) {
        assertEquals(m.toJson(), back.toJson());
      }
    }
  }

  // ---------------------------------------------------------------- refused configs

  private static String sequentialOf(String... layers) {
    return "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": ["
        + String.join(",", layers)
        + "]}}";
  }

  private static final String INPUT =
      "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4]}}";
  private static final String DENSE = "{\"class_name\": \"Dense\", \"config\": {\"units\": 2}}";

  @Test
  void unknownClassNamesItsPathAndTheNearestNames() {
    String m =
        refused(
            sequentialOf(
                INPUT, DENSE, DENSE, "{\"class_name\": \"Dnse\", \"config\": {\"units\": 2}}"));
    assertTrue(m.startsWith("<string>: $.config.layers[3]: unknown layer class 'Dnse'"), m);
    assertTrue(m.contains("nearest known: Dense"), m);
    String init =
        refused(
            sequentialOf(
                INPUT,
                "{\"class_name\": \"Dense\", \"config\": {\"units\": 2, \"kernel_initializer\":"
                    + " {\"class_name\": \"GlorotUnifrom\", \"config\": {}}}}"));
    assertTrue(
        init.contains(
            "$.config.layers[1].config.kernel_initializer: unknown initializer class"
                + " 'GlorotUnifrom'; nearest known: GlorotUniform"),
        init);
  }

  @Test
  void lambdaIsRefusedBecauseItIsPythonCode() {
    String m =
        refused(
            sequentialOf(
                INPUT,
                "{\"class_name\": \"Lambda\", \"config\": {\"name\": \"l\", \"function\":"
                    + " [\"4wEAAAAA\", null, null]}}"));
    assertTrue(m.contains("$.config.layers[1]: layer 'l' is a Lambda layer"), m);
    assertTrue(m.contains("Python code") && m.contains("cannot run in Java"), m);
  }

  @Test
  void keras1IsRefusedByItsArguments() {
    String m =
        refused(
            sequentialOf(
                "{\"class_name\": \"Dense\", \"config\": {\"output_dim\": 3, \"init\":"
                    + " \"glorot_uniform\", \"batch_input_shape\": [null, 4]}}"));
    assertTrue(m.contains("$.config.layers[0].config: this is a Keras 1 config"), m);
    assertTrue(
        refused(sequentialOf(INPUT, "{\"class_name\": \"Merge\", \"config\": {}}"))
            .contains("Keras 1"));
  }

  @Test
  void deepNestingIsRefusedWithoutAStackOverflow() {
    String deep = "[".repeat(100_000) + "]".repeat(100_000);
    String m = refused(deep);
    assertTrue(m.contains("malformed JSON") && m.contains("nested more than 1000"), m);
    // A map built in Java can be as deep (or cyclic).
    Map<String, Object> map = new LinkedHashMap<>();
    Map<String, Object> cur = map;
    for (int i = 0; i < 5000; i++) {
      Map<String, Object> next = new LinkedHashMap<>();
      cur.put("config", next);
      cur = next;
    }
    String m2 = assertThrows(KilnException.class, () -> Models.fromConfig(map)).getMessage();
    assertTrue(m2.contains("nested more than 1000 levels"), m2);
    // Models inside models, 100 levels: within JSON's limit, past the models' one.
    String models = DENSE;
    for (int i = 0; i < 100; i++) {
      models = sequentialOf(models);
    }
    String m3 = refused(models);
    assertTrue(m3.contains("nested more than 64 levels deep"), m3);
  }

  @Test
  void malformedJsonNamesLineAndColumn(@TempDir Path dir) throws IOException {
    String m = refused("{\"class_name\": \"Sequential\",\n \"config\": {\"layers\": [}\n}");
    assertTrue(m.startsWith("<string>: malformed JSON at line 2, column"), m);
    Path f = dir.resolve("broken.json");
    Files.writeString(f, "{\"class_name\": \"Sequential\", \"config\": ");
    String fm = assertThrows(KilnException.class, () -> Models.fromJson(f)).getMessage();
    assertTrue(fm.startsWith(f + ": malformed JSON at line 1"), fm);
    String missing =
        assertThrows(KilnException.class, () -> Models.fromJson(dir.resolve("none.json")))
            .getMessage();
    assertTrue(missing.contains("none.json: no such file"), missing);
    assertTrue(
        refused("{\"a\": 1} {\"b\": 2}")
            .contains("malformed JSON at line 1, column 10: more text after the end"));
    assertTrue(refused("{\"a\": 1, \"a\": 2}").contains("Duplicate Object property \"a\""));
  }

  @Test
  void wrongTypesNameTheirPath() {
    assertTrue(
        refused("{\"class_name\": \"Sequential\", \"config\": {\"layers\": \"dense\"}}")
            .contains("$.config.layers: must be a JSON array, got the string \"dense\""));
    assertTrue(
        refused(sequentialOf(INPUT, "{\"class_name\": 7, \"config\": {}}"))
            .contains("$.config.layers[1].class_name: must be a class name (a string), got 7"));
    assertTrue(refused("[1, 2]").contains("$: a model config must be a JSON object, got an array"));
    String units =
        refused(
            sequentialOf(INPUT, "{\"class_name\": \"Dense\", \"config\": {\"units\": \"two\"}}"));
    assertTrue(units.contains("layers[1] (Dense)") && units.contains("`units`"), units);
    String node =
        refused(
            "{\"class_name\": \"Functional\", \"config\": {\"layers\": [{\"class_name\":"
                + " \"Dense\", \"name\": \"d\", \"config\": {\"units\": 1}, \"inbound_nodes\":"
                + " [[[\"x\", \"zero\", 0, {}]]]}], \"input_layers\": [], \"output_layers\": []}}");
    assertTrue(
        node.contains(
            "$.config.layers[0].inbound_nodes[0][0]: a tensor reference must be [layer name, node"
                + " index, tensor index]"),
        node);
    assertNotNull(refused("{\"modelTopology\": 3}"));
  }
}
