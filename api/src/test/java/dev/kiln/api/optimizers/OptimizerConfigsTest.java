package dev.kiln.api.optimizers;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.api.registry.ArgumentException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Optimizers made from configs behave as the ones made in Java. */
class OptimizerConfigsTest {
  private static final float[] A = {1};
  private static final float[] B = {0};
  private static final float[] W0 = {2};

  @Test
  void configMadeOptimizersStepAsJavaMadeOnes() {
    // AdamW: decay 2 * 0.1 * 0.5 = 0.1, then Adam's first step of 0.1 (as adamWDecaysThenUpdates).
    Optimizer adamw =
        Optimizers.fromConfig("AdamW", Map.of("learning_rate", 0.1, "weight_decay", 0.5));
    assertClose("adamw", 1.8, OptimizersTest.trajectory(adamw, A, B, W0, 1)[0][0], 1e-5);
    Optimizer nesterov =
        Optimizers.deserialize(
            Map.of(
                "class_name",
                "SGD",
                "config",
                Map.of("learning_rate", 0.1, "momentum", 0.9, "nesterov", true)));
    double[][] a = OptimizersTest.trajectory(nesterov, A, B, W0, 3);
    double[][] b = OptimizersTest.trajectory(new SGD(0.1, 0.9, true), A, B, W0, 3);
    double[][] plain = OptimizersTest.trajectory(new SGD(0.1, 0.9, false), A, B, W0, 3);
    for (int i = 0; i < 3; i++) {
      assertClose("sgd step " + i, b[i], a[i], 1e-7);
    }
    if (Math.abs(plain[2][0] - a[2][0]) < 1e-4) {
      throw new AssertionError("nesterov was not read from the config");
    }
  }

  @Test
  void aScheduleFromTheConfigDrivesTheRate() {
    Optimizer sgd =
        Optimizers.fromConfig(
            "sgd",
            Map.of(
                "learning_rate",
                Map.of(
                    "class_name",
                    "PiecewiseConstantDecay",
                    "config",
                    Map.of("boundaries", List.of(0), "values", List.of(1.0, 0.5)))));
    assertEquals(1.0, sgd.learningRate());
    sgd.afterStep();
    assertEquals(0.5, sgd.learningRate());
  }

  @Test
  void namesAndCrossChecks() {
    assertInstanceOf(RMSprop.class, Optimizers.get("RMSProp"));
    assertInstanceOf(AdamW.class, Optimizers.get("AdamW"));
    assertEquals("my_sgd", Optimizers.fromConfig("SGD", Map.of("name", "my_sgd")).name());
    assertThrows(
        ArgumentException.class,
        () ->
            Optimizers.fromConfig(
                "AdamW", java.util.Collections.singletonMap("weight_decay", null)));
    ArgumentException both =
        assertThrows(
            ArgumentException.class,
            () -> Optimizers.fromConfig("SGD", Map.of("clipnorm", 1.0, "global_clipnorm", 1.0)));
    assertEquals(
        "optimizer 'SGD': only one of `clipnorm` and `global_clipnorm` can be set",
        both.getMessage());
  }
}
