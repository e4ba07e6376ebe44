package dev.kiln.api.layers;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static dev.kiln.api.layers.LayerTestSupport.runLayerTest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.LayerTestSupport.Expect;
import dev.kiln.api.layers.LayerTestSupport.LayerCase;
import dev.kiln.api.layers.core.Activation;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Dropout;
import dev.kiln.api.layers.core.Embedding;
import dev.kiln.api.layers.core.Identity;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.core.Masking;
import dev.kiln.api.layers.merging.Add;
import dev.kiln.api.layers.merging.Average;
import dev.kiln.api.layers.merging.Concatenate;
import dev.kiln.api.layers.merging.Dot;
import dev.kiln.api.layers.merging.Maximum;
import dev.kiln.api.layers.merging.Minimum;
import dev.kiln.api.layers.merging.Multiply;
import dev.kiln.api.layers.merging.Subtract;
import dev.kiln.api.layers.preprocessing.Normalization;
import dev.kiln.api.layers.preprocessing.Rescaling;
import dev.kiln.api.layers.reshaping.Flatten;
import dev.kiln.api.layers.reshaping.Permute;
import dev.kiln.api.layers.reshaping.RepeatVector;
import dev.kiln.api.layers.reshaping.Reshape;
import dev.kiln.api.models.Model;
import dev.kiln.api.regularizers.Regularizers;
import dev.kiln.spi.DType;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** runLayerTest for every layer of the issue, then values by hand where a layer computes. */
class CoreLayersTest {
  private static Expect out(int weights, int... shape) {
    return new Expect(shape, weights, true);
  }

  private static Expect noTrain(int... shape) {
    return new Expect(shape, 0, false);
  }

  @TestFactory
  Stream<DynamicTest> runLayerTests() {
    return LayerTestSupport.onEveryBackend(cases());
  }

  /** A runLayerTest case per core, merging and reshaping layer. */
  static List<LayerCase> cases() {
    List<int[]> two = List.of(new int[] {3}, new int[] {3});
    List<DType> f2 = List.of(DType.FLOAT32, DType.FLOAT32);
    return List.of(
        new LayerCase(
            "Dense", () -> runLayerTest(() -> new Dense(4, "relu"), new int[] {3}, out(2, 4))),
        new LayerCase(
            "Dense [no bias, rank 3 input]",
            () -> runLayerTest(() -> new Dense(4).useBias(false), new int[] {2, 3}, out(1, 2, 4))),
        new LayerCase(
            "Dense [kernel regularizer]",
            () ->
                runLayerTest(
                    () -> new Dense(2).kernelRegularizer(Regularizers.l2(0.01)),
                    new int[] {3},
                    out(2, 2))),
        new LayerCase(
            "Activation",
            () -> runLayerTest(() -> new Activation("tanh"), new int[] {3}, noTrain(3))),
        new LayerCase(
            "Dropout", () -> runLayerTest(() -> new Dropout(0.5), new int[] {3}, noTrain(3))),
        new LayerCase("Identity", () -> runLayerTest(Identity::new, new int[] {3}, noTrain(3))),
        new LayerCase("Masking", () -> runLayerTest(Masking::new, new int[] {4, 3}, noTrain(4, 3))),
        new LayerCase("Flatten", () -> runLayerTest(Flatten::new, new int[] {2, 3}, noTrain(6))),
        new LayerCase(
            "Reshape", () -> runLayerTest(() -> new Reshape(3, -1), new int[] {6}, noTrain(3, 2))),
        new LayerCase(
            "Permute",
            () -> runLayerTest(() -> new Permute(2, 1), new int[] {2, 3}, noTrain(3, 2))),
        new LayerCase(
            "RepeatVector",
            () -> runLayerTest(() -> new RepeatVector(4), new int[] {3}, noTrain(4, 3))),
        new LayerCase(
            "Rescaling",
            () -> runLayerTest(() -> new Rescaling(0.5, 1), new int[] {3}, noTrain(3))),
        new LayerCase(
            "Normalization",
            () ->
                runLayerTest(
                    Normalization::new, new int[] {3}, new Expect(new int[] {3}, 2, false))),
        new LayerCase(
            "Embedding",
            () ->
                runLayerTest(
                    () -> new Embedding(10, 4),
                    List.of(new int[] {5}),
                    List.of(DType.INT32),
                    out(1, 5, 4))),
        new LayerCase("Add", () -> runLayerTest(Add::new, two, f2, noTrain(3))),
        new LayerCase("Subtract", () -> runLayerTest(Subtract::new, two, f2, noTrain(3))),
        new LayerCase("Multiply", () -> runLayerTest(Multiply::new, two, f2, noTrain(3))),
        new LayerCase("Average", () -> runLayerTest(Average::new, two, f2, noTrain(3))),
        new LayerCase("Maximum", () -> runLayerTest(Maximum::new, two, f2, noTrain(3))),
        new LayerCase("Minimum", () -> runLayerTest(Minimum::new, two, f2, noTrain(3))),
        new LayerCase(
            "Concatenate",
            () ->
                runLayerTest(
                    () -> new Concatenate(),
                    List.of(new int[] {3}, new int[] {2}),
                    f2,
                    noTrain(5))),
        new LayerCase("Dot", () -> runLayerTest(() -> new Dot(1), two, f2, noTrain(1))),
        new LayerCase(
            "Dot [axes (2, 2), rank 3 inputs]",
            () ->
                runLayerTest(
                    () -> new Dot(new int[] {2, 2}, false),
                    List.of(new int[] {4, 3}, new int[] {5, 3}),
                    f2,
                    noTrain(4, 5))));
  }

  private static Tensor predict(Layer l, Tensor... xs) {
    List<KerasTensor> ins = new java.util.ArrayList<>();
    for (Tensor x : xs) {
      int[] d = x.dims();
      ins.add(Input.of(x.dtype(), java.util.Arrays.copyOfRange(d, 1, d.length)));
    }
    Model m = Model.of(ins, l.applyAll(ins));
    return m.predict(List.of(xs), new dev.kiln.api.models.FitOptions().verbose(0)).get(0);
  }

  @Test
  void denseComputesXwPlusB() {
    Dense d = new Dense(2);
    Tensor x = Tensor.of(new float[][] {{1, 2, 3}});
    predict(d, x);
    d.setWeights(
        List.of(
            Tensor.of(new float[] {1, 0, 0, 1, 1, 1}, 3, 2), Tensor.of(new float[] {0.5f, -1})));
    // [1*1 + 2*0 + 3*1 + 0.5, 1*0 + 2*1 + 3*1 - 1] = [4.5, 4]
    assertClose("dense", new double[] {4.5, 4}, predict(d, x).toDoubleArray(), 1e-6);
  }

  @Test
  void layerValuesByHand() {
    Tensor x = Tensor.of(new float[][] {{-1, 0, 2}});
    assertClose(
        "relu6-like clip via Activation",
        new double[] {0, 0, 2},
        predict(new Activation("relu"), x).toDoubleArray(),
        0);
    assertClose(
        "rescaling",
        new double[] {0.5, 1, 2},
        predict(new Rescaling(0.5, 1), x).toDoubleArray(),
        1e-7);
    assertClose(
        "repeat",
        new double[] {-1, 0, 2, -1, 0, 2},
        predict(new RepeatVector(2), x).toDoubleArray(),
        0);
    Tensor pair = Tensor.of(new float[][] {{1, 2, 3}});
    Tensor other = Tensor.of(new float[][] {{4, 5, 6}});
    assertClose("dot", new double[] {32}, predict(new Dot(1), pair, other).toDoubleArray(), 1e-6);
    assertClose(
        "cosine dot",
        new double[] {32 / (Math.sqrt(14) * Math.sqrt(77))},
        predict(new Dot(new int[] {1, 1}, true), pair, other).toDoubleArray(),
        1e-6);
    assertClose(
        "subtract",
        new double[] {-3, -3, -3},
        predict(new Subtract(), pair, other).toDoubleArray(),
        0);
    assertClose(
        "average",
        new double[] {2.5, 3.5, 4.5},
        predict(new Average(), pair, other).toDoubleArray(),
        0);
    Tensor ids = Tensor.of(new int[] {0, 2}, 1, 2);
    Embedding e = new Embedding(3, 2);
    predict(e, ids);
    e.setWeights(List.of(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2)));
    assertClose("embedding", new double[] {1, 2, 5, 6}, predict(e, ids).toDoubleArray(), 0);
    Tensor steps = Tensor.of(new float[] {0, 0, 1, 2}, 1, 2, 2);
    assertClose(
        "masking zeroes masked steps",
        new double[] {0, 0, 1, 2},
        predict(new Masking(), steps).toDoubleArray(),
        0);
  }

  @Test
  void normalizationAdapts() {
    Normalization n = new Normalization();
    Tensor data = Tensor.of(new float[][] {{1, 10}, {3, 30}});
    n.adapt(data);
    // means (2, 20), variances (1, 100): rows become (-1, -1) and (1, 1)
    assertClose("normalized", new double[] {-1, -1, 1, 1}, predict(n, data).toDoubleArray(), 1e-5);
  }

  @Test
  void givenStatisticsAreConstantsAndAdaptedOnesWeights() {
    Tensor data = Tensor.of(new float[][] {{1, 10}, {3, 30}});
    Normalization given = new Normalization(-1, new double[] {2, 20}, new double[] {1, 100});
    assertClose("given", new double[] {-1, -1, 1, 1}, predict(given, data).toDoubleArray(), 1e-5);
    // Keras 3 holds given statistics as constants: no weights, nothing in weight files.
    assertEquals(0, given.weights().size());
    KilnException e = assertThrows(KilnException.class, () -> given.adapt(data));
    assertTrue(e.getMessage().contains("given mean and variance"), e.getMessage());

    Normalization adapted = new Normalization();
    adapted.adapt(data);
    assertClose(
        "adapted", new double[] {-1, -1, 1, 1}, predict(adapted, data).toDoubleArray(), 1e-5);
    assertEquals(
        List.of("mean", "variance"), adapted.weights().stream().map(w -> w.name()).toList());
    assertEquals(null, adapted.getConfig().get("mean"), "adapted statistics live in the weights");
  }

  @Test
  void dropoutDropsOnlyInTraining() {
    Dropout d = new Dropout(0.5);
    Tensor x = Tensor.of(new float[][] {{1, 1, 1, 1}});
    assertClose("inference", new double[] {1, 1, 1, 1}, predict(d, x).toDoubleArray(), 0);
  }

  @Test
  void badArgumentsInKerasWords() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Dense(0));
    assertTrue(
        e.getMessage().matches("layer 'dense(_\\d+)?': `units` must be a positive integer, got 0"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Dropout(1.5));
    assertThrows(IllegalArgumentException.class, () -> new Reshape(-1, -1));
    assertThrows(IllegalArgumentException.class, () -> new Permute(1, 3));
    KilnException act = assertThrows(KilnException.class, () -> new Activation("relux"));
    assertTrue(act.getMessage().contains("relux") && act.getMessage().contains("gelu"));
  }

  @Test
  void incompatibleInputNamesLayerAndShape() {
    Dense d = new Dense(2);
    d.apply(Input.of(3));
    KilnException e = assertThrows(KilnException.class, () -> d.apply(Input.of(4)));
    assertEquals(
        "Input 0 of layer \""
            + d.name()
            + "\" is incompatible with the layer: expected axis -1 of"
            + " input shape to have value 3, but received input with shape (None, 4)",
        e.getMessage());
    KilnException concat =
        assertThrows(
            KilnException.class,
            () -> new Concatenate().applyAll(List.of(Input.of(2, 3), Input.of(4, 3))));
    assertTrue(concat.getMessage().contains("matching shapes"), concat.getMessage());
  }
}
