package dev.kiln.api.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.api.GoldenJson;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every registered layer's config against Keras's own: TF.js's serialization ({@code
 * golden/tfjs-layer-configs.json}, Keras-2-era keys, from {@code src/test/golden/make_golden.js})
 * and Keras 3's {@code get_config} ({@code golden/keras3-layer-configs.json}, written from Keras
 * 3's source). For each layer, one test: {@code Layers.fromConfig} accepts each golden config, and
 * the layer it builds gives back a config that has every key Keras has, with the same values.
 */
class LayerConfigGoldenTest {
  private static final Map<String, Object> TFJS =
      merged("tfjs-layer-configs", GoldenJson.resource("/golden/tfjs-layer-configs.json"));
  private static final Map<String, Object> KERAS3 =
      merged("keras3-layer-configs", GoldenJson.resource("/golden/keras3-layer-configs.json"));

  /**
   * The layers of a golden file and of its family files beside it ({@code
   * keras3-layer-configs-conv.json} for {@code keras3-layer-configs.json}), so that each layer
   * family keeps its goldens in its own file.
   */
  private static Map<String, Object> merged(String stem, Map<String, Object> main) {
    Map<String, Object> all = new java.util.LinkedHashMap<>(GoldenJson.obj(main, "layers"));
    for (Map<String, Object> f : familyFiles(stem)) {
      all.putAll(GoldenJson.obj(f, "layers"));
    }
    return all;
  }

  /** The parsed {@code <stem>-<family>.json} files under {@code golden/}, by name. */
  private static List<Map<String, Object>> familyFiles(String stem) {
    try {
      java.nio.file.Path dir =
          java.nio.file.Path.of(LayerConfigGoldenTest.class.getResource("/golden").toURI());
      List<Map<String, Object>> out = new ArrayList<>();
      try (Stream<java.nio.file.Path> files = java.nio.file.Files.list(dir)) {
        for (java.nio.file.Path f : files.sorted().toList()) {
          String n = f.getFileName().toString();
          if (n.startsWith(stem + "-") && n.endsWith(".json")) {
            out.add(GoldenJson.resource("/golden/" + n));
          }
        }
      }
      return out;
    } catch (java.io.IOException | java.net.URISyntaxException e) {
      throw new IllegalStateException("cannot list the golden configs", e);
    }
  }

  /**
   * The union of the family files' lists (Keras 3 family files may carry {@code not_in_tfjs},
   * {@code dropped_in_keras3} and {@code added_in_keras3}, as the sets below).
   */
  @SuppressWarnings("unchecked")
  private static Set<String> familyList(String key) {
    Set<String> out = new TreeSet<>();
    for (Map<String, Object> f : familyFiles("keras3-layer-configs")) {
      Object v = f.get(key);
      if (v instanceof List<?> l) {
        out.addAll((List<String>) l);
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Set<String>> familyMap(Map<String, Set<String>> base, String key) {
    Map<String, Set<String>> out = new java.util.HashMap<>(base);
    for (Map<String, Object> f : familyFiles("keras3-layer-configs")) {
      Object v = f.get(key);
      if (v instanceof Map<?, ?> m) {
        for (Map.Entry<?, ?> e : m.entrySet()) {
          out.put((String) e.getKey(), new TreeSet<>((List<String>) e.getValue()));
        }
      }
    }
    return out;
  }

  /** Registered layers TF.js 4 does not have: only the Keras 3 golden checks them. */
  private static final Set<String> NOT_IN_TFJS =
      union(
          Set.of(
              "Identity",
              "InputLayer",
              "Normalization",
              "Subtract",
              "ActivityRegularization",
              "GroupNormalization",
              "RMSNormalization",
              "SpatialDropout2D",
              "SpatialDropout3D",
              "UnitNormalization"),
          familyList("not_in_tfjs"));

  /** The cell arguments TF.js repeats at the top level of an RNN's config. */
  private static final Set<String> RNN_CELL_KEYS =
      Set.of(
          "units",
          "activation",
          "recurrent_activation",
          "use_bias",
          "kernel_initializer",
          "recurrent_initializer",
          "bias_initializer",
          "unit_forget_bias",
          "kernel_regularizer",
          "recurrent_regularizer",
          "bias_regularizer",
          "activity_regularizer",
          "kernel_constraint",
          "recurrent_constraint",
          "bias_constraint",
          "dropout",
          "recurrent_dropout",
          "implementation");

  /**
   * Keys TF.js (Keras 2's format) writes that Keras 3 no longer writes, per golden entry: Keras 3
   * layers write no {@code batch_input_shape} (only InputLayer has {@code batch_shape}), Embedding
   * dropped {@code input_length}, and the base Layer writes {@code activity_regularizer} only when
   * one is set (Embedding still always writes it).
   */
  private static final Map<String, Set<String>> DROPPED_IN_KERAS3 =
      familyMap(
          Map.of(
              "Dense", Set.of("activity_regularizer"),
              "DenseWithInputShape", Set.of("activity_regularizer", "batch_input_shape"),
              "Embedding", Set.of("batch_input_shape", "input_length"),
              // Keras 3 renamed LeakyReLU's alpha (it still reads it); its spatial dropouts write
              // neither Dropout's noise_shape nor trainable.
              "LeakyReLU", Set.of("alpha"),
              "SpatialDropout1D", Set.of("noise_shape", "trainable"),
              // TF.js writes Keras 2's `implementation`; Keras 3's RNN writes its cell's arguments
              // only
              // under `cell`, where TF.js repeats them at the top level.
              "LSTM", Set.of("implementation"),
              "GRU", Set.of("implementation"),
              "RNN", RNN_CELL_KEYS,
              "ConvLSTM2D", Set.of("implementation")),
          "dropped_in_keras3");

  /**
   * Keys Keras 3 writes that TF.js does not, besides {@code dtype} (which Keras 3 writes for every
   * layer and TF.js only for a layer with an input shape).
   */
  private static final Map<String, Set<String>> ADDED_IN_KERAS3 =
      familyMap(
          Map.ofEntries(
              Map.entry("Dense", Set.of("quantization_config")),
              Map.entry("DenseWithInputShape", Set.of("quantization_config")),
              Map.entry("Embedding", Set.of("quantization_config")),
              Map.entry("Flatten", Set.of("data_format")),
              Map.entry("BatchNormalization", Set.of("synchronized")),
              Map.entry(
                  "LayerNormalization",
                  Set.of("rms_scaling", "beta_constraint", "gamma_constraint")),
              Map.entry("ReLU", Set.of("negative_slope", "threshold")),
              Map.entry("LeakyReLU", Set.of("negative_slope")),
              Map.entry("GaussianNoise", Set.of("seed")),
              Map.entry("GaussianDropout", Set.of("seed")),
              Map.entry("AlphaDropout", Set.of("noise_shape", "seed")),
              Map.entry("SimpleRNN", Set.of("zero_output_for_mask", "seed")),
              Map.entry("LSTM", Set.of("zero_output_for_mask", "seed")),
              Map.entry("GRU", Set.of("zero_output_for_mask", "seed")),
              Map.entry("ConvLSTM2D", Set.of("zero_output_for_mask", "seed")),
              Map.entry("RNN", Set.of("zero_output_for_mask")),
              Map.entry("SimpleRNNCell", Set.of("seed")),
              Map.entry("LSTMCell", Set.of("seed")),
              Map.entry("GRUCell", Set.of("seed")),
              // Keras 3 always writes the backward layer; TF.js never does.
              Map.entry("Bidirectional", Set.of("backward_layer"))),
          "added_in_keras3");

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> out = new TreeSet<>(a);
    out.addAll(b);
    return out;
  }

  @TestFactory
  Stream<DynamicTest> configsMatchKeras() {
    // Every message starts with the layer class, since Surefire's report shows only the index.
    return Registry.builtInClassNames(Kind.LAYER).stream()
        .map(c -> DynamicTest.dynamicTest(c, () -> checkLayer(c)));
  }

  @Test
  void everyRegisteredLayerHasGoldenConfigs() {
    Set<String> registered = new TreeSet<>(Registry.builtInClassNames(Kind.LAYER));
    Set<String> noKeras3 = new TreeSet<>(registered);
    noKeras3.removeAll(KERAS3.keySet());
    assertTrue(
        noKeras3.isEmpty(),
        "registered layers without a Keras 3 golden config in keras3-layer-configs.json: "
            + noKeras3);
    Set<String> noTfjs = new TreeSet<>(registered);
    noTfjs.removeAll(TFJS.keySet());
    assertEquals(
        new TreeSet<>(NOT_IN_TFJS),
        noTfjs,
        "registered layers without a TF.js golden (add them to make_golden.js, or to NOT_IN_TFJS"
            + " if TF.js lacks the layer)");
    Set<String> stale = new TreeSet<>(KERAS3.keySet());
    stale.removeAll(registered);
    assertTrue(stale.isEmpty(), "Keras 3 goldens for layers that are not registered: " + stale);
  }

  @SuppressWarnings("unchecked")
  private static void checkLayer(String className) {
    Object k3 = KERAS3.get(className);
    if (!(k3 instanceof Map)) {
      fail("no Keras 3 golden config for " + className + " in keras3-layer-configs.json");
    }
    Map<String, Object> keras3 = (Map<String, Object>) ((Map<String, Object>) k3).get("config");
    checkConfig(className, "Keras 3", keras3, Set.of());

    for (String entry : tfjsEntries(className)) {
      Map<String, Object> tfjs = (Map<String, Object>) TFJS.get(entry);
      Set<String> dropped = DROPPED_IN_KERAS3.getOrDefault(entry, Set.of());
      // The lists above must turn TF.js's keys into exactly Keras 3's.
      Set<String> expected = new TreeSet<>(tfjs.keySet());
      expected.removeAll(dropped);
      expected.add("dtype");
      expected.addAll(ADDED_IN_KERAS3.getOrDefault(entry, Set.of()));
      assertEquals(
          new TreeSet<>(keras3.keySet()),
          expected,
          className + ": TF.js's keys less DROPPED_IN_KERAS3 plus ADDED_IN_KERAS3 (" + entry + ")");
      checkConfig(className, "TF.js " + entry, tfjs, dropped);
    }
  }

  /** TF.js golden entries for a class: its own, and variants such as DenseWithInputShape. */
  private static List<String> tfjsEntries(String className) {
    List<String> out = new ArrayList<>();
    for (String k : TFJS.keySet()) {
      if (k.equals(className) || k.startsWith(className + "With")) {
        out.add(k);
      }
    }
    return out;
  }

  /**
   * Builds the layer from Keras's config and checks the config it gives back: every Keras key
   * (except {@code notRequired}) is there, and every key both have holds the same value.
   */
  private static void checkConfig(
      String className, String source, Map<String, Object> keras, Set<String> notRequired) {
    String where = className + " from the " + source + " config";
    Layer layer;
    try {
      layer = Layers.fromConfig(className, keras);
    } catch (RuntimeException e) {
      throw new AssertionError(where + ": Layers.fromConfig rejected it: " + e.getMessage(), e);
    }
    Map<String, Object> back = layer.getConfig();
    Set<String> missing = new TreeSet<>(keras.keySet());
    missing.removeAll(back.keySet());
    missing.removeAll(notRequired);
    assertTrue(
        missing.isEmpty(),
        where + ": getConfig() lacks Keras's keys " + missing + "; it has " + back.keySet());
    for (Map.Entry<String, Object> e : keras.entrySet()) {
      if (back.containsKey(e.getKey())) {
        String diff = difference(e.getKey(), e.getValue(), back.get(e.getKey()));
        if (diff != null) {
          fail(where + ": key '" + e.getKey() + "': " + diff);
        }
      }
    }
  }

  /**
   * Null when Kiln's value matches Keras's, else what differs. Numbers compare by value (1 and
   * 1.0); a nested object matches when Kiln's has every key of Keras's with the same value (Keras 3
   * adds {@code module} and {@code registered_name} to TF.js's {@code class_name} and {@code
   * config}); a {@code dtype} policy object matches its name.
   */
  @SuppressWarnings("unchecked")
  private static String difference(String key, Object keras, Object kiln) {
    if (key.equals("dtype")) {
      keras = policyName(keras);
      kiln = policyName(kiln);
    }
    if (keras == null || kiln == null) {
      return keras == kiln ? null : "Keras has " + keras + ", Kiln " + kiln;
    }
    if (keras instanceof Number a && kiln instanceof Number b) {
      return Math.abs(a.doubleValue() - b.doubleValue()) <= 1e-12 * Math.abs(a.doubleValue())
          ? null
          : "Keras has " + a + ", Kiln " + b;
    }
    if (keras instanceof Map<?, ?> a) {
      if (!(kiln instanceof Map<?, ?> b)) {
        return "Keras has the object " + keras + ", Kiln " + kiln;
      }
      for (Map.Entry<?, ?> e : a.entrySet()) {
        String k = (String) e.getKey();
        if (!b.containsKey(k)) {
          return "Kiln's " + kiln + " lacks '" + k + "' of Keras's " + keras;
        }
        String d = difference(k, e.getValue(), b.get(k));
        if (d != null) {
          return key + "." + k + ": " + d;
        }
      }
      return null;
    }
    if (keras instanceof List<?> a) {
      List<Object> b = listOf(kiln);
      if (b == null || a.size() != b.size()) {
        return "Keras has " + keras + ", Kiln " + kiln;
      }
      for (int i = 0; i < a.size(); i++) {
        String d = difference(key + "[" + i + "]", a.get(i), b.get(i));
        if (d != null) {
          return "Keras has " + keras + ", Kiln " + kiln;
        }
      }
      return null;
    }
    return keras.equals(kiln) ? null : "Keras has " + keras + ", Kiln " + kiln;
  }

  private static Object policyName(Object dtype) {
    if (dtype instanceof Map<?, ?> m && m.get("config") instanceof Map<?, ?> c) {
      return c.get("name");
    }
    return dtype;
  }

  private static List<Object> listOf(Object v) {
    if (v instanceof List<?> l) {
      return new ArrayList<>(l);
    }
    if (v instanceof int[] a) {
      List<Object> out = new ArrayList<>();
      for (int x : a) {
        out.add(x);
      }
      return out;
    }
    return null;
  }
}
