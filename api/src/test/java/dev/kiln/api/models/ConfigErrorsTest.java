package dev.kiln.api.models;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KilnException;
import dev.kiln.api.layers.Layers;
import dev.kiln.api.registry.ArgumentException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Malformed configs fail with a KilnException or ArgumentException naming the entry and key, never
 * an internal one.
 */
class ConfigErrorsTest {
  private static void fails(Executable run, String... parts) {
    // ArgumentException is the registry's error for a bad argument value.
    RuntimeException e = assertThrows(RuntimeException.class, run);
    assertTrue(
        e instanceof KilnException || e instanceof ArgumentException, "internal exception: " + e);
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "missing <" + p + "> in: " + e.getMessage());
    }
  }

  private static Map<String, Object> entry(String cls, Object config) {
    Map<String, Object> e = new HashMap<>();
    e.put("class_name", cls);
    e.put("config", config);
    return e;
  }

  @Test
  void shapes() {
    fails(
        () -> Layers.fromConfig("Dense", Map.of("units", 8, "batch_input_shape", List.of())),
        "`batch_input_shape` must hold the batch size (or null) first, got []");
    fails(
        () -> Layers.fromConfig("Dense", Map.of("units", 8, "input_shape", List.of(-3))),
        "`input_shape` sizes must be non-negative integers or null, got [-3]");
    fails(
        () -> Layers.fromConfig("Dense", Map.of("units", 8, "input_shape", List.of(4294967304L))),
        "`input_shape` sizes must be non-negative");
  }

  @Test
  void classNamesAndConfigs() {
    fails(() -> Layers.fromConfig(null, Map.of("units", 8)), "layer config needs a class name");
    Map<String, Object> noClass = entry(null, Map.of("units", 8));
    fails(
        () -> Sequential.fromConfig(Map.of("layers", List.of(noClass))),
        "layers[0]: `class_name` must be a layer class name string, got null");
    fails(
        () -> Model.fromConfig(Map.of("layers", List.of(noClass))),
        "layers[0]: `class_name` must be");
    Map<String, Object> listConfig = entry("Dense", List.of(1, 2));
    fails(
        () -> Sequential.fromConfig(Map.of("layers", List.of(listConfig))),
        "layers[0] (Dense): `config` must be a JSON object, got a list [1, 2]");
    fails(
        () -> Model.fromConfig(Map.of("layers", List.of(listConfig))),
        "layers[0] (Dense): `config` must be a JSON object");
    fails(() -> Model.fromConfig(null), "Functional config is needed");
    fails(() -> Sequential.fromConfig(null), "Sequential config is needed");
  }

  private static Map<String, Object> functional(Object history, Object outputLayers) {
    Map<String, Object> in = entry("InputLayer", Map.of("name", "in", "batch_shape", shape()));
    in.put("name", "in");
    in.put("inbound_nodes", List.of());
    Map<String, Object> tensor =
        Map.of("class_name", "__keras_tensor__", "config", Map.of("keras_history", history));
    Map<String, Object> d = entry("Dense", Map.of("name", "d", "units", 2));
    d.put("name", "d");
    d.put("inbound_nodes", List.of(Map.of("args", List.of(tensor))));
    return Map.of(
        "layers", List.of(in, d),
        "input_layers", List.of("in", 0, 0),
        "output_layers", outputLayers);
  }

  private static List<Object> shape() {
    return Arrays.asList(null, 4);
  }

  @Test
  void tensorHistories() {
    List<Object> ok = List.of("in", 0, 0);
    fails(
        () -> Model.fromConfig(functional(Map.of("x", 1), List.of("d", 0, 0))),
        "layer 'd': a tensor's keras_history must be [layer name, node index, tensor index]",
        "got {x=1}");
    fails(
        () -> Model.fromConfig(functional(List.of("in", "0", 0), List.of("d", 0, 0))),
        "keras_history must be");
    fails(
        () -> Model.fromConfig(functional(List.of("in", 0, 5), List.of("d", 0, 0))),
        "layer 'd' takes output 5 of layer 'in' (node 0), which has 1 outputs");
    fails(
        () -> Model.fromConfig(functional(ok, List.of(Map.of("d", 0)))),
        "keras_history must be",
        "got {d=0}");
    fails(() -> Model.fromConfig(functional(ok, List.of("d", -1, 0))), "got [d, -1, 0]");
    Model.fromConfig(functional(ok, List.of("d", 0, 0)));
  }
}
