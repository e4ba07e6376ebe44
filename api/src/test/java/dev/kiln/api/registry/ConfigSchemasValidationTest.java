package dev.kiln.api.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.GoldenJson;
import dev.kiln.api.KerasTensor;
import dev.kiln.api.Kiln;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.Layers;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Dropout;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.merging.Add;
import dev.kiln.api.layers.merging.Concatenate;
import dev.kiln.api.models.Model;
import dev.kiln.api.models.Sequential;
import dev.kiln.api.optimizers.Adam;
import dev.kiln.api.regularizers.Regularizers;
import dev.kiln.schemas.ConfigError;
import dev.kiln.schemas.ConfigValidator;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Configs against the published schemas: every built-in class's config as Kiln writes it and as
 * Keras writes it (the golden configs) validates; Kiln's Sequential and Functional envelopes and
 * the Keras 3 sample files validate; broken configs fail with the JSON path of the fault.
 */
class ConfigSchemasValidationTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** Values for required arguments of the non-layer kinds, by key. */
  private static final Map<String, Object> REQUIRED =
      Map.of(
          "initial_learning_rate",
          0.1,
          "decay_steps",
          10,
          "first_decay_steps",
          10,
          "decay_rate",
          0.5,
          "boundaries",
          List.of(10),
          "values",
          List.of(1.0, 0.5),
          "fn",
          "mse",
          "inner_optimizer",
          "sgd");

  private static JsonNode tree(Object config) {
    return JSON.valueToTree(config);
  }

  private static void assertValid(String schema, Object config, String what) {
    List<ConfigError> errors = ConfigValidator.forSchema(schema).validate(tree(config));
    assertTrue(errors.isEmpty(), what + " against " + schema + ": " + errors);
  }

  private static boolean builtIn(KerasClass<?> d) {
    String n = d.type().getName();
    return n.startsWith("dev.kiln.api.") && !n.contains("Test");
  }

  // ---------------------------------------------------------------- every class

  /** The Keras 3 golden layer configs, by class name (main file and family files). */
  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Object>> keras3Goldens() throws IOException {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    Path dir;
    try {
      dir = Path.of(ConfigSchemasValidationTest.class.getResource("/golden").toURI());
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.sorted().toList()) {
        String n = f.getFileName().toString();
        if (n.startsWith("keras3-layer-configs") && n.endsWith(".json")) {
          Map<String, Object> layers =
              GoldenJson.obj(GoldenJson.resource("/golden/" + n), "layers");
          layers.forEach(
              (k, v) -> out.put(k, (Map<String, Object>) ((Map<String, Object>) v).get("config")));
        }
      }
    }
    return out;
  }

  @TestFactory
  Stream<DynamicTest> everyLayersKerasAndKilnConfigsValidate() throws IOException {
    Map<String, Map<String, Object>> goldens = keras3Goldens();
    List<DynamicTest> tests = new ArrayList<>();
    for (String name : Registry.builtInClassNames(Kind.LAYER)) {
      tests.add(
          DynamicTest.dynamicTest(
              name,
              () -> {
                Map<String, Object> keras = goldens.get(name);
                assertTrue(keras != null, "a Keras 3 golden config for " + name);
                String schema = Schemas.classSchema(Kind.LAYER, name);
                assertValid(schema, keras, "Keras 3's config of " + name);
                Layer layer = Layers.fromConfig(name, keras);
                assertValid(schema, layer.getConfig(), "Kiln's config of " + name);
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("module", "keras.layers");
                entry.put("class_name", name);
                entry.put("config", layer.getConfig());
                entry.put("registered_name", null);
                assertValid(Schemas.kindSchema(Kind.LAYER), entry, "the entry of " + name);
              }));
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> everyOtherClassesDefaultConfigValidates() {
    List<DynamicTest> tests = new ArrayList<>();
    for (Kind kind : Kind.values()) {
      if (kind == Kind.LAYER) {
        continue;
      }
      for (KerasClass<?> d : Registry.declarations(kind)) {
        if (!builtIn(d)) {
          continue; // users' classes registered by other tests
        }
        tests.add(
            DynamicTest.dynamicTest(
                kind.noun() + " " + d.className(),
                () -> {
                  Map<String, Object> sample = new LinkedHashMap<>();
                  for (Arg<?> a : d.args()) {
                    if (a.isRequired()) {
                      sample.put(a.key(), REQUIRED.get(a.key()));
                    }
                  }
                  Object obj = Registry.fromConfig(kind, d.className(), sample);
                  Object written = Registry.write(kind, obj);
                  assertValid(
                      Schemas.kindSchema(kind), written, d.className() + " as Kiln writes it");
                  if (obj instanceof KerasObject k) {
                    assertValid(
                        Schemas.classSchema(kind, d.className()),
                        k.getConfig(),
                        "the default config of " + d.className());
                  }
                  for (String alias : d.aliases()) {
                    assertValid(Schemas.kindSchema(kind), alias, "the name " + alias);
                  }
                }));
      }
    }
    return tests.stream();
  }

  // ---------------------------------------------------------------- models

  private static Map<String, Object> envelope(Model m, String module) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("module", module);
    e.put("class_name", m.className());
    e.put("config", m.getConfig());
    e.put("registered_name", m instanceof Sequential ? null : m.className());
    e.put("build_config", Map.of("input_shape", java.util.Arrays.asList(null, 4)));
    Map<String, Object> compile = new LinkedHashMap<>();
    compile.put("optimizer", Registry.write(Kind.OPTIMIZER, new Adam(0.01)));
    compile.put("loss", "mse");
    compile.put("metrics", List.of("mae"));
    compile.put("loss_weights", null);
    compile.put("run_eagerly", false);
    compile.put("steps_per_execution", 1);
    compile.put("jit_compile", false);
    e.put("compile_config", compile);
    return e;
  }

  private static Sequential sequential() {
    Kiln.clearSession();
    return new Sequential(
        Input.of(4),
        new Dense(8, "relu").kernelRegularizer(Regularizers.l2(0.01)),
        new Dropout(0.5),
        new Dense(3, "softmax"));
  }

  /** Two inputs, a shared layer, a nested model, two outputs. */
  private static Model functional() {
    Kiln.clearSession();
    KerasTensor innerIn = Input.named("inner_in", dev.kiln.spi.DType.FLOAT32, 3);
    Model inner =
        Model.of(
            List.of(innerIn),
            List.of(new Dense(3, "tanh").name("inner_dense").apply(innerIn)),
            "inner");
    KerasTensor a = Input.named("a", dev.kiln.spi.DType.FLOAT32, 4);
    KerasTensor b = Input.named("b", dev.kiln.spi.DType.FLOAT32, 4);
    Dense shared = new Dense(3, "relu");
    shared.name("shared");
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
  void kilnsSequentialAndFunctionalEnvelopesValidate() {
    assertValid(Schemas.MODEL, envelope(sequential(), "keras"), "a Sequential model");
    assertValid(
        Schemas.MODEL,
        envelope(functional(), "keras.src.models.functional"),
        "a Functional model with a nested model and a shared layer");
  }

  private static List<ConfigError> errorsOf(Object config) {
    return ConfigValidator.forModels().validate(tree(config));
  }

  private static ObjectNode sequentialTree() {
    return (ObjectNode) tree(envelope(sequential(), "keras"));
  }

  private static ObjectNode layerConfig(ObjectNode model, int i) {
    return (ObjectNode) model.get("config").get("layers").get(i).get("config");
  }

  private static void assertOneErrorAt(String path, String says, List<ConfigError> errors) {
    assertEquals(1, errors.size(), "errors: " + errors);
    assertEquals(path, errors.get(0).path(), "errors: " + errors);
    assertTrue(errors.get(0).message().contains(says), "errors: " + errors);
  }

  @Test
  void aWrongTypeIsNamedByItsPath() {
    ObjectNode m = sequentialTree();
    // Layer 0 is the InputLayer; 1 is the first Dense.
    layerConfig(m, 1).put("units", "8");
    assertOneErrorAt("$.config.layers[1].config.units", "integer", errorsOf(m));
    ObjectNode m2 = sequentialTree();
    layerConfig(m2, 3).put("units", 0);
    assertOneErrorAt("$.config.layers[3].config.units", "1", errorsOf(m2));
    ObjectNode m3 = sequentialTree();
    layerConfig(m3, 2).put("rate", 1.5);
    assertOneErrorAt("$.config.layers[2].config.rate", "1", errorsOf(m3));
  }

  @Test
  void aNumberWrittenWithAPointIsStillAnInteger() {
    ObjectNode m = sequentialTree();
    layerConfig(m, 1).put("units", 8.0);
    assertEquals(List.of(), errorsOf(m));
  }

  @Test
  void anUnknownActivationNamesTheNearestOnes() {
    ObjectNode m = sequentialTree();
    layerConfig(m, 1).put("activation", "relux");
    assertOneErrorAt("$.config.layers[1].config.activation", "nearest: relu", errorsOf(m));
  }

  @Test
  void aMissingRequiredKeyIsNamed() {
    ObjectNode m = sequentialTree();
    layerConfig(m, 1).remove("units");
    assertOneErrorAt("$.config.layers[1].config", "units", errorsOf(m));
  }

  @Test
  void anUnknownClassNamesTheNearestOnesUnlessItIsACustomClass() {
    ObjectNode m = sequentialTree();
    ((ObjectNode) m.get("config").get("layers").get(3)).put("class_name", "Dens");
    assertOneErrorAt("$.config.layers[3].class_name", "nearest: Dense", errorsOf(m));
    // Keras marks custom classes with a registered name; their configs are theirs to check.
    ((ObjectNode) m.get("config").get("layers").get(3)).put("registered_name", "my_package>Dens");
    assertEquals(List.of(), errorsOf(m));
  }

  @Test
  void aBadInitializerInsideALayerIsNamedByItsPath() {
    ObjectNode m = sequentialTree();
    ObjectNode init = (ObjectNode) layerConfig(m, 1).get("kernel_initializer");
    ((ObjectNode) init.get("config")).put("seed", "seven");
    assertOneErrorAt(
        "$.config.layers[1].config.kernel_initializer.config.seed", "integer", errorsOf(m));
    ObjectNode m2 = sequentialTree();
    layerConfig(m2, 1).put("kernel_regularizer", "l3");
    assertOneErrorAt("$.config.layers[1].config.kernel_regularizer", "l2", errorsOf(m2));
  }

  @Test
  void functionalNodesAndOptimizersAreChecked() {
    ObjectNode m = (ObjectNode) tree(envelope(functional(), "keras.src.models.functional"));
    JsonNode layers = m.get("config").get("layers");
    int shared = -1;
    for (int i = 0; i < layers.size(); i++) {
      if (layers.get(i).get("name").asString().equals("shared")) {
        shared = i;
      }
    }
    ObjectNode tensor =
        (ObjectNode) layers.get(shared).get("inbound_nodes").get(1).get("args").get(0);
    ((tools.jackson.databind.node.ArrayNode) tensor.get("config").get("keras_history")).set(1, "0");
    assertOneErrorAt(
        "$.config.layers[" + shared + "].inbound_nodes[1].args[0].config.keras_history[1]",
        "integer",
        errorsOf(m));

    ObjectNode m2 = (ObjectNode) tree(envelope(functional(), "keras.src.models.functional"));
    ((ObjectNode) m2.get("compile_config").get("optimizer").get("config")).put("learning_rate", -1);
    List<ConfigError> errors = errorsOf(m2);
    assertTrue(!errors.isEmpty(), "a negative learning rate passed");
    assertTrue(
        errors.stream()
            .allMatch(e -> e.path().equals("$.compile_config.optimizer.config.learning_rate")),
        "errors: " + errors);
  }

  // ---------------------------------------------------------------- Keras's own files

  /**
   * The Keras 3 samples whose top level is a model envelope: KerasHub's preset configs and the
   * config.json of a .keras archive (metadata.json is not a config).
   */
  @Test
  void kerasThreeSampleFilesValidate() throws IOException {
    String dir = "/keras-config-samples/keras3/";
    for (String f : List.of("keras-hub_esm2_t6_8M_config.json", "keras-hub_esm2_t6_8M_task.json")) {
      try (InputStream in = getClass().getResourceAsStream(dir + f)) {
        assertTrue(in != null, "missing test resource " + dir + f);
        List<ConfigError> errors = ConfigValidator.forModels().validate(JSON.readTree(in));
        assertEquals(List.of(), errors, f);
      }
    }
    Path archive;
    try {
      archive =
          Path.of(
              getClass()
                  .getResource(dir + "keras-test_pre_pr22362_nested_container.keras")
                  .toURI());
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
    try (ZipFile zip = new ZipFile(archive.toFile());
        InputStream in = zip.getInputStream(zip.getEntry("config.json"))) {
      List<ConfigError> errors = ConfigValidator.forModels().validate(JSON.readTree(in));
      assertEquals(List.of(), errors, archive.getFileName() + "!config.json");
    }
  }

  /**
   * Every Keras 2 and TF.js sample Kiln accepts validates once normalized into Keras 3's form, and
   * so does what {@code toJson()} writes for Kiln's own models.
   */
  @Test
  void normalizedKerasTwoAndTfjsSamplesAndToJsonValidate() throws IOException {
    String root = "/keras-config-samples/";
    List<String> files = new java.util.ArrayList<>();
    for (String f :
        List.of(
            "dl4j_bidirectional_lstm_tf_keras_2_config.json",
            "dl4j_model_2_2_2.json",
            "dl4j_model_2_2_4.json",
            "dl4j_model_concat_embedding_sequences_tf_keras_2.json",
            "dl4j_simple_add_tf_keras_2.json",
            "dl4j_simple_rnn_tf_keras_2_config.json",
            "kotlindl_batchnorm_modelConfig.json",
            "kotlindl_imagenet_inception.json",
            "kotlindl_imagenet_mobilenet.json",
            "kotlindl_lstm_model.json",
            "kotlindl_toyresnet_modelConfig.json")) {
      files.add("keras2-json/" + f);
    }
    for (String f :
        List.of(
            "ml5_cvae_quickdraw/model.json",
            "ml5_dcgan_geo/model.json",
            "ml5_imageclassification/image-model.json",
            "ml5_pitchdetection_crepe/model.json",
            "tfjs-examples_abalone/model.json",
            "tfjs_e2e_layers_model/model.json",
            "tfjs_rn_bundle_model/bundle_model_test.json")) {
      files.add("tfjs-layers/" + f);
    }
    for (String f : files) {
      try (InputStream in = getClass().getResourceAsStream(root + f)) {
        assertTrue(in != null, "missing test resource " + root + f);
        Object parsed = JSON.readValue(in, Object.class);
        Map<String, Object> keras3 = dev.kiln.api.models.Models.toKeras3(parsed);
        assertEquals(List.of(), ConfigValidator.forModels().validate(tree(keras3)), f);
      }
    }
    for (Model m : List.of(sequential(), functional())) {
      assertEquals(
          List.of(),
          ConfigValidator.forModels().validate(JSON.readTree(m.toJson())),
          m.className() + ".toJson()");
    }
  }
}
