package dev.kiln.api.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.DTypePolicy;
import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.LayerTestSupport;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.layers.convolutional.Conv2D;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.core.InputLayer;
import dev.kiln.api.layers.normalization.BatchNormalization;
import dev.kiln.api.layers.pooling.MaxPooling2D;
import dev.kiln.api.layers.reshaping.Flatten;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.optimizers.Adam;
import dev.kiln.api.optimizers.LossScaleOptimizer;
import dev.kiln.spi.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * A small MLP and a small CNN (with BatchNormalization) trained under {@code mixed_float16} and
 * {@code mixed_bfloat16} on every backend reach nearly the loss of the same model, from the same
 * initial weights, trained in float32; their variables stay float32 and their layers return float16
 * or bfloat16.
 *
 * <p>Tolerance: after {@link #STEPS} full-batch Adam steps the mixed loss must lie within {@link
 * #TOLERANCE} (absolute) of the float32 loss. Measured when the test was written, on both backends:
 * float32 ends at 0.163 (MLP) and 0.025 (CNN); the mixed runs differ from it by at most 0.0003
 * (MLP) and 0.0029 (CNN, bfloat16 on nd4j). A 16-bit forward pass rounds each activation by up to
 * 2^-11 (float16) or 2^-8 (bfloat16) relative, so the trajectories part by a fraction of a percent
 * per step; 0.01 leaves three times the largest difference seen while a wrong cast (weights not
 * read in the compute dtype, gradients not unscaled) moves the loss by far more or changes the
 * dtypes checked. The loss must also fall below half its first value, so a model that does not
 * learn fails.
 */
class MixedPrecisionTrainingTest {
  private static final int STEPS = 30;

  private static final double TOLERANCE = 0.01;

  private static Tensor mlpX() {
    return random(new int[] {48, 6}, 1);
  }

  private static Tensor cnnX() {
    return random(new int[] {24, 6, 6, 1}, 2);
  }

  private static Tensor random(int[] shape, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return Tensor.of(v, shape);
  }

  /** Three classes by a fixed linear rule on the flattened input: learnable, not trivially. */
  private static Tensor labels(Tensor x) {
    int n = x.length();
    float[] v = x.toFloatArray();
    int d = v.length / n;
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      double[] s = new double[3];
      for (int j = 0; j < d; j++) {
        s[j % 3] += v[i * d + j] * (j % 2 == 0 ? 1 : 0.5);
      }
      y[i] = s[0] >= s[1] && s[0] >= s[2] ? 0 : s[1] >= s[2] ? 1 : 2;
    }
    return Tensor.of(y);
  }

  private static Sequential mlp() {
    return new Sequential(Input.of(6), new Dense(16, "relu"), new Dense(3));
  }

  private static Sequential cnn() {
    return new Sequential(
        Input.of(6, 6, 1),
        new Conv2D(4, 3).activation("relu"),
        new BatchNormalization(),
        new MaxPooling2D(2),
        new Flatten(),
        new Dense(3));
  }

  private record Run(double first, double last, Sequential model) {}

  private static Run train(DTypePolicy policy, Supplier<Sequential> make, Tensor x) {
    Kiln.setDtypePolicy(policy);
    Kiln.setRandomSeed(7);
    Sequential m;
    try {
      m = make.get();
    } finally {
      Kiln.setDtypePolicy(DTypePolicy.FLOAT32);
    }
    m.compile(
        new Adam(0.02), new Losses.SparseCategoricalCrossentropy().fromLogits(true), "accuracy");
    Tensor y = labels(x);
    double first = Double.NaN;
    double last = Double.NaN;
    for (int i = 0; i < STEPS; i++) {
      double loss = m.trainOnBatch(x, y).get("loss");
      if (i == 0) {
        first = loss;
      }
      last = loss;
    }
    return new Run(first, last, m);
  }

  private static void check(String what, DTypePolicy policy, Supplier<Sequential> make, Tensor x) {
    Run f32 = train(DTypePolicy.FLOAT32, make, x);
    Run mixed = train(policy, make, x);
    Sequential m = mixed.model();
    DType compute = policy.computeDtype();
    for (Weight w : m.weights()) {
      assertEquals(DType.FLOAT32, w.type().dtype(), what + ": variable " + w.path());
    }
    for (Layer l : m.layers()) {
      if (l instanceof InputLayer) {
        continue;
      }
      assertEquals(
          compute, l.calls().get(0).outputs().get(0).dtype(), what + ": output of " + l.name());
    }
    assertEquals(compute, m.predict(x).dtype(), what + ": predictions");
    if (policy == DTypePolicy.MIXED_FLOAT16) {
      LossScaleOptimizer o = assertInstanceOf(LossScaleOptimizer.class, m.optimizer());
      // No step overflowed at 2^15 here: every step applied.
      assertEquals(STEPS, o.iterations(), what + ": steps applied");
    }
    assertTrue(
        mixed.last() < 0.5 * mixed.first(),
        what + ": learns, " + mixed.first() + " -> " + mixed.last());
    double tolerance = TOLERANCE;
    assertTrue(
        Math.abs(mixed.last() - f32.last()) <= tolerance,
        what
            + ": loss after "
            + STEPS
            + " steps "
            + mixed.last()
            + ", float32 "
            + f32.last()
            + ", allowed difference "
            + tolerance);
  }

  @Test
  void batchNormalizationComputesItsStatisticsInFloat32() {
    // Squares of +-3000 (9e6) overflow float16 (largest 65504): in float16 the batch variance, and
    // then the moving variance, would be infinite. Keras normalizes 16-bit inputs in float32.
    Kiln.setDtypePolicy(DTypePolicy.MIXED_FLOAT16);
    Sequential m;
    try {
      m = new Sequential(Input.of(1), new BatchNormalization());
    } finally {
      Kiln.setDtypePolicy(DTypePolicy.FLOAT32);
    }
    m.compile("sgd", "mse");
    Tensor x = Tensor.of(new float[] {1000, -1000, 3000, -3000}, 4, 1);
    double loss = m.trainOnBatch(x, Tensor.of(new float[4], 4, 1)).get("loss");
    assertTrue(Double.isFinite(loss), "loss " + loss);
    // moving_variance = 0.99 * 1 + 0.01 * 5e6 (the batch variance), a float32 weight.
    Weight movingVariance = m.layers().get(m.layers().size() - 1).weights().get(3);
    assertEquals("moving_variance", movingVariance.name());
    assertEquals(DType.FLOAT32, movingVariance.type().dtype());
    assertEquals(50000.99, movingVariance.read().getDouble(0), 0.05);
    assertEquals(DType.FLOAT16, m.predict(x).dtype());
  }

  @TestFactory
  Stream<DynamicTest> mixedModelsTrainLikeFloat32() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String backend : LayerTestSupport.backends()) {
      for (DTypePolicy p : List.of(DTypePolicy.MIXED_FLOAT16, DTypePolicy.MIXED_BFLOAT16)) {
        for (String model : List.of("mlp", "cnn")) {
          String what = model + " " + p.name() + " on " + backend;
          tests.add(
              DynamicTest.dynamicTest(
                  what,
                  () -> {
                    LayerTestSupport.useBackend(backend);
                    try {
                      if (model.equals("mlp")) {
                        check(what, p, MixedPrecisionTrainingTest::mlp, mlpX());
                      } else {
                        check(what, p, MixedPrecisionTrainingTest::cnn, cnnX());
                      }
                    } finally {
                      LayerTestSupport.useDefaultBackend();
                    }
                  }));
        }
      }
    }
    return tests.stream();
  }
}
