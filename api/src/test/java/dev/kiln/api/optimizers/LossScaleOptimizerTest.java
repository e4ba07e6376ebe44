package dev.kiln.api.optimizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.DTypePolicy;
import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.initializers.Initializers;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.models.Sequential;
import dev.kiln.api.registry.ArgumentException;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Dynamic loss scaling, worked by hand on a one-weight model {@code y = w * x} with the mean
 * squared error: {@code dL/dw = 2 * x * (w * x - t)}, times the scale before unscaling.
 */
class LossScaleOptimizerTest {
  private static Sequential line(Optimizer opt) {
    Sequential m =
        new Sequential(
            Input.of(1), new Dense(1).useBias(false).kernelInitializer(Initializers.ones()));
    m.compile(opt, Losses.get("mse"));
    return m;
  }

  private static double kernel(Sequential m) {
    return m.getWeights().get(0).getDouble(0);
  }

  private static double stepCounter(LossScaleOptimizer o) {
    for (Weight w : o.variables()) {
      if (w.name().equals("step_counter")) {
        return w.read().getDouble(0);
      }
    }
    throw new AssertionError("no step_counter in " + o.variables());
  }

  private static Tensor one(float v) {
    return Tensor.of(new float[] {v}, 1, 1);
  }

  @Test
  void anOverflowingStepIsSkippedAndHalvesTheScale() {
    LossScaleOptimizer o = new LossScaleOptimizer(new SGD(0.1));
    Sequential m = line(o);
    // x = 1e17, t = 0, w = 1: dL/dw = 2e34, finite, but times 2^15 it is 6.6e38 > float32's max
    // (3.4e38): the step is skipped. At 2^14 it is 3.3e38, finite: the next step applies.
    m.trainOnBatch(one(1e17f), one(0));
    assertEquals(1.0, kernel(m), "skipped: the kernel is unchanged");
    assertEquals(16384.0, o.dynamicScale());
    assertEquals(0.0, stepCounter(o));
    assertEquals(0, o.iterations(), "a skipped step does not count");
    m.trainOnBatch(one(1e17f), one(0));
    assertEquals((float) (1 - 0.1 * 2e34), (float) kernel(m), "w - lr * 2e34, unscaled");
    assertEquals(16384.0, o.dynamicScale());
    assertEquals(1.0, stepCounter(o));
    assertEquals(1, o.iterations());
  }

  @Test
  void aSkippedStepLeavesTheInnerStateAlone() {
    LossScaleOptimizer o = new LossScaleOptimizer(new Adam(0.1));
    Sequential m = line(o);
    m.trainOnBatch(one(1e30f), one(0)); // the loss itself is infinite
    assertEquals(1.0, kernel(m));
    assertEquals(16384.0, o.dynamicScale());
    for (Weight w : o.innerOptimizer().variables()) {
      if (!w.name().equals("learning_rate")) {
        assertEquals(0.0, w.read().getDouble(0), w.path() + " kept its value");
      }
    }
  }

  @Test
  void theScaleDoublesAfterGrowthStepsFiniteStepsInARow() {
    LossScaleOptimizer o = new LossScaleOptimizer(new SGD(0)).initialScale(4).dynamicGrowthSteps(3);
    Sequential m = line(o);
    double[] scales = {4, 4, 8, 8, 8, 16};
    double[] counters = {1, 2, 0, 1, 2, 0};
    for (int i = 0; i < scales.length; i++) {
      m.trainOnBatch(one(1), one(0));
      assertEquals(scales[i], o.dynamicScale(), "scale after step " + (i + 1));
      assertEquals(counters[i], stepCounter(o), "finite steps counted after step " + (i + 1));
    }
    m.trainOnBatch(one(Float.NaN), one(0));
    assertEquals(8.0, o.dynamicScale(), "a NaN halves it");
    assertEquals(0.0, stepCounter(o), "and restarts the count");
  }

  @Test
  void unscaledGradientsGiveExactlyTheInnerOptimizersUpdate() {
    // The scale is a power of two, so scaling and unscaling are exact where nothing overflows:
    // the same weights, bit for bit, as the bare optimizer's.
    SplittableRandom r = new SplittableRandom(3);
    float[] xv = new float[16 * 3];
    float[] yv = new float[16 * 2];
    for (int i = 0; i < xv.length; i++) {
      xv[i] = (float) (r.nextDouble() * 2 - 1);
    }
    for (int i = 0; i < yv.length; i++) {
      yv[i] = (float) (r.nextDouble() * 2 - 1);
    }
    Tensor x = Tensor.of(xv, 16, 3);
    Tensor y = Tensor.of(yv, 16, 2);
    List<float[]> plain = train(new Adam(0.01), x, y);
    LossScaleOptimizer scaled = new LossScaleOptimizer(new Adam(0.01));
    List<float[]> withScale = train(scaled, x, y);
    for (int i = 0; i < plain.size(); i++) {
      assertArrayEquals(plain.get(i), withScale.get(i), "weight " + i);
    }
    assertEquals(32768.0, scaled.dynamicScale());
    assertEquals(3, scaled.iterations());
  }

  private static List<float[]> train(Optimizer opt, Tensor x, Tensor y) {
    Kiln.setRandomSeed(5);
    Sequential m = new Sequential(Input.of(3), new Dense(4, "tanh"), new Dense(2));
    m.compile(opt, Losses.get("mse"));
    for (int i = 0; i < 3; i++) {
      m.trainOnBatch(x, y);
    }
    return m.getWeights().stream().map(Tensor::toFloatArray).toList();
  }

  @Test
  void variablesAreSavedInKerasOrder() {
    LossScaleOptimizer o = new LossScaleOptimizer(new SGD(0.1, 0.9, false));
    line(o).trainOnBatch(one(1), one(0));
    List<String> names = o.variables().stream().map(Weight::name).toList();
    assertEquals(
        List.of(
            "iteration",
            "learning_rate",
            "step_counter",
            "dynamic_scale",
            "iteration",
            "learning_rate",
            "momentum"),
        names);
  }

  @Test
  void configRoundTripsAndRefusesTheInnerOptimizersArguments() {
    LossScaleOptimizer o = new LossScaleOptimizer(new SGD(0.5)).dynamicGrowthSteps(7);
    Map<String, Object> c = o.getConfig();
    assertEquals(
        List.of("name", "inner_optimizer", "initial_scale", "dynamic_growth_steps"),
        List.copyOf(c.keySet()));
    assertEquals(32768.0, c.get("initial_scale"));
    Map<String, Object> written = Optimizers.serialize(o);
    LossScaleOptimizer back =
        assertInstanceOf(LossScaleOptimizer.class, Optimizers.deserialize(written));
    assertEquals(c, back.getConfig());
    assertEquals(0.5, back.learningRate(), 1e-12);
    assertInstanceOf(SGD.class, back.innerOptimizer());
    ArgumentException e =
        assertThrows(
            ArgumentException.class,
            () ->
                Optimizers.fromConfig(
                    "LossScaleOptimizer", Map.of("inner_optimizer", "sgd", "clipnorm", 1.0)));
    assertTrue(e.getMessage().contains("`clipnorm`"), e.getMessage());
    assertTrue(e.getMessage().contains("inner_optimizer"), e.getMessage());
    assertThrows(ArgumentException.class, () -> o.clipvalue(1));
    assertThrows(ArgumentException.class, () -> new LossScaleOptimizer(o));
  }

  @Test
  void compileWrapsTheOptimizerUnderMixedFloat16Only() {
    try {
      Kiln.setDtypePolicy("mixed_float16");
      Sequential m = new Sequential(Input.of(2), new Dense(1));
      m.compile("sgd", "mse");
      LossScaleOptimizer o = assertInstanceOf(LossScaleOptimizer.class, m.optimizer());
      assertInstanceOf(SGD.class, o.innerOptimizer());
      Kiln.setDtypePolicy(DTypePolicy.MIXED_BFLOAT16);
      Sequential b = new Sequential(Input.of(2), new Dense(1));
      b.compile("sgd", "mse");
      assertFalse(b.optimizer() instanceof LossScaleOptimizer, "bfloat16 needs no scaling");
    } finally {
      Kiln.setDtypePolicy(DTypePolicy.FLOAT32);
    }
  }
}
