package dev.kiln.api.losses;

import static dev.kiln.api.ApiTestSupport.assertClose;

import dev.kiln.api.ApiTestSupport;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Loss arguments beyond the goldens' defaults (ignore_class, axis, config-made losses). */
class LossArgumentsTest {
  private static double[] perSample(Loss loss, HostTensor t, HostTensor p) {
    return ApiTestSupport.run((o, in) -> List.of(loss.call(o, in.get(0), in.get(1))), List.of(t, p))
        .get(0)
        .toDoubleArray();
  }

  private static double reduced(Loss loss, HostTensor t, HostTensor p) {
    return ApiTestSupport.run(
            (o, in) -> List.of(loss.compute(o, in.get(0), in.get(1), null, null)), List.of(t, p))
        .get(0)
        .getDouble(0);
  }

  private static HostTensor m(int r, int c, float... v) {
    return HostTensor.of(Shape.of(r, c), v);
  }

  @Test
  void ignoreClassDropsThoseLabelsFromTheMean() {
    HostTensor ids = HostTensor.of(Shape.of(3), new int[] {0, 2, 1});
    HostTensor p = m(3, 3, 0.5f, 0.3f, 0.2f, 0.1f, 0.1f, 0.8f, 0.2f, 0.6f, 0.2f);
    Loss loss = Losses.fromConfig("SparseCategoricalCrossentropy", Map.of("ignore_class", 2));
    // -ln 0.5 and -ln 0.6; the label 2 counts 0 and is left out of the mean (2 values, not 3).
    double a = -Math.log(0.5);
    double b = -Math.log(0.6);
    assertClose("per sample", new double[] {a, 0, b}, perSample(loss, ids, p), 1e-6);
    assertClose("mean over the valid", (a + b) / 2, reduced(loss, ids, p), 1e-6);
    double all = (a - Math.log(0.8) + b) / 3;
    assertClose(
        "without", all, reduced(Losses.get("sparse_categorical_crossentropy"), ids, p), 1e-6);
  }

  @Test
  void cosineSimilarityAxis() {
    HostTensor t = m(2, 2, 1, 0, 0, 1);
    HostTensor p = m(2, 2, 1, 1, 0, 1);
    double r = Math.sqrt(0.5);
    // rows: cos((1,0),(1,1)) and cos((0,1),(0,1)); columns: cos((1,0),(1,0)) and cos((0,1),(1,1))
    assertClose(
        "rows", new double[] {-r, -1}, perSample(Losses.get("cosine_similarity"), t, p), 1e-6);
    Loss columns = new Losses.CosineSimilarity().axis(0);
    assertClose("columns", new double[] {-1, -r}, perSample(columns, t, p), 1e-6);
  }

  @Test
  void configsSetArgumentsAndCommonKeys() {
    Loss huber =
        Losses.deserialize(
            Map.of(
                "class_name",
                "Huber",
                "config",
                Map.of("delta", 2.0, "name", "h", "reduction", "sum")));
    // error 3 > delta 2: 2 * 3 - 0.5 * 4 = 4; one sample, summed.
    assertClose("huber", 4, reduced(huber, m(1, 1, 0), m(1, 1, 3)), 1e-6);
    assertClose("name", 1, huber.name().equals("h") ? 1 : 0, 0);
  }
}
