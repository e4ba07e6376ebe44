package dev.kiln.api.metrics;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.api.ApiTestSupport;
import dev.kiln.api.ApiTestSupport.Golden;
import dev.kiln.api.KilnException;
import dev.kiln.api.losses.Losses;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Metrics against TensorFlow.js goldens and hand-computed cases; state accumulates and resets. */
class MetricsTest {
  private static final Map<String, Golden> GOLDEN = ApiTestSupport.golden("/golden/tfjs-api.txt");

  private static void update(Metric m, HostTensor t, HostTensor p) {
    ApiTestSupport.run(
        (o, in) -> {
          m.update(o, in.get(0), in.get(1), null);
          return List.of(in.get(0));
        },
        List.of(t, p));
  }

  @TestFactory
  Stream<DynamicTest> metricsMatchTfjs() {
    return GOLDEN.values().stream()
        // TF.js's precision and recall count only predictions exactly 1 (no threshold), so they
        // are checked by hand below instead.
        .filter(
            g -> g.name().startsWith("metric ") && !g.name().matches("metric (precision|recall)"))
        .map(
            g ->
                DynamicTest.dynamicTest(
                    g.name(),
                    () -> {
                      String name = g.name().substring(7);
                      Metric m = Metrics.get(name, null);
                      HostTensor t = g.inputs().get(0);
                      if (name.startsWith("sparse")) {
                        t = t.cast(DType.INT32).reshape(Shape.of(t.size()));
                      }
                      update(m, t, g.inputs().get(1));
                      assertClose(name, g.outputs().get(0).getDouble(0), m.result(), 1e-5);
                    }));
  }

  private static HostTensor m(int r, int c, float... v) {
    return HostTensor.of(Shape.of(r, c), v);
  }

  @Test
  void accumulatesAcrossBatchesAndResets() {
    Metric acc = Metrics.get("accuracy", Losses.get("categorical_crossentropy"));
    update(acc, m(2, 2, 1, 0, 0, 1), m(2, 2, 0.9f, 0.1f, 0.8f, 0.2f)); // 1 of 2
    update(acc, m(1, 2, 0, 1), m(1, 2, 0.3f, 0.7f)); // 1 of 1
    assertClose("accuracy", 2.0 / 3, acc.result(), 1e-6);
    acc.reset();
    assertClose("after reset", 0, acc.result(), 0);
  }

  @Test
  void topKByHand() {
    Metric top2 = new Metrics.TopKCategoricalAccuracy("top2", 2, true);
    HostTensor ids = HostTensor.of(Shape.of(3), new int[] {0, 1, 2});
    // row 0: class 0 scores highest (in); row 1: class 1 second (in); row 2: class 2 lowest (out)
    update(top2, ids, m(3, 3, 0.6f, 0.3f, 0.1f, 0.5f, 0.3f, 0.2f, 0.5f, 0.4f, 0.1f));
    assertClose("top2", 2.0 / 3, top2.result(), 1e-6);
  }

  @Test
  void f1AucRmseByHand() {
    // Predictions argmax: 0, 1, 1, 0; labels 0, 1, 0, 1. Class 0: tp 1 fp 1 fn 1 -> F1 0.5; class
    // 1 the same; macro 0.5.
    Metric f1 = new Metrics.F1Score("f1", "macro", null);
    update(
        f1,
        m(4, 2, 1, 0, 0, 1, 1, 0, 0, 1),
        m(4, 2, 0.9f, 0.1f, 0.2f, 0.8f, 0.4f, 0.6f, 0.7f, 0.3f));
    assertClose("f1", 0.5, f1.result(), 1e-6);

    // Perfectly separated scores give ROC AUC 1; reversed give 0.
    Metric auc = Metrics.get("auc", null);
    update(auc, m(4, 1, 0, 0, 1, 1), m(4, 1, 0.1f, 0.2f, 0.8f, 0.9f));
    assertClose("auc", 1.0, auc.result(), 1e-6);
    Metric bad = Metrics.get("auc", null);
    update(bad, m(4, 1, 1, 1, 0, 0), m(4, 1, 0.1f, 0.2f, 0.8f, 0.9f));
    assertClose("auc reversed", 0.0, bad.result(), 1e-6);

    Metric pr = new Metrics.Auc("pr", 200, "PR");
    update(pr, m(4, 1, 0, 0, 1, 1), m(4, 1, 0.1f, 0.2f, 0.8f, 0.9f));
    assertClose("pr auc, separated", 1.0, pr.result(), 1e-6);
    // Constant scores: precision is the positive rate (0.5) at every recall, so the area is 0.5.
    Metric flat = new Metrics.Auc("flat", 200, "PR");
    update(flat, m(4, 1, 0, 1, 0, 1), m(4, 1, 0.5f, 0.5f, 0.5f, 0.5f));
    assertClose("pr auc, uninformative", 0.5, flat.result(), 1e-6);

    Metric rmse = Metrics.get("rmse", null);
    update(rmse, m(2, 1, 0, 0), m(2, 1, 3, 4)); // sqrt((9 + 16) / 2)
    assertClose("rmse", Math.sqrt(12.5), rmse.result(), 1e-6);
  }

  @Test
  void precisionRecallByHand() {
    // threshold 0.5: predicted positive rows 0, 1, 3; labels 1, 0, 1, 1 -> tp 2, fp 1, fn 1
    HostTensor t = m(4, 1, 1, 0, 1, 1);
    HostTensor p = m(4, 1, 0.9f, 0.6f, 0.2f, 0.7f);
    Metric precision = Metrics.get("precision", null);
    Metric recall = Metrics.get("recall", null);
    update(precision, t, p);
    update(recall, t, p);
    assertClose("precision", 2.0 / 3, precision.result(), 1e-6);
    assertClose("recall", 2.0 / 3, recall.result(), 1e-6);
  }

  @Test
  void unknownMetricIsAClearError() {
    assertThrows(KilnException.class, () -> Metrics.get("acuracy", null));
  }
}
