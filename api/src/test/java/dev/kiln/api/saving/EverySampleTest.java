package dev.kiln.api.saving;

import static dev.kiln.api.saving.FilesTestSupport.assertHas;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.api.GoldenJson;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.models.Model;
import dev.kiln.api.models.Models;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every file among the real Keras and TF.js samples (copied from ../shared/keras-config-samples,
 * provenance in its SOURCES.md) loads the way Keras would take it, or is refused with the message
 * Keras's own reader would lead to. Parameter counts are checked against an independent source: the
 * shapes h5py reads from the stored weights (golden/h5-values.json), the TF.js weights manifest, or
 * TF.js 4.22 building the same topology (golden-config-params.json). Whole-model files are loaded
 * with their weights, and each stored weight must be found in its layer.
 *
 * <p>The test walks the folder, so a sample added without an expectation here fails it.
 */
class EverySampleTest {
  private static final String ROOT = "/keras-config-samples/";

  /** How each sample must load. */
  private enum Expect {
    /** A config: Models.fromJson, parameter count as TF.js 4.22 builds it. */
    CONFIG_TFJS_COUNT,
    /** A config TF.js cannot build: Models.fromJson, counted by hand (in the test). */
    CONFIG_HAND_COUNT,
    /** A Keras 1 config: refused as Keras 1. */
    KERAS1,
    /** A Keras 3 config of a KerasHub class: refused, the class named. */
    UNKNOWN_CLASS,
    /** Not a model config at all. */
    NOT_A_MODEL,
    /** A Keras 2 full-model HDF5 file: loaded with its weights. */
    KERAS2_H5,
    /** A .keras archive of a subclassed Python model: refused, the class named. */
    KERAS_ARCHIVE_SUBCLASS,
    /** A TF.js model.json with its weight shards: loaded with its weights. */
    TFJS_WEIGHTED,
    /** A TF.js model.json whose shards were not copied: config loads, full load names the shard. */
    TFJS_NO_SHARDS,
    /** A weight shard, read with its model.json. */
    SHARD,
    /** Documentation and golden files of the folder itself. */
    NOT_A_SAMPLE
  }

  private static final Map<String, Expect> EXPECT = new LinkedHashMap<>();

  static {
    EXPECT.put("SOURCES.md", Expect.NOT_A_SAMPLE);
    EXPECT.put("golden-config-params.json", Expect.NOT_A_SAMPLE);
    EXPECT.put("keras1-json/dl4j_keras1_imdb_lstm_tf_keras_1_config.json", Expect.KERAS1);
    EXPECT.put("keras1-json/dl4j_keras1_mlp_fapi_config.json", Expect.KERAS1);
    for (String s :
        List.of(
            "dl4j_bidirectional_lstm_tf_keras_2_config.json",
            "dl4j_model_2_2_2.json",
            "dl4j_model_2_2_4.json",
            "dl4j_simple_add_tf_keras_2.json",
            "dl4j_simple_rnn_tf_keras_2_config.json",
            "kotlindl_batchnorm_modelConfig.json",
            "kotlindl_imagenet_inception.json",
            "kotlindl_imagenet_mobilenet.json",
            "kotlindl_lstm_model.json",
            "kotlindl_toyresnet_modelConfig.json")) {
      EXPECT.put("keras2-json/" + s, Expect.CONFIG_TFJS_COUNT);
    }
    EXPECT.put(
        "keras2-json/dl4j_model_concat_embedding_sequences_tf_keras_2.json",
        Expect.CONFIG_HAND_COUNT);
    for (String s :
        List.of(
            "dl4j_examples_lstm_functional_tf_keras_2.h5",
            "dl4j_tfkeras_batchNormError.h5",
            "dl4j_tfkeras_cnn2d_40.h5",
            "dl4j_tfkeras_rnn_101.h5",
            "dl4j_weights_bidirectional_lstm_tensorflow_2.h5",
            "dl4j_weights_sepconv2d_tensorflow_2.h5")) {
      EXPECT.put("keras2-hdf5/" + s, Expect.KERAS2_H5);
    }
    EXPECT.put("keras3/keras-hub_esm2_t6_8M_config.json", Expect.UNKNOWN_CLASS);
    EXPECT.put("keras3/keras-hub_esm2_t6_8M_task.json", Expect.UNKNOWN_CLASS);
    EXPECT.put("keras3/keras-hub_esm2_t6_8M_metadata.json", Expect.NOT_A_MODEL);
    EXPECT.put(
        "keras3/keras-test_pre_pr22362_nested_container.keras", Expect.KERAS_ARCHIVE_SUBCLASS);
    EXPECT.put("tfjs-layers/tfjs_e2e_layers_model/model.json", Expect.TFJS_WEIGHTED);
    EXPECT.put("tfjs-layers/tfjs_e2e_layers_model/weights.bin", Expect.SHARD);
    EXPECT.put("tfjs-layers/tfjs-examples_abalone/model.json", Expect.TFJS_WEIGHTED);
    EXPECT.put("tfjs-layers/tfjs-examples_abalone/weights.bin", Expect.SHARD);
    EXPECT.put("tfjs-layers/tfjs_rn_bundle_model/bundle_model_test.json", Expect.TFJS_WEIGHTED);
    EXPECT.put("tfjs-layers/tfjs_rn_bundle_model/bundle_model_test_weights.bin", Expect.SHARD);
    for (String s :
        List.of(
            "ml5_cvae_quickdraw/model.json",
            "ml5_dcgan_geo/model.json",
            "ml5_imageclassification/image-model.json",
            "ml5_pitchdetection_crepe/model.json")) {
      EXPECT.put("tfjs-layers/" + s, Expect.TFJS_NO_SHARDS);
    }
  }

  private static Path root() {
    try {
      return Path.of(EverySampleTest.class.getResource(ROOT).toURI());
    } catch (URISyntaxException e) {
      throw new AssertionError(e);
    }
  }

  private static List<String> allFiles() throws IOException {
    Path root = root();
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile)
          .map(p -> root.relativize(p).toString().replace('\\', '/'))
          .sorted()
          .toList();
    }
  }

  @Test
  void everySampleHasAnExpectationAndMeetsIt() throws IOException {
    List<String> files = allFiles();
    assertEquals(new TreeSet<>(EXPECT.keySet()), new TreeSet<>(files), "samples vs expectations");
    List<String> failures = new ArrayList<>();
    for (String f : files) {
      try {
        check(f, EXPECT.get(f));
      } catch (AssertionError | RuntimeException e) {
        failures.add(f + ": " + e);
      }
    }
    if (!failures.isEmpty()) {
      fail(failures.size() + " samples failed:\n" + String.join("\n", failures));
    }
  }

  private static void check(String sample, Expect expect) throws IOException {
    Path file = root().resolve(sample);
    switch (expect) {
      case CONFIG_TFJS_COUNT -> {
        try (Model m = Models.fromJson(file)) {
          assertEquals(tfjsParams(sample), m.countParams(), "parameters");
        }
      }
      case CONFIG_HAND_COUNT -> {
        // Embedding 4014 * 10; two LSTM directions 2 * 4 * (16 * 100 + 100 * 100 + 100);
        // Dense 200 * 14 + 14.
        try (Model m = Models.fromJson(file)) {
          assertEquals(40140 + 93600 + 2814, m.countParams(), "parameters");
        }
      }
      case KERAS1 -> {
        String m = refusal(() -> Models.fromJson(file));
        assertHas(m, "Keras 1 config", file.toString());
      }
      case UNKNOWN_CLASS -> {
        String cls = sample.contains("task") ? "ESMMaskedPLM" : "ESMBackbone";
        String m = refusal(() -> Models.fromJson(file));
        // The class, where it is (the JSON path: the root here), what Keras calls it, and the
        // nearest names Kiln knows.
        assertHas(
            m,
            file.toString(),
            "$: unknown layer class '" + cls + "'",
            "registered_name 'keras_hub>" + cls + "'",
            "nearest known: ",
            "Models.register");
      }
      case NOT_A_MODEL -> assertHas(refusal(() -> Models.fromJson(file)), "not a Keras model");
      case KERAS_ARCHIVE_SUBCLASS -> {
        String m = refusal(() -> ModelFiles.load(file));
        assertHas(
            m,
            file.getFileName().toString(),
            "unknown layer class 'NestedDenseModel'",
            "legacy_nested_container>NestedDenseModel",
            "nearest known: ");
      }
      case KERAS2_H5 -> {
        try (Model m = ModelFiles.load(file)) {
          checkStoredWeights(sample, m);
        }
      }
      case TFJS_WEIGHTED -> {
        try (Model m = ModelFiles.load(file)) {
          assertEquals(manifestParams(sample), m.countParams(), "parameters");
          assertEquals(tfjsParams(sample), m.countParams(), "parameters");
        }
      }
      case TFJS_NO_SHARDS -> {
        try (Model m = Models.fromJson(file)) {
          assertEquals(manifestParams(sample), m.countParams(), "parameters");
          assertEquals(tfjsParams(sample), m.countParams(), "parameters");
        }
        String m = refusal(() -> ModelFiles.load(file));
        assertHas(m, file.getParent().toString());
      }
      case SHARD, NOT_A_SAMPLE -> {}
    }
  }

  /**
   * The model's parameter count is the sum of the stored datasets' sizes as h5py reads them, and
   * each stored dataset is one of its layer's weights, value for value.
   */
  @SuppressWarnings("unchecked")
  private static void checkStoredWeights(String sample, Model m) {
    Map<String, Object> datasets =
        GoldenJson.obj(GoldenJson.resource("/golden/h5-values.json"), sample);
    long stored = 0;
    for (Map.Entry<String, Object> e : datasets.entrySet()) {
      String name = e.getKey();
      if (!name.startsWith("model_weights/")) {
        continue;
      }
      Map<String, Object> d = (Map<String, Object>) e.getValue();
      long size = 1;
      for (Object dim : (List<Object>) d.get("shape")) {
        size *= ((Number) dim).longValue();
      }
      stored += size;
      String layerName = name.split("/")[1];
      Layer layer = m.getLayer(layerName);
      boolean found = false;
      for (Tensor t : layer.getWeights()) {
        try {
          FilesTestSupport.assertMatchesH5py(sample, name, t);
          found = true;
          break;
        } catch (AssertionError notThisOne) {
          // another weight of the same layer
        }
      }
      assertTrue(found, "no weight of layer '" + layerName + "' equals stored " + name);
    }
    assertEquals(stored, m.countParams(), "parameters vs stored weight shapes");
  }

  private static String refusal(org.junit.jupiter.api.function.Executable load) {
    return assertThrows(KilnException.class, load).getMessage();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> golden(String sample) {
    Map<String, Object> g =
        GoldenJson.obj(GoldenJson.resource(ROOT + "golden-config-params.json"), "samples");
    return GoldenJson.obj(g, sample);
  }

  private static long tfjsParams(String sample) {
    return (long) GoldenJson.num(golden(sample), "tfjs_params");
  }

  private static long manifestParams(String sample) {
    return (long) GoldenJson.num(golden(sample), "manifest_params");
  }
}
