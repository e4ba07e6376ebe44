package dev.kiln.api.saving.configs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KilnException;
import dev.kiln.api.models.Model;
import dev.kiln.api.models.Models;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every JSON config among the real Keras and TF.js samples (copied from ../shared, provenance in
 * SOURCES.md) loads with the parameter count that an independent source gives: TF.js 4.22 building
 * the same topology, and the shapes in the weights manifest where a TF.js file has one
 * (golden-config-params.json, made by src/test/golden/make_golden_configs.js). Keras 1 files are
 * refused as Keras 1; Keras 3 files of classes Kiln lacks fail naming the class.
 */
class ConfigSamplesTest {
  private static final String ROOT = "/keras-config-samples/";

  @SuppressWarnings("unchecked")
  private static Map<String, Object> golden(String sample) {
    Map<String, Object> g =
        (Map<String, Object>)
            JsonText.parse(resource("golden-config-params.json"), "golden-config-params.json");
    Map<String, Object> entry =
        (Map<String, Object>) ((Map<String, Object>) g.get("samples")).get(sample);
    if (entry == null) {
      throw new AssertionError("no golden entry for " + sample);
    }
    return entry;
  }

  static String resource(String name) {
    try (InputStream in = ConfigSamplesTest.class.getResourceAsStream(ROOT + name)) {
      if (in == null) {
        throw new AssertionError("missing test resource " + ROOT + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  static Path path(String name) {
    try {
      return Path.of(ConfigSamplesTest.class.getResource(ROOT + name).toURI());
    } catch (URISyntaxException e) {
      throw new AssertionError(e);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "keras2-json/dl4j_bidirectional_lstm_tf_keras_2_config.json",
        "keras2-json/dl4j_model_2_2_2.json",
        "keras2-json/dl4j_model_2_2_4.json",
        "keras2-json/dl4j_simple_add_tf_keras_2.json",
        "keras2-json/dl4j_simple_rnn_tf_keras_2_config.json",
        "keras2-json/kotlindl_batchnorm_modelConfig.json",
        "keras2-json/kotlindl_imagenet_inception.json",
        "keras2-json/kotlindl_imagenet_mobilenet.json",
        "keras2-json/kotlindl_lstm_model.json",
        "keras2-json/kotlindl_toyresnet_modelConfig.json",
        "tfjs-layers/ml5_cvae_quickdraw/model.json",
        "tfjs-layers/ml5_dcgan_geo/model.json",
        "tfjs-layers/ml5_imageclassification/image-model.json",
        "tfjs-layers/ml5_pitchdetection_crepe/model.json",
        "tfjs-layers/tfjs-examples_abalone/model.json",
        "tfjs-layers/tfjs_e2e_layers_model/model.json",
        "tfjs-layers/tfjs_rn_bundle_model/bundle_model_test.json"
      })
  void loadsWithTheParameterCountTfjsGives(String sample) {
    Map<String, Object> g = golden(sample);
    long expected = ((Number) g.get("tfjs_params")).longValue();
    if (g.containsKey("manifest_params")) {
      // The stored weights agree with TF.js's own build of the topology.
      assertEquals(expected, ((Number) g.get("manifest_params")).longValue(), sample);
    }
    try (Model m = Models.fromJson(path(sample))) {
      assertEquals(expected, m.countParams(), sample);
      // Kiln's Keras 3 form of the sample is a fixed point: read back, it writes itself again.
      String json = m.toJson();
      try (Model again = Models.fromJson(json)) {
        assertEquals(json, again.toJson(), sample);
        assertEquals(expected, again.countParams(), sample);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"keras2-json/dl4j_model_concat_embedding_sequences_tf_keras_2.json"})
  void loadsTheTwoInputEmbeddingModelTfjsRefuses(String sample) {
    // TF.js refuses to concatenate [null, 10, 10] with [null, null, 6] (see the golden file);
    // Keras accepts the unknown length. The count by hand: Embedding 4014 * 10 = 40140; each LSTM
    // direction 4 * (16 * 100 + 100 * 100 + 100) = 46800, two of them 93600; Dense 200 * 14 + 14
    // = 2814; total 136554.
    assertTrue(golden(sample).containsKey("tfjs_error"));
    try (Model m = Models.fromJson(path(sample))) {
      assertEquals(136554, m.countParams());
      assertEquals(2, m.inputs().size());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"tfjs-layers/ml5_pitchdetection_crepe/model.json"})
  void aTrainingConfigCompilesTheModel(String sample) {
    // The converter kept Keras 2's training_config: Adam with the old `lr` key, binary
    // cross-entropy, no metrics.
    try (Model m = Models.fromJson(path(sample))) {
      assertEquals("Adam", m.optimizer().className());
      assertEquals(
          0.0010000000474974513,
          ((Number) m.optimizer().getConfig().get("learning_rate")).doubleValue(),
          1e-15);
      assertEquals(
          0.8999999761581421, ((Number) m.optimizer().getConfig().get("beta_1")).doubleValue());
      String json = m.toJson();
      assertTrue(
          json.contains("\"compile_config\":{\"optimizer\":{\"module\":\"keras.optimizers\""),
          json);
      assertTrue(json.contains("\"class_name\":\"BinaryCrossentropy\""), json);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "keras1-json/dl4j_keras1_imdb_lstm_tf_keras_1_config.json",
        "keras1-json/dl4j_keras1_mlp_fapi_config.json"
      })
  void refusesKeras1(String sample) {
    KilnException e = assertThrows(KilnException.class, () -> Models.fromJson(path(sample)));
    assertTrue(e.getMessage().contains("Keras 1 config"), e.getMessage());
    assertTrue(e.getMessage().contains(path(sample).toString()), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "keras3/keras-hub_esm2_t6_8M_config.json:ESMBackbone",
        "keras3/keras-hub_esm2_t6_8M_task.json:ESMMaskedPLM"
      })
  void keras3ClassesKilnLacksAreNamed(String sampleAndClass) {
    String sample = sampleAndClass.split(":")[0];
    String cls = sampleAndClass.split(":")[1];
    String m = assertThrows(KilnException.class, () -> Models.fromJson(path(sample))).getMessage();
    assertTrue(m.contains("$: unknown layer class '" + cls + "'"), m);
    assertTrue(m.contains("registered_name 'keras_hub>" + cls + "'"), m);
    assertTrue(m.contains("nearest known: "), m);
  }

  @ParameterizedTest
  @ValueSource(strings = {"keras3/keras-hub_esm2_t6_8M_metadata.json"})
  void metadataIsNoModelConfig(String sample) {
    String m = assertThrows(KilnException.class, () -> Models.fromJson(path(sample))).getMessage();
    assertTrue(m.contains("not a Keras model config"), m);
    assertTrue(m.contains("keras_version"), m);
  }

  @ParameterizedTest
  @ValueSource(strings = {"keras3/keras-test_pre_pr22362_nested_container.keras"})
  void theConfigInsideAKerasArchiveIsReadAsKeras3(String sample) throws IOException {
    String config = null;
    try (ZipInputStream zip =
        new ZipInputStream(ConfigSamplesTest.class.getResourceAsStream(ROOT + sample))) {
      for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
        if (e.getName().equals("config.json")) {
          config = new String(zip.readAllBytes(), StandardCharsets.UTF_8);
        }
      }
    }
    assertEquals(KerasConfigs.Dialect.KERAS_3, KerasConfigs.dialect(JsonText.parse(config, "c")));
    String json = config;
    String m = assertThrows(KilnException.class, () -> Models.fromJson(json)).getMessage();
    // A subclassed Python model: only a registered Java class of that name could rebuild it.
    assertTrue(
        m.contains("unknown layer class 'NestedDenseModel'")
            && m.contains("legacy_nested_container>NestedDenseModel")
            && m.contains("Models.register"),
        m);
  }
}
