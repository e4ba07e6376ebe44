package dev.kiln.api.metrics;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.api.ApiTestSupport;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The metrics' declared arguments change their results as Keras's do; by hand on tiny cases. */
class MetricArgumentsTest {
  private static double result(Metric m, HostTensor t, HostTensor p) {
    ApiTestSupport.run(
        (o, in) -> {
          m.update(o, in.get(0), in.get(1), null);
          return List.of(in.get(0));
        },
        List.of(t, p));
    return m.result();
  }

  private static HostTensor m(int r, int c, float... v) {
    return HostTensor.of(Shape.of(r, c), v);
  }

  @Test
  void nothingSeenIsZero() {
    assertEquals(0, Metrics.get("mse", null).result());
    assertEquals(0, new Metrics.Auc().result());
  }

  @Test
  void accuracyComparesValues() {
    // Keras's example: 3 of 4 equal.
    Metric a = Metrics.fromConfig("Accuracy", Map.of());
    assertClose("accuracy", 0.75, result(a, m(4, 1, 1, 2, 3, 4), m(4, 1, 0, 2, 3, 4)), 1e-6);
  }

  @Test
  void precisionThreshold() {
    HostTensor t = m(4, 1, 1, 0, 1, 1);
    HostTensor p = m(4, 1, 0.9f, 0.6f, 0.2f, 0.7f);
    // Above 0.5: rows 0, 1, 3 -> tp 2, fp 1. Above 0.7: row 0 only -> tp 1, fp 0.
    assertClose("at 0.5", 2.0 / 3, result(Metrics.get("precision", null), t, p), 1e-6);
    Metric strict = Metrics.fromConfig("Precision", Map.of("thresholds", 0.7));
    assertClose("at 0.7", 1.0, result(strict, t, p), 1e-6);
  }

  @Test
  void cosineSimilarityIsPositiveAsAMetric() {
    // cos((1, 0), (1, 1)) = 1 / sqrt(2); the loss is its negative, the metric the value itself.
    double v = result(Metrics.get("cosine_similarity", null), m(1, 2, 1, 0), m(1, 2, 1, 1));
    assertClose("cosine", Math.sqrt(0.5), v, 1e-6);
  }

  @Test
  void aucFromLogits() {
    HostTensor t = m(4, 1, 0, 1, 0, 1);
    HostTensor logits = m(4, 1, -2, 1, -1, 2);
    // Through a sigmoid the scores separate the classes (AUC 1); taken as probabilities, the
    // negatives never pass a threshold in [0, 1], the false positive rate stays 0, the area 0.
    Metric sig = Metrics.fromConfig("AUC", Map.of("from_logits", true));
    assertClose("from logits", 1.0, result(sig, t, logits), 1e-6);
    assertClose("as probabilities", 0.0, result(Metrics.get("auc", null), t, logits), 1e-6);
  }

  @Test
  void r2AggregationAndAdjustment() {
    // Keras's example: labels 1, 4, 3 and predictions 2, 4, 4 give 1 - 2 / (14 / 3) = 4 / 7.
    HostTensor t1 = m(3, 1, 1, 4, 3);
    HostTensor p1 = m(3, 1, 2, 4, 4);
    assertClose("plain", 4.0 / 7, result(Metrics.get("r2_score", null), t1, p1), 1e-6);
    // Adjusted with p = 1 regressor over n = 3: 1 - (3 / 7)(2 / 1) = 1 / 7.
    Metric adjusted = Metrics.fromConfig("R2Score", Map.of("num_regressors", 1));
    assertClose("adjusted", 1.0 / 7, result(adjusted, t1, p1), 1e-6);
    // Two outputs: 4/7 (SS_tot 14/3) and 6/7 (SS_tot 14); uniform 5/7, variance weighted
    // (14/3 * 4/7 + 14 * 6/7) / (56/3) = 11/14.
    HostTensor t2 = m(3, 2, 1, 0, 4, 1, 3, 5);
    HostTensor p2 = m(3, 2, 2, 0, 4, 2, 4, 4);
    assertClose("uniform", 5.0 / 7, result(new Metrics.R2Score(), t2, p2), 1e-6);
    Metric weighted =
        Metrics.fromConfig("R2Score", Map.of("class_aggregation", "variance_weighted_average"));
    assertClose("variance weighted", 11.0 / 14, result(weighted, t2, p2), 1e-6);
  }

  @Test
  void lossMetricsTakeTheLossArguments() {
    // BCE of label 1 against logit 0: ln 2 from logits; as a probability of 0 it is clipped.
    Metric logits = Metrics.fromConfig("BinaryCrossentropy", Map.of("from_logits", true));
    assertClose("from logits", Math.log(2), result(logits, m(1, 1, 1), m(1, 1, 0)), 1e-6);
    assertEquals(true, logits.getConfig().get("from_logits"));
  }
}
