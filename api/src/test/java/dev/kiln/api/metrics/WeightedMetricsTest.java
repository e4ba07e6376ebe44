package dev.kiln.api.metrics;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static dev.kiln.api.GoldenJson.matrix;
import static dev.kiln.api.GoldenJson.num;
import static dev.kiln.api.GoldenJson.obj;
import static dev.kiln.api.GoldenJson.tensor;
import static dev.kiln.api.GoldenJson.vec;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.ApiTestSupport;
import dev.kiln.api.GoldenJson;
import dev.kiln.api.Tensor;
import dev.kiln.spi.HostTensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Weighted metric state against TensorFlow.js and hand computation ({@code
 * golden/tfjs-weighted.json}, from {@code src/test/golden/make_golden.js}): weighted means across
 * two batches of different sizes, and confusion-matrix metrics whose counts differ (tp != fn, fp !=
 * fn), with and without sample weights. Each test first checks that the golden differs from the
 * result of the plausible wrong formula recorded beside it.
 */
class WeightedMetricsTest {
  private static final double TOL = 1e-6;
  private static Map<String, Object> g;

  @BeforeAll
  static void load() {
    g = GoldenJson.resource("/golden/tfjs-weighted.json");
  }

  /** One metric update on the backend; {@code sw} may be null. */
  private static void update(Metric m, Tensor yTrue, Tensor yPred, Tensor sw) {
    List<HostTensor> in =
        sw == null
            ? List.of(yTrue.host(), yPred.host())
            : List.of(yTrue.host(), yPred.host(), sw.host());
    ApiTestSupport.run(
        (o, v) -> {
          m.update(o, v.get(0), v.get(1), sw == null ? null : v.get(2));
          return List.of(v.get(0));
        },
        in);
  }

  private static void assertApart(String what, double golden, double nearMiss) {
    assertTrue(
        Math.abs(golden - nearMiss) > 100 * TOL * Math.max(1, Math.abs(golden)),
        what + ": the data must tell " + golden + " from the near miss " + nearMiss);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> batches() {
    return (List<Map<String, Object>>) obj(g, "mean_metrics").get("batches");
  }

  /** Feeds both batches (4 rows, then 3) with their weights and returns the result. */
  private static double overBatches(Metric m) {
    for (Map<String, Object> b : batches()) {
      update(m, matrix(b, "y_true"), matrix(b, "y_pred"), tensor(b, "sample_weight"));
    }
    return m.result();
  }

  private static void checkWeightedMean(String key, Metric m) {
    Map<String, Object> gold = obj(obj(g, "mean_metrics"), key);
    double golden = num(gold, "weighted");
    assertApart(key + " plain mean", golden, num(gold, "plain"));
    assertApart(key + " over rows", golden, num(gold, "weighted_sum_over_rows"));
    // sum(w x) / sum(w) over both batches: 7.5 of weight over 7 rows
    assertClose(key, golden, overBatches(m), TOL);
  }

  @Test
  void meanMetricIsSumOfWeightedValuesOverSumOfWeights() {
    Map<String, Object> gold = obj(obj(g, "mean_metrics"), "mean_of_first_prediction_column");
    Metric mean = new Metrics.Mean("mean");
    double[] values = vec(gold, "per_sample");
    int at = 0;
    for (Map<String, Object> b : batches()) {
      double[] w = vec(b, "sample_weight");
      float[] x = new float[w.length];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) values[at++];
      }
      Tensor v = Tensor.of(x);
      update(mean, v, v, tensor(b, "sample_weight"));
    }
    double golden = num(gold, "weighted");
    assertApart("mean, plain", golden, num(gold, "plain"));
    assertApart("mean, over rows", golden, num(gold, "weighted_sum_over_rows"));
    assertClose("mean", golden, mean.result(), TOL);
  }

  @Test
  void lossMetricsAreWeightedMeans() {
    checkWeightedMean("mean_squared_error", Metrics.get("mse", null));
    checkWeightedMean("mean_absolute_error", Metrics.get("mae", null));
  }

  @Test
  void rootMeanSquaredErrorIsTheRootOfTheWeightedMean() {
    checkWeightedMean("root_mean_squared_error", Metrics.get("rmse", null));
  }

  @Test
  void unweightedMeanOverBatchesOfDifferentSizes() {
    // Without weights every row counts once: the batch of 3 weighs 3/7, not 1/2.
    Metric mse = Metrics.get("mse", null);
    for (Map<String, Object> b : batches()) {
      update(mse, matrix(b, "y_true"), matrix(b, "y_pred"), null);
    }
    assertClose(
        "mse over rows",
        num(obj(obj(g, "mean_metrics"), "mean_squared_error"), "plain"),
        mse.result(),
        TOL);
  }

  // ---------------------------------------------------------------- confusion-matrix metrics

  private static Map<String, Object> confusion() {
    return obj(g, "confusion");
  }

  private static Tensor column(Map<String, Object> m, String key) {
    return tensor(m, key, vec(m, key).length, 1);
  }

  private static double confusionMetric(String name, boolean weighted) {
    Map<String, Object> c = confusion();
    Metric m = Metrics.get(name, null);
    update(
        m, column(c, "y_true"), column(c, "y_pred"), weighted ? tensor(c, "sample_weight") : null);
    return m.result();
  }

  @Test
  void precisionIsTpOverTpPlusFp() {
    Map<String, Object> c = confusion();
    for (String kind : new String[] {"unweighted", "weighted"}) {
      Map<String, Object> gold = obj(c, kind);
      assertTrue(num(gold, "fp") != num(gold, "fn"), "fp must differ from fn");
      double golden = num(gold, "precision");
      assertApart("precision " + kind, golden, num(obj(gold, "near_miss"), "precision_over_tp_fn"));
      // unweighted: tp 3, fp 1, fn 2 -> 3/4; weighted: 3.5 / (3.5 + 3)
      assertClose(
          "precision " + kind, golden, confusionMetric("precision", kind.equals("weighted")), TOL);
    }
    // TF.js's own precision on the thresholded predictions agrees.
    assertClose(
        "tfjs precision", num(c, "tfjs_precision"), confusionMetric("precision", false), 1e-6);
  }

  @Test
  void recallIsTpOverTpPlusFn() {
    Map<String, Object> c = confusion();
    for (String kind : new String[] {"unweighted", "weighted"}) {
      Map<String, Object> gold = obj(c, kind);
      double golden = num(gold, "recall");
      assertApart("recall " + kind, golden, num(obj(gold, "near_miss"), "recall_over_tp_fp"));
      // unweighted: 3 / (3 + 2); weighted: 3.5 / (3.5 + 1.75)
      assertClose(
          "recall " + kind, golden, confusionMetric("recall", kind.equals("weighted")), TOL);
    }
    assertClose("tfjs recall", num(c, "tfjs_recall"), confusionMetric("recall", false), 1e-6);
  }

  private static double f1(String average, boolean weighted) {
    Map<String, Object> f = obj(g, "f1_score");
    double[] ids = vec(f, "y_true_ids");
    float[] oneHot = new float[ids.length * 3];
    for (int i = 0; i < ids.length; i++) {
      oneHot[i * 3 + (int) ids[i]] = 1;
    }
    Metric m = new Metrics.F1Score("f1", average, null);
    update(
        m,
        Tensor.of(oneHot, ids.length, 3),
        matrix(f, "y_pred"),
        weighted ? tensor(f, "sample_weight") : null);
    return m.result();
  }

  @Test
  void f1ScoreAveragesAsKeras() {
    Map<String, Object> f = obj(g, "f1_score");
    for (String kind : new String[] {"unweighted", "weighted"}) {
      Map<String, Object> gold = obj(f, kind);
      Map<String, Object> near = obj(gold, "near_miss");
      boolean w = kind.equals("weighted");
      assertApart(
          "f1 macro " + kind, num(gold, "macro"), num(near, "macro_with_precision_over_tp_fn"));
      assertApart(
          "f1 weighted " + kind, num(gold, "weighted"), num(near, "weighted_as_plain_mean"));
      assertClose("f1 macro " + kind, num(gold, "macro"), f1("macro", w), TOL);
      // "weighted" averages the classes by their (weighted) support tp + fn
      assertClose("f1 weighted " + kind, num(gold, "weighted"), f1("weighted", w), TOL);
      assertClose("f1 micro " + kind, num(gold, "micro"), f1("micro", w), TOL);
    }
  }

  @Test
  void rocAucIsTheWeightedProbabilityThatAPositiveOutscoresANegative() {
    Map<String, Object> a = obj(g, "auc_roc");
    for (String kind : new String[] {"unweighted", "weighted"}) {
      Metric auc = Metrics.get("auc", null);
      update(
          auc,
          column(a, "y_true"),
          column(a, "y_pred"),
          kind.equals("weighted") ? tensor(a, "sample_weight") : null);
      assertClose("auc " + kind, num(a, kind), auc.result(), 1e-5);
    }
    assertApart("auc weights matter", num(a, "weighted"), num(a, "unweighted"));
  }

  @Test
  void r2ScoreWeightsTheMeanAndBothSumsOfSquares() {
    Map<String, Object> r = obj(g, "r2_score");
    double golden = num(r, "weighted");
    assertApart("r2", golden, num(obj(r, "near_miss"), "count_rows_not_weights"));
    for (String kind : new String[] {"unweighted", "weighted"}) {
      Metric r2 = Metrics.get("r2_score", null);
      update(
          r2,
          column(r, "y_true"),
          column(r, "y_pred"),
          kind.equals("weighted") ? tensor(r, "sample_weight") : null);
      assertClose("r2 " + kind, num(r, kind), r2.result(), 1e-5);
    }
    assertClose("tfjs r2", num(r, "tfjs_unweighted"), num(r, "unweighted"), 1e-6);
  }
}
