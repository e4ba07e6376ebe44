package dev.kiln.api.losses;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.ApiTestSupport;
import dev.kiln.api.ApiTestSupport.Golden;
import dev.kiln.api.KilnException;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every loss against TensorFlow.js (golden file from src/test/golden/make-tfjs-api-golden.js) and
 * against hand-computed cases for those TF.js lacks (focal, Huber) and for the reductions.
 */
class LossesGoldenTest {
  private static final Map<String, Golden> GOLDEN = ApiTestSupport.golden("/golden/tfjs-api.txt");

  private static double[] perSample(Loss loss, HostTensor t, HostTensor p) {
    return ApiTestSupport.run((o, in) -> List.of(loss.call(o, in.get(0), in.get(1))), List.of(t, p))
        .get(0)
        .toDoubleArray();
  }

  @TestFactory
  Stream<DynamicTest> lossesMatchTfjs() {
    return GOLDEN.values().stream()
        .filter(g -> g.name().startsWith("loss "))
        .map(
            g ->
                DynamicTest.dynamicTest(
                    g.name(),
                    () -> {
                      String name = g.name().substring(5);
                      Loss loss =
                          name.equals("categorical_crossentropy_logits")
                              ? new Losses.CategoricalCrossentropy().fromLogits(true)
                              : Losses.get(name);
                      HostTensor t = g.inputs().get(0);
                      if (name.startsWith("sparse")) {
                        t = t.cast(DType.INT32);
                      }
                      assertClose(
                          name,
                          g.outputs().get(0).toDoubleArray(),
                          perSample(loss, t, g.inputs().get(1)),
                          2e-5);
                    }));
  }

  private static HostTensor m(int r, int c, float... v) {
    return HostTensor.of(Shape.of(r, c), v);
  }

  @Test
  void huberByHand() {
    // errors 0.5 (quadratic: 0.125) and 3 (linear: 1*3 - 0.5 = 2.5), mean 1.3125
    double[] v = perSample(new Losses.Huber(), m(1, 2, 0, 0), m(1, 2, 0.5f, 3f));
    assertClose("huber", new double[] {1.3125}, v, 1e-6);
  }

  @Test
  void hingeMapsZeroOneLabels() {
    // label 0 counts as -1: max(1 - (-1)(0.5), 0) = 1.5; label 1: max(1 - 0.5, 0) = 0.5
    double[] v = perSample(Losses.get("hinge"), m(2, 1, 0, 1), m(2, 1, 0.5f, 0.5f));
    assertClose("hinge 0/1", new double[] {1.5, 0.5}, v, 1e-6);
  }

  @Test
  void binaryFocalByHand() {
    // y=1, p=0.8: bce = -ln 0.8 = 0.2231436; p_t = 0.8; (1 - 0.8)^2 = 0.04 -> 0.0089257
    // y=0, p=0.3: bce = -ln 0.7 = 0.3566749; p_t = 0.7; 0.09 -> 0.0321007; mean 0.0205132
    double[] v =
        perSample(new Losses.BinaryFocalCrossentropy(), m(1, 2, 1, 0), m(1, 2, 0.8f, 0.3f));
    assertClose("focal", new double[] {0.0205132}, v, 1e-5);
    // class balancing alpha 0.25: 0.25 * 0.0089257 and 0.75 * 0.0321007, mean 0.0131535
    double[] w =
        perSample(
            new Losses.BinaryFocalCrossentropy().classBalancing(0.25),
            m(1, 2, 1, 0),
            m(1, 2, 0.8f, 0.3f));
    assertClose("focal balanced", new double[] {0.0131535}, w, 1e-5);
  }

  @Test
  void labelSmoothingByHand() {
    // one-hot (1, 0) smoothed by 0.2 over 2 classes: (0.9, 0.1); p = (0.5, 0.5): -ln 0.5 = 0.693147
    double[] v =
        perSample(
            new Losses.CategoricalCrossentropy().labelSmoothing(0.2),
            m(1, 2, 1, 0),
            m(1, 2, 0.5f, 0.5f));
    assertClose("smoothed", new double[] {0.6931472}, v, 1e-6);
  }

  @Test
  void reductionsAndSampleWeights() {
    Loss mse = Losses.get("mse");
    HostTensor t = m(3, 1, 0, 0, 0);
    HostTensor p = m(3, 1, 1, 2, 3); // per-sample 1, 4, 9
    HostTensor sw = HostTensor.of(Shape.of(3), new float[] {1, 0, 2}); // weighted 1, 0, 18
    double mean =
        ApiTestSupport.run(
                (o, in) -> List.of(mse.compute(o, in.get(0), in.get(1), in.get(2), null)),
                List.of(t, p, sw))
            .get(0)
            .getDouble(0);
    assertClose("sum_over_batch_size", 19.0 / 3, mean, 1e-6);
    Loss sum = Losses.get("mse").reduction("sum");
    double s =
        ApiTestSupport.run(
                (o, in) -> List.of(sum.compute(o, in.get(0), in.get(1), in.get(2), null)),
                List.of(t, p, sw))
            .get(0)
            .getDouble(0);
    assertClose("sum", 19, s, 1e-6);
    Loss mw = Losses.get("mse").reduction("mean_with_sample_weight");
    double w =
        ApiTestSupport.run(
                (o, in) -> List.of(mw.compute(o, in.get(0), in.get(1), in.get(2), null)),
                List.of(t, p, sw))
            .get(0)
            .getDouble(0);
    assertClose("mean_with_sample_weight", 19.0 / 3, w, 1e-6);
  }

  @Test
  void unknownNamesAndBadLabelsAreClearErrors() {
    KilnException e = assertThrows(KilnException.class, () -> Losses.get("msee"));
    assertTrue(e.getMessage().contains("'msee'") && e.getMessage().contains("mean_squared_error"));
    KilnException shape =
        assertThrows(
            KilnException.class,
            () ->
                perSample(
                    Losses.get("categorical_crossentropy"),
                    m(2, 1, 0, 1),
                    m(2, 3, 1, 2, 3, 4, 5, 6)));
    assertTrue(shape.getMessage().contains("target.shape=(2, 1)"), shape.getMessage());
    assertTrue(shape.getMessage().contains("output.shape=(2, 3)"), shape.getMessage());
    assertEquals("mean_squared_error", Losses.get("mse").name());
  }
}
