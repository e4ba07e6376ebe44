package dev.kiln.api.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.metrics.Metrics;
import dev.kiln.api.optimizers.SGD;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One loss or metric object given for several outputs is copied with all its arguments. */
class CompileCopiesTest {
  private static Model twoOutputs() {
    KerasTensor in = Input.of(2);
    return Model.of(
        List.of(in), List.of(new Dense(3).apply(in), new Dense(3).apply(in)), "two_outputs");
  }

  @Test
  void eachOutputGetsALossWithTheSameArguments() {
    Kiln.clearSession();
    Model m = twoOutputs();
    m.compile(
        new SGD(0.1),
        new Losses.SparseCategoricalCrossentropy().fromLogits(true),
        new Metrics.Precision("p", 0.7));
    CompileState c = m.compiled();
    assertNotSame(c.losses.get(0), c.losses.get(1));
    assertEquals(c.losses.get(0).getConfig(), c.losses.get(1).getConfig());
    assertEquals(true, c.losses.get(1).getConfig().get("from_logits"));
    assertNotSame(c.metrics.get(0).get(0), c.metrics.get(1).get(0));
    assertEquals(c.metrics.get(0).get(0).getConfig(), c.metrics.get(1).get(0).getConfig());
  }

  @Test
  void labelsEqualToIgnoreClassAreLeftOut() {
    Kiln.clearSession();
    KerasTensor in = Input.of(2);
    Model m = Model.of(in, new Dense(3).apply(in));
    m.compile(
        new SGD(0.1), new Losses.SparseCategoricalCrossentropy().fromLogits(true).ignoreClass(-1));
    Tensor x = Tensor.of(new float[][] {{1, 2}, {3, -1}, {0.5f, 0.5f}});
    Tensor y = Tensor.of(new float[] {0, -1, 2});
    Map<String, Double> all = m.evaluate(x, y);
    Tensor kept = Tensor.of(new float[][] {{1, 2}, {0.5f, 0.5f}});
    Map<String, Double> some = m.evaluate(kept, Tensor.of(new float[] {0, 2}));
    assertEquals(some.get("loss"), all.get("loss"), 1e-6);
  }
}
