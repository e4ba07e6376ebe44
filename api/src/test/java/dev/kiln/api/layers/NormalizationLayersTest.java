package dev.kiln.api.layers;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static dev.kiln.api.layers.FamilyGolden.check;
import static dev.kiln.api.layers.FamilyGolden.model;
import static dev.kiln.api.layers.FamilyGolden.predict;
import static dev.kiln.api.layers.FamilyGolden.tensor;
import static dev.kiln.api.layers.FamilyGolden.trainingForward;
import static dev.kiln.api.layers.FamilyGolden.weights;
import static dev.kiln.api.layers.LayerTestSupport.runLayerTest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.LayerTestSupport.Expect;
import dev.kiln.api.layers.LayerTestSupport.LayerCase;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.normalization.BatchNormalization;
import dev.kiln.api.layers.normalization.GroupNormalization;
import dev.kiln.api.layers.normalization.LayerNormalization;
import dev.kiln.api.layers.normalization.RMSNormalization;
import dev.kiln.api.layers.normalization.UnitNormalization;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.models.Model;
import dev.kiln.api.optimizers.SGD;
import dev.kiln.api.registry.ArgumentException;
import dev.kiln.spi.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The normalization layers: runLayerTest per layer and variant, then TF.js's forward values ({@code
 * golden/tfjs-norm.json}, from {@code make_golden_norm.js}) on both backends, including
 * BatchNormalization in training and inference mode and its moving statistics after a train step.
 */
class NormalizationLayersTest {
  private static final Map<String, Object> GOLDEN = FamilyGolden.cases("/golden/tfjs-norm.json");

  private static Expect out(int weights, int... shape) {
    return new Expect(shape, weights, true);
  }

  @TestFactory
  Stream<DynamicTest> runLayerTests() {
    return LayerTestSupport.onEveryBackend(cases());
  }

  @TestFactory
  Stream<DynamicTest> goldenValues() {
    return LayerTestSupport.onEveryBackend(goldenCases());
  }

  /** A runLayerTest case per normalization layer and variant. */
  static List<LayerCase> cases() {
    return List.of(
        new LayerCase(
            "BatchNormalization",
            () -> runLayerTest(BatchNormalization::new, new int[] {2, 3}, out(4, 2, 3))),
        new LayerCase(
            "BatchNormalization [axis 1, rank 4]",
            () ->
                runLayerTest(
                    () -> new BatchNormalization().axis(1), new int[] {3, 2, 2}, out(4, 3, 2, 2))),
        new LayerCase(
            "BatchNormalization [axes 1 and 2]",
            () ->
                runLayerTest(
                    () -> new BatchNormalization().axis(2, 1).momentum(0.5),
                    new int[] {2, 3},
                    out(4, 2, 3))),
        new LayerCase(
            "BatchNormalization [no center, no scale]",
            () ->
                runLayerTest(
                    () -> new BatchNormalization().center(false).scale(false),
                    new int[] {3},
                    new Expect(new int[] {3}, 2, false))),
        new LayerCase(
            "LayerNormalization",
            () -> runLayerTest(LayerNormalization::new, new int[] {2, 3}, out(2, 2, 3))),
        new LayerCase(
            "LayerNormalization [axes 1, 2]",
            () ->
                runLayerTest(
                    () -> new LayerNormalization().axis(1, 2), new int[] {2, 3}, out(2, 2, 3))),
        new LayerCase(
            "LayerNormalization [rms_scaling]",
            () ->
                runLayerTest(
                    () -> new LayerNormalization().rmsScaling(true), new int[] {4}, out(1, 4))),
        new LayerCase(
            "GroupNormalization",
            () -> runLayerTest(() -> new GroupNormalization(2), new int[] {2, 4}, out(2, 2, 4))),
        new LayerCase(
            "GroupNormalization [channels first, one group per channel]",
            () ->
                runLayerTest(
                    () -> new GroupNormalization(-1).axis(1), new int[] {3, 4}, out(2, 3, 4))),
        new LayerCase(
            "UnitNormalization",
            () ->
                runLayerTest(
                    UnitNormalization::new,
                    new int[] {2, 3},
                    new Expect(new int[] {2, 3}, 0, false))),
        new LayerCase(
            "RMSNormalization",
            () -> runLayerTest(RMSNormalization::new, new int[] {2, 3}, out(1, 2, 3))));
  }

  /** TF.js's values for every normalization case of the golden file. */
  static List<LayerCase> goldenCases() {
    List<LayerCase> out = new ArrayList<>();
    for (String name : GOLDEN.keySet()) {
      if (name.startsWith("BatchNormalization")) {
        out.add(new LayerCase(name + " golden", () -> batchNormGolden(name)));
      } else if (name.contains("Normalization")) {
        out.add(new LayerCase(name + " golden", () -> forwardGolden(name)));
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  static int[] axes(Object axis) {
    if (axis instanceof List<?> l) {
      return l.stream().mapToInt(o -> ((Number) o).intValue()).toArray();
    }
    return new int[] {((Number) axis).intValue()};
  }

  private static Layer layerFor(String name, Map<String, Object> args) {
    double eps = args.get("epsilon") == null ? 0 : ((Number) args.get("epsilon")).doubleValue();
    if (name.startsWith("LayerNormalization")) {
      return new LayerNormalization()
          .axis(axes(args.get("axis")))
          .epsilon(eps)
          .rmsScaling(Boolean.TRUE.equals(args.get("rms_scaling")));
    }
    if (name.startsWith("GroupNormalization")) {
      return new GroupNormalization(((Number) args.get("groups")).intValue())
          .axis(((Number) args.get("axis")).intValue())
          .epsilon(eps);
    }
    if (name.startsWith("UnitNormalization")) {
      return new UnitNormalization().axis(axes(args.get("axis")));
    }
    if (name.startsWith("RMSNormalization")) {
      return new RMSNormalization().axis(axes(args.get("axis"))).epsilon(eps);
    }
    throw new IllegalArgumentException("no layer for golden case " + name);
  }

  @SuppressWarnings("unchecked")
  private static void forwardGolden(String name) {
    Map<String, Object> c = golden(name);
    Layer layer = layerFor(name, (Map<String, Object>) c.get("args"));
    Tensor x = tensor(c, "x");
    Model m = model(layer, x);
    layer.setWeights(weights(c));
    check(name, c, "out", "near_miss", predict(m, x));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> golden(String name) {
    return (Map<String, Object>) GOLDEN.get(name);
  }

  @SuppressWarnings("unchecked")
  private static BatchNormalization batchNorm(Map<String, Object> c) {
    Map<String, Object> a = (Map<String, Object>) c.get("args");
    return new BatchNormalization()
        .axis(((Number) a.get("axis")).intValue())
        .momentum(((Number) a.get("momentum")).doubleValue())
        .epsilon(((Number) a.get("epsilon")).doubleValue());
  }

  /**
   * Both modes: inference with loaded moving statistics; the training-mode output; the moving
   * statistics after a training forward pass and after a real compiled train step; a frozen layer
   * that stays in inference mode and keeps its statistics.
   */
  private static void batchNormGolden(String name) {
    Map<String, Object> c = golden(name);
    Tensor x = tensor(c, "x");
    BatchNormalization bn = batchNorm(c);
    Model m = model(bn, x);
    List<Tensor> w = weights(c);
    bn.setWeights(w);
    assertEquals(
        List.of("gamma", "beta", "moving_mean", "moving_variance"),
        bn.weights().stream().map(Weight::name).toList(),
        "weight names and order");
    assertEquals(
        List.of(true, true, false, false), bn.weights().stream().map(Weight::trainable).toList());
    check(name + " inference", c, "inference", null, predict(m, x));

    check(
        name + " training output",
        c,
        "training",
        "near_miss_training_unbiased",
        trainingForward(bn, 1, x));
    List<Tensor> after = bn.getWeights();
    check(name + " moving mean", c, "moving_mean", "near_miss_moving_mean_swapped", after.get(2));
    check(
        name + " moving variance",
        c,
        "moving_variance",
        "near_miss_moving_variance_unbiased",
        after.get(3));

    // The compiled train step updates the moving statistics the same way.
    bn.setWeights(w);
    m.compile(new SGD(0.1), Losses.get("mse"));
    m.trainOnBatch(x, Tensor.zeros(DType.FLOAT32, x.dims()));
    List<Tensor> stepped = bn.getWeights();
    check(name + " moving mean after trainOnBatch", c, "moving_mean", null, stepped.get(2));
    check(name + " moving variance after trainOnBatch", c, "moving_variance", null, stepped.get(3));
    // evaluate makes no update.
    m.evaluate(x, Tensor.zeros(DType.FLOAT32, x.dims()));
    assertClose(
        name + " moving variance after evaluate",
        stepped.get(3).toDoubleArray(),
        bn.getWeights().get(3).toDoubleArray(),
        0);

    // Frozen: inference statistics in training too, and no update.
    bn.setWeights(w);
    bn.setTrainable(false);
    check(name + " frozen in training", c, "inference", null, trainingForward(bn, 1, x));
    assertClose(
        name + " frozen moving mean",
        w.get(2).toDoubleArray(),
        bn.getWeights().get(2).toDoubleArray(),
        0);
  }

  @Test
  void batchNormWeightsAndMask() {
    BatchNormalization bn = new BatchNormalization().axis(1);
    bn.apply(Input.of(3, 2, 2));
    assertArrayEquals(new int[] {3}, bn.gamma().type().shape().dims());
    assertEquals(4, bn.weights().size());
    assertFalse(bn.movingMean().trainable());
    // A masked batch: only the unmasked steps count in the statistics (as Keras's masked moments).
    BatchNormalization masked = new BatchNormalization().momentum(0);
    dev.kiln.api.layers.core.Masking mask = new dev.kiln.api.layers.core.Masking();
    Tensor x = Tensor.of(new float[] {1, 10, 3, 30, 0, 0, 5, 50}, 1, 4, 2);
    var in = Input.of(4, 2);
    Model mm = Model.of(in, masked.apply(mask.apply(in)));
    mm.compile(new SGD(0.1), Losses.get("mse"));
    mm.trainOnBatch(x, Tensor.zeros(DType.FLOAT32, 1, 4, 2));
    // steps (1, 10), (3, 30), (5, 50): means (3, 30), biased variances (8/3, 800/3).
    assertClose(
        "masked moving mean",
        new double[] {3, 30},
        masked.getWeights().get(2).toDoubleArray(),
        1e-5);
    assertClose(
        "masked moving variance",
        new double[] {8.0 / 3, 800.0 / 3},
        masked.getWeights().get(3).toDoubleArray(),
        1e-5);
  }

  @Test
  void badArgumentsAndShapes() {
    assertThrows(ArgumentException.class, () -> new GroupNormalization(0));
    assertThrows(ArgumentException.class, () -> new BatchNormalization().epsilon(-1));
    assertThrows(ArgumentException.class, () -> new LayerNormalization().axis(1, 1));
    KilnException groups =
        assertThrows(KilnException.class, () -> new GroupNormalization(4).apply(Input.of(2, 6)));
    assertTrue(
        groups.getMessage().contains("groups (4)") && groups.getMessage().contains("(None, 2, 6)"),
        groups.getMessage());
    KilnException axis =
        assertThrows(
            KilnException.class, () -> new BatchNormalization().axis(3).apply(Input.of(2, 6)));
    assertTrue(
        axis.getMessage().contains("invalid axis 3") && axis.getMessage().contains("(None, 2, 6)"),
        axis.getMessage());
    BatchNormalization bn = new BatchNormalization();
    bn.apply(Input.of(3));
    KilnException shape = assertThrows(KilnException.class, () -> bn.apply(Input.of(4)));
    assertTrue(shape.getMessage().contains(bn.name()), shape.getMessage());
  }
}
