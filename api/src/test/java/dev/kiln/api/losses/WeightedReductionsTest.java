package dev.kiln.api.losses;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static dev.kiln.api.GoldenJson.matrix;
import static dev.kiln.api.GoldenJson.num;
import static dev.kiln.api.GoldenJson.obj;
import static dev.kiln.api.GoldenJson.tensor;
import static dev.kiln.api.GoldenJson.vec;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.ApiTestSupport;
import dev.kiln.api.GoldenJson;
import dev.kiln.spi.HostTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Loss reductions with sample weights and masks against TensorFlow.js ({@code
 * golden/tfjs-weighted.json}, from {@code src/test/golden/make_golden.js}). The weights sum to 6.75
 * over 6 samples and one is zero, so dividing by the batch size, by the weight sum or ignoring the
 * weights all give different numbers; each test first checks that its golden and near miss differ.
 */
class WeightedReductionsTest {
  private static final double TOL = 1e-6;
  private static Map<String, Object> g;
  private static HostTensor yTrue;
  private static HostTensor yPred;
  private static HostTensor weights;
  private static HostTensor mask;

  @BeforeAll
  static void load() {
    g = obj(GoldenJson.resource("/golden/tfjs-weighted.json"), "loss_reductions");
    yTrue = matrix(g, "y_true").host();
    yPred = matrix(g, "y_pred").host();
    weights = tensor(g, "sample_weight").host();
    mask = tensor(g, "mask").host();
  }

  /** The loss reduced with these weights and mask (either may be null). */
  private static double[] reduce(String reduction, HostTensor sw, HostTensor m) {
    Loss loss = Losses.get("mse").reduction(reduction);
    List<HostTensor> in = new ArrayList<>(List.of(yTrue, yPred));
    if (sw != null) {
      in.add(sw);
    }
    if (m != null) {
      in.add(m);
    }
    return ApiTestSupport.run(
            (o, v) ->
                List.of(
                    loss.compute(
                        o,
                        v.get(0),
                        v.get(1),
                        sw == null ? null : v.get(2),
                        m == null ? null : v.get(sw == null ? 2 : 3))),
            in)
        .get(0)
        .toDoubleArray();
  }

  private static void assertApart(String what, double golden, double nearMiss) {
    assertTrue(
        Math.abs(golden - nearMiss) > 100 * TOL * Math.max(1, Math.abs(golden)),
        what + ": the data must tell " + golden + " from the near miss " + nearMiss);
  }

  @Test
  void perSampleValuesMatchTfjs() {
    assertClose("per-sample mse", vec(g, "per_sample"), reduce("none", null, null), TOL);
  }

  @Test
  void meanWithSampleWeightDividesByTheWeightSum() {
    double golden = num(g, "mean_with_sample_weight");
    Map<String, Object> near = obj(g, "near_miss");
    assertApart(
        "mean_with_sample_weight", golden, num(near, "mean_with_sample_weight_as_plain_mean"));
    // sum(w l) / sum(w) = 6.5 / 6.75, not 6.5 / 6
    assertClose(
        "mean_with_sample_weight",
        golden,
        reduce("mean_with_sample_weight", weights, null)[0],
        TOL);
  }

  @Test
  void sumOverBatchSizeWeightsThenDividesByTheValueCount() {
    double golden = num(g, "sum_over_batch_size");
    Map<String, Object> near = obj(g, "near_miss");
    assertApart("by weight sum", golden, num(near, "sum_over_batch_size_divided_by_weight_sum"));
    assertApart("weights ignored", golden, num(near, "sum_over_batch_size_ignoring_weights"));
    // sum(w l) / 6 = 6.5 / 6
    assertClose(
        "sum_over_batch_size", golden, reduce("sum_over_batch_size", weights, null)[0], TOL);
    assertClose(
        "sum_over_batch_size without weights",
        num(g, "unweighted_sum_over_batch_size"),
        reduce("sum_over_batch_size", null, null)[0],
        TOL);
  }

  @Test
  void sumAndNoneApplyTheWeights() {
    assertClose("sum", num(g, "sum"), reduce("sum", weights, null)[0], TOL);
    assertClose("none", vec(g, "none"), reduce("none", weights, null), TOL);
  }

  @Test
  void aMaskAveragesOverTheUnmaskedValuesOnly() {
    double golden = num(g, "masked_sum_over_batch_size");
    assertApart("masked", golden, num(obj(g, "near_miss"), "masked_divided_by_batch_size"));
    // sum(w m l) / sum(m): two of the six rows are masked
    assertClose(
        "masked sum_over_batch_size", golden, reduce("sum_over_batch_size", weights, mask)[0], TOL);
    assertClose(
        "masked mean_with_sample_weight",
        num(g, "masked_mean_with_sample_weight"),
        reduce("mean_with_sample_weight", weights, mask)[0],
        TOL);
  }
}
