package dev.kiln.api.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.merging.Add;
import dev.kiln.api.layers.merging.Concatenate;
import dev.kiln.api.regularizers.Regularizers;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Functional configs in Keras 3's form: written, read back, and the same model again. */
class FunctionalConfigTest {
  /** Two inputs, a layer shared between them, a nested model, two outputs. */
  private static Model sharedAndNested() {
    KerasTensor innerIn = Input.named("inner_in", dev.kiln.spi.DType.FLOAT32, 3);
    Model inner =
        Model.of(
            List.of(innerIn),
            List.of(new Dense(3, "tanh").name("inner_dense").apply(innerIn)),
            "inner");
    KerasTensor a = Input.named("a", dev.kiln.spi.DType.FLOAT32, 4);
    KerasTensor b = Input.named("b", dev.kiln.spi.DType.FLOAT32, 4);
    Dense shared = (Dense) new Dense(3, "relu").kernelRegularizer(Regularizers.l2(0.01));
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
  @SuppressWarnings("unchecked")
  void configHasKerasNodes() {
    Kiln.clearSession();
    Model m = sharedAndNested();
    Map<String, Object> c = m.getConfig();
    assertEquals(List.of(List.of("a", 0, 0), List.of("b", 0, 0)), c.get("input_layers"));
    assertEquals(List.of(List.of("out1", 0, 0), List.of("out2", 0, 0)), c.get("output_layers"));
    List<Map<String, Object>> layers = (List<Map<String, Object>>) c.get("layers");
    Map<String, Object> shared =
        layers.stream().filter(l -> l.get("name").equals("shared")).findFirst().orElseThrow();
    List<Map<String, Object>> nodes = (List<Map<String, Object>>) shared.get("inbound_nodes");
    assertEquals(2, nodes.size());
    Map<String, Object> second =
        (Map<String, Object>) ((List<Object>) nodes.get(1).get("args")).get(0);
    assertEquals("__keras_tensor__", second.get("class_name"));
    assertEquals(
        List.of("b", 0, 0), ((Map<String, Object>) second.get("config")).get("keras_history"));
    Map<String, Object> cat =
        layers.stream().filter(l -> l.get("name").equals("cat")).findFirst().orElseThrow();
    List<Object> catArgs =
        (List<Object>) ((List<Map<String, Object>>) cat.get("inbound_nodes")).get(0).get("args");
    List<Map<String, Object>> catIn = (List<Map<String, Object>>) catArgs.get(0);
    // The concatenation's second input is the shared layer's second call: node 1.
    assertEquals(
        List.of("shared", 1, 0),
        ((Map<String, Object>) catIn.get(1).get("config")).get("keras_history"));
    Map<String, Object> inner =
        layers.stream().filter(l -> l.get("name").equals("inner")).findFirst().orElseThrow();
    assertEquals("Functional", inner.get("class_name"));
  }

  @Test
  void roundTripGivesTheSameConfigAndPredictions() {
    Kiln.clearSession();
    Kiln.setRandomSeed(3);
    Model m = sharedAndNested();
    Map<String, Object> config = m.getConfig();
    Model copy = Model.fromConfig(config);
    assertEquals(config, copy.getConfig());
    copy.setWeights(m.getWeights());
    Tensor a = Tensor.of(new float[][] {{1, -2, 0.5f, 3}, {0, 1, 1, -1}});
    Tensor b = Tensor.of(new float[][] {{-1, 2, 0, 0.25f}, {2, 2, -3, 1}});
    List<Tensor> p = m.predict(List.of(a, b), new FitOptions().verbose(0));
    List<Tensor> q = copy.predict(List.of(a, b), new FitOptions().verbose(0));
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(p.get(i).toDoubleArray(), q.get(i).toDoubleArray(), 0);
    }
    // The shared layer is one layer in the copy too: one set of weights, two calls.
    assertEquals(2, copy.getLayer("shared").calls().size());
    assertEquals(m.countParams(), copy.countParams());
  }

  @Test
  void aNodeFromAMissingLayerNamesIt() {
    Kiln.clearSession();
    KerasTensor in = Input.named("x", dev.kiln.spi.DType.FLOAT32, 2);
    Model m = Model.of(in, new Dense(1).name("d").apply(in));
    Map<String, Object> c = new java.util.LinkedHashMap<>(m.getConfig());
    c.put("output_layers", List.of(List.of("nope", 0, 0)));
    KilnException e = assertThrows(KilnException.class, () -> Model.fromConfig(c));
    assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
  }

  @Test
  void sequentialRoundTrip() {
    Kiln.clearSession();
    Sequential s = new Sequential(Input.of(3), new Dense(4, "relu"), new Dense(2));
    Map<String, Object> config = s.getConfig();
    Sequential copy = Sequential.fromConfig(config);
    assertEquals(config, copy.getConfig());
    copy.setWeights(s.getWeights());
    Tensor x = Tensor.of(new float[][] {{1, 2, 3}});
    assertArrayEquals(s.predict(x).toDoubleArray(), copy.predict(x).toDoubleArray(), 0);
  }

  @Test
  void aSequentialWithoutAnInputShapeNestsAsALayer() {
    Sequential inner = new Sequential(new Dense(3, "tanh"), new Dense(2));
    KerasTensor x = Input.of(4);
    Model outer = Model.of(List.of(x), List.of(inner.apply(x)));
    assertEquals((4 * 3 + 3) + (3 * 2 + 2), outer.countParams());
    Tensor data = Tensor.of(new float[][] {{1, 2, 3, 4}, {0, -1, 2, 0}});
    assertArrayEquals(inner.predict(data).toFloatArray(), outer.predict(data).toFloatArray());
  }
}
