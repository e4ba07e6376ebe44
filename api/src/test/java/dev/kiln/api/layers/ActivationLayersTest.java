package dev.kiln.api.layers;

import static dev.kiln.api.layers.FamilyGolden.check;
import static dev.kiln.api.layers.FamilyGolden.model;
import static dev.kiln.api.layers.FamilyGolden.predict;
import static dev.kiln.api.layers.FamilyGolden.tensor;
import static dev.kiln.api.layers.FamilyGolden.weights;
import static dev.kiln.api.layers.LayerTestSupport.runLayerTest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Tensor;
import dev.kiln.api.layers.LayerTestSupport.Expect;
import dev.kiln.api.layers.LayerTestSupport.LayerCase;
import dev.kiln.api.layers.activations.ELU;
import dev.kiln.api.layers.activations.LeakyReLU;
import dev.kiln.api.layers.activations.PReLU;
import dev.kiln.api.layers.activations.ReLU;
import dev.kiln.api.layers.activations.Softmax;
import dev.kiln.api.layers.core.Embedding;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.models.Model;
import dev.kiln.api.registry.ArgumentException;
import dev.kiln.spi.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The activation layers: runLayerTest per layer, TF.js's forward values ({@code
 * golden/tfjs-norm.json}) on both backends, NaN kept by every one, and Softmax's masks.
 */
class ActivationLayersTest {
  private static final Map<String, Object> GOLDEN = FamilyGolden.cases("/golden/tfjs-norm.json");

  private static Expect same(int... shape) {
    return new Expect(shape, 0, false);
  }

  @TestFactory
  Stream<DynamicTest> runLayerTests() {
    return LayerTestSupport.onEveryBackend(cases());
  }

  @TestFactory
  Stream<DynamicTest> goldenValues() {
    return LayerTestSupport.onEveryBackend(goldenCases());
  }

  /** A runLayerTest case per activation layer and variant. */
  static List<LayerCase> cases() {
    List<int[]> withMask = List.of(new int[] {2, 3}, new int[] {2, 3});
    return List.of(
        new LayerCase("ReLU", () -> runLayerTest(ReLU::new, new int[] {3}, same(3))),
        new LayerCase(
            "ReLU [max_value, negative_slope, threshold]",
            () ->
                runLayerTest(
                    () -> new ReLU().maxValue(2.0).negativeSlope(0.1).threshold(0.5),
                    new int[] {3},
                    same(3))),
        new LayerCase("LeakyReLU", () -> runLayerTest(LeakyReLU::new, new int[] {3}, same(3))),
        new LayerCase(
            "PReLU",
            () ->
                runLayerTest(PReLU::new, new int[] {2, 3}, new Expect(new int[] {2, 3}, 1, true))),
        new LayerCase(
            "PReLU [shared_axes 1]",
            () ->
                runLayerTest(
                    () -> new PReLU().sharedAxes(1),
                    new int[] {2, 3},
                    new Expect(new int[] {2, 3}, 1, true))),
        new LayerCase("ELU", () -> runLayerTest(() -> new ELU(0.5), new int[] {3}, same(3))),
        new LayerCase("Softmax", () -> runLayerTest(Softmax::new, new int[] {2, 3}, same(2, 3))),
        new LayerCase(
            "Softmax [axes 1, 2]",
            () -> runLayerTest(() -> new Softmax().axis(1, 2), new int[] {2, 3}, same(2, 3))),
        new LayerCase(
            "Softmax [mask input]",
            () ->
                runLayerTest(
                    Softmax::new, withMask, List.of(DType.FLOAT32, DType.FLOAT32), same(2, 3))));
  }

  /** TF.js's values for the activation cases of the golden file, NaN, and carried masks. */
  static List<LayerCase> goldenCases() {
    List<LayerCase> out = new ArrayList<>();
    for (String name : GOLDEN.keySet()) {
      String cls = name.split(" ")[0];
      if (List.of("ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax").contains(cls)) {
        out.add(new LayerCase(name + " golden", () -> golden(name)));
      }
    }
    out.add(new LayerCase("NaN propagates", ActivationLayersTest::nanPropagates));
    out.add(new LayerCase("Softmax carried mask", ActivationLayersTest::carriedMask));
    return out;
  }

  private static int[] ints(Object o) {
    if (o instanceof List<?> l) {
      return l.stream().mapToInt(v -> ((Number) v).intValue()).toArray();
    }
    return new int[] {((Number) o).intValue()};
  }

  private static double num(Map<String, Object> a, String key) {
    return ((Number) a.get(key)).doubleValue();
  }

  @SuppressWarnings("unchecked")
  private static void golden(String name) {
    Map<String, Object> c = (Map<String, Object>) GOLDEN.get(name);
    Map<String, Object> a = (Map<String, Object>) c.get("args");
    Layer layer =
        switch (name.split(" ")[0]) {
          case "ReLU" ->
              new ReLU()
                  .maxValue(num(a, "max_value"))
                  .negativeSlope(num(a, "negative_slope"))
                  .threshold(num(a, "threshold"));
          case "LeakyReLU" -> new LeakyReLU();
          case "PReLU" -> new PReLU().sharedAxes(ints(a.get("shared_axes")));
          case "ELU" -> new ELU(num(a, "alpha"));
          default -> new Softmax().axis(ints(a.get("axis")));
        };
    Tensor x = tensor(c, "x");
    Tensor y;
    if (c.containsKey("mask")) {
      Tensor mask = tensor(c, "mask");
      y = predict(model(layer, x, mask), x, mask);
    } else {
      Model m = model(layer, x);
      if (!weights(c).isEmpty()) {
        layer.setWeights(weights(c));
        assertEquals("alpha", layer.weights().get(0).name());
      }
      y = predict(m, x);
    }
    check(name, c, "out", "near_miss", y);
  }

  /** Every activation layer keeps NaN (and the others' values) through predict. */
  private static void nanPropagates() {
    List<Supplier<Layer>> layers =
        List.of(
            ReLU::new,
            () -> new ReLU().maxValue(1.0),
            () -> new ReLU().maxValue(1.0).negativeSlope(0.2).threshold(0.5),
            () -> new ReLU().threshold(0.5),
            LeakyReLU::new,
            PReLU::new,
            () -> new ELU(0.5),
            Softmax::new);
    Tensor x = Tensor.of(new float[][] {{Float.NaN, -1, 2}});
    for (Supplier<Layer> f : layers) {
      Layer l = f.get();
      double[] y = predict(model(l, x), x).toDoubleArray();
      assertTrue(Double.isNaN(y[0]), l.className() + " " + l.getConfig() + " dropped NaN: " + y[0]);
      if (!(l instanceof Softmax)) {
        assertTrue(!Double.isNaN(y[1]) && !Double.isNaN(y[2]), l.className() + " spread NaN");
      }
    }
  }

  /** A mask carried from Embedding(mask_zero) zeroes whole masked steps and goes on. */
  private static void carriedMask() {
    var ids = Input.of(DType.INT32, 3);
    Embedding e = new Embedding(5, 2).maskZero(true);
    Softmax s = new Softmax();
    Model m = Model.of(ids, s.apply(e.apply(ids)));
    double[] y = predict(m, Tensor.of(new int[] {1, 0, 2}, 1, 3)).toDoubleArray();
    assertArrayEquals(new double[] {0, 0}, new double[] {y[2], y[3]}, "masked step");
    assertEquals(1, y[0] + y[1], 1e-6, "unmasked step sums to 1");
  }

  @org.junit.jupiter.api.Test
  void preluSharesSlopesAlongSharedAxes() {
    PReLU p = new PReLU().sharedAxes(1);
    p.apply(Input.of(2, 3));
    assertArrayEquals(new int[] {1, 3}, p.alpha().type().shape().dims());
    // A shared axis may take another size; an axis with its own slopes may not.
    p.apply(Input.of(5, 3));
    assertThrows(dev.kiln.api.KilnException.class, () -> p.apply(Input.of(2, 4)));
    assertEquals(
        6.0,
        ((ReLU) Layers.fromConfig("ReLU", new ReLU().maxValue(6).getConfig()))
            .getConfig()
            .get("max_value"));
  }

  @org.junit.jupiter.api.Test
  void badArguments() {
    assertThrows(ArgumentException.class, () -> new ReLU().maxValue(-1.0));
    assertThrows(ArgumentException.class, () -> new ReLU().threshold(-1));
    assertThrows(ArgumentException.class, () -> new LeakyReLU(-0.1));
    assertThrows(ArgumentException.class, () -> new PReLU().sharedAxes(0));
    assertThrows(ArgumentException.class, () -> new Softmax().axis(1, 1));
  }
}
