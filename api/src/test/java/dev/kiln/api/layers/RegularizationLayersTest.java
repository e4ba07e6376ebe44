package dev.kiln.api.layers;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static dev.kiln.api.layers.FamilyGolden.model;
import static dev.kiln.api.layers.FamilyGolden.predict;
import static dev.kiln.api.layers.FamilyGolden.trainingForward;
import static dev.kiln.api.layers.LayerTestSupport.runLayerTest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Tensor;
import dev.kiln.api.layers.LayerTestSupport.Expect;
import dev.kiln.api.layers.LayerTestSupport.LayerCase;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.regularization.ActivityRegularization;
import dev.kiln.api.layers.regularization.AlphaDropout;
import dev.kiln.api.layers.regularization.GaussianDropout;
import dev.kiln.api.layers.regularization.GaussianNoise;
import dev.kiln.api.layers.regularization.SpatialDropout1D;
import dev.kiln.api.layers.regularization.SpatialDropout2D;
import dev.kiln.api.layers.regularization.SpatialDropout3D;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.models.Model;
import dev.kiln.api.optimizers.SGD;
import dev.kiln.api.registry.ArgumentException;
import dev.kiln.spi.DType;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The regularization layers: runLayerTest per layer, then what their randomness must satisfy in
 * training (whole channels dropped and the rest scaled by {@code 1 / (1 - rate)}, the noise's mean
 * and spread, AlphaDropout's two values) on both backends, the same draws on both backends for one
 * key, the identity in inference, and ActivityRegularization's penalty in the loss.
 */
class RegularizationLayersTest {
  private static Expect same(int... shape) {
    return new Expect(shape, 0, false);
  }

  @TestFactory
  Stream<DynamicTest> runLayerTests() {
    return LayerTestSupport.onEveryBackend(cases());
  }

  @TestFactory
  Stream<DynamicTest> trainingBehaviour() {
    return LayerTestSupport.onEveryBackend(behaviourCases());
  }

  /** A runLayerTest case per regularization layer. */
  static List<LayerCase> cases() {
    return List.of(
        new LayerCase(
            "SpatialDropout1D",
            () -> runLayerTest(() -> new SpatialDropout1D(0.5), new int[] {4, 3}, same(4, 3))),
        new LayerCase(
            "SpatialDropout2D",
            () ->
                runLayerTest(() -> new SpatialDropout2D(0.5), new int[] {2, 2, 3}, same(2, 2, 3))),
        new LayerCase(
            "SpatialDropout3D [channels first]",
            () ->
                runLayerTest(
                    () -> new SpatialDropout3D(0.5).dataFormat("channels_first"),
                    new int[] {3, 2, 2, 2},
                    same(3, 2, 2, 2))),
        new LayerCase(
            "GaussianNoise",
            () -> runLayerTest(() -> new GaussianNoise(0.1), new int[] {3}, same(3))),
        new LayerCase(
            "GaussianDropout",
            () -> runLayerTest(() -> new GaussianDropout(0.3), new int[] {3}, same(3))),
        new LayerCase(
            "AlphaDropout",
            () -> runLayerTest(() -> new AlphaDropout(0.2), new int[] {3}, same(3))),
        new LayerCase(
            "ActivityRegularization",
            () ->
                runLayerTest(
                    () -> new ActivityRegularization(0.01, 0.02), new int[] {3}, same(3))));
  }

  /** Each random layer's training behaviour, and its identity in inference. */
  static List<LayerCase> behaviourCases() {
    return List.of(
        new LayerCase("SpatialDropout1D drops channels", RegularizationLayersTest::spatial1D),
        new LayerCase("SpatialDropout2D drops channels", RegularizationLayersTest::spatial2D),
        new LayerCase(
            "SpatialDropout3D drops channels first", RegularizationLayersTest::spatial3DFirst),
        new LayerCase("GaussianNoise statistics", RegularizationLayersTest::gaussianNoise),
        new LayerCase("GaussianDropout statistics", RegularizationLayersTest::gaussianDropout),
        new LayerCase("AlphaDropout affine correction", RegularizationLayersTest::alphaDropout),
        new LayerCase("inference is the identity", RegularizationLayersTest::inferenceIdentity),
        new LayerCase(
            "ActivityRegularization adds its penalty", RegularizationLayersTest::activityPenalty));
  }

  private static Tensor ones(int... shape) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    float[] v = new float[n];
    java.util.Arrays.fill(v, 1);
    return Tensor.of(v, shape);
  }

  /**
   * Checks that each (example, channel) slice of a training output on an all-ones input is all 0 or
   * all {@code 1 / (1 - rate)}, and that about {@code rate} of them are 0.
   */
  private static void checkChannels(
      Tensor y, int batch, int channels, int spatial, boolean first, double rate) {
    double[] v = y.toDoubleArray();
    double scale = 1 / (1 - rate);
    int dropped = 0;
    for (int b = 0; b < batch; b++) {
      for (int c = 0; c < channels; c++) {
        double firstValue = Double.NaN;
        for (int s = 0; s < spatial; s++) {
          int i = first ? (b * channels + c) * spatial + s : (b * spatial + s) * channels + c;
          if (s == 0) {
            firstValue = v[i];
          }
          assertEquals(
              firstValue, v[i], 0, "channel " + c + " of example " + b + " is not uniform");
        }
        assertTrue(
            firstValue == 0 || Math.abs(firstValue - scale) < 1e-6,
            "a kept channel is scaled by 1 / (1 - rate): " + firstValue);
        dropped += firstValue == 0 ? 1 : 0;
      }
    }
    double fraction = dropped / (double) (batch * channels);
    // 512 channel draws: the fraction is within 0.1 of the rate with near certainty.
    assertTrue(
        Math.abs(fraction - rate) < 0.1, "dropped fraction " + fraction + " for rate " + rate);
  }

  private static void spatial1D() {
    Tensor x = ones(16, 5, 32);
    Tensor y = trainingForward(new SpatialDropout1D(0.3), 3, x);
    checkChannels(y, 16, 32, 5, false, 0.3);
  }

  private static void spatial2D() {
    Tensor x = ones(16, 3, 2, 32);
    Tensor y = trainingForward(new SpatialDropout2D(0.5), 4, x);
    checkChannels(y, 16, 32, 6, false, 0.5);
  }

  private static void spatial3DFirst() {
    Tensor x = ones(16, 32, 2, 2, 2);
    Tensor y = trainingForward(new SpatialDropout3D(0.25).dataFormat("channels_first"), 5, x);
    checkChannels(y, 16, 32, 8, true, 0.25);
  }

  private static double mean(double[] v) {
    double s = 0;
    for (double d : v) {
      s += d;
    }
    return s / v.length;
  }

  private static double std(double[] v) {
    double m = mean(v);
    double s = 0;
    for (double d : v) {
      s += (d - m) * (d - m);
    }
    return Math.sqrt(s / v.length);
  }

  private static void gaussianNoise() {
    // 4096 draws: the sample mean is within 4 standard errors (0.0125 for stddev 0.2) of 0.
    double[] v = trainingForward(new GaussianNoise(0.2), 6, ones(64, 64)).toDoubleArray();
    assertEquals(1, mean(v), 0.0125, "mean of x + noise");
    assertEquals(0.2, std(v), 0.01, "spread of the noise");
  }

  private static void gaussianDropout() {
    double rate = 0.2;
    double[] v = trainingForward(new GaussianDropout(rate), 7, ones(64, 64)).toDoubleArray();
    assertEquals(1, mean(v), 0.03, "mean of the multiplicative noise");
    assertEquals(Math.sqrt(rate / (1 - rate)), std(v), 0.02, "spread sqrt(rate / (1 - rate))");
  }

  private static void alphaDropout() {
    double rate = 0.3;
    double alphaP = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946;
    double a = Math.pow((1 - rate) * (1 + rate * alphaP * alphaP), -0.5);
    double b = -a * alphaP * rate;
    float[] x = new float[32 * 8 * 4];
    java.util.Arrays.fill(x, 0.75f);
    // One draw per (example, channel), shared over the 8 steps.
    AlphaDropout layer = new AlphaDropout(rate).noiseShape(null, 1, null);
    double[] v = trainingForward(layer, 8, Tensor.of(x, 32, 8, 4)).toDoubleArray();
    double kept = a * 0.75 + b;
    double dropped = a * alphaP + b;
    int nDropped = 0;
    for (int e = 0; e < 32; e++) {
      for (int c = 0; c < 4; c++) {
        double first = v[e * 32 + c];
        assertTrue(
            Math.abs(first - kept) < 1e-5 || Math.abs(first - dropped) < 1e-5,
            "values are a x + b or a alpha' + b, got " + first);
        nDropped += Math.abs(first - dropped) < 1e-5 ? 1 : 0;
        for (int s = 1; s < 8; s++) {
          assertEquals(first, v[e * 32 + s * 4 + c], 1e-6, "the noise shape shares the draw");
        }
      }
    }
    assertEquals(rate, nDropped / 128.0, 0.15, "dropped fraction");
  }

  private static void inferenceIdentity() {
    List<Supplier<Layer>> layers =
        List.of(
            () -> new SpatialDropout1D(0.5),
            () -> new GaussianNoise(0.5),
            () -> new GaussianDropout(0.5),
            () -> new AlphaDropout(0.5),
            () -> new ActivityRegularization(1, 1));
    Tensor x = LayerTestSupport.random(DType.FLOAT32, new int[] {2, 3, 4}, 11);
    for (Supplier<Layer> f : layers) {
      Layer l = f.get();
      assertArrayEquals(
          x.toFloatArray(), predict(model(l, x), x).toFloatArray(), l.className() + " in predict");
    }
  }

  private static void activityPenalty() {
    // y equals the output, so the loss is the penalty alone: (l1 sum|x| + l2 sum x^2) / batch.
    Dense d = new Dense(2).useBias(false);
    var in = Input.of(2);
    Model m = Model.of(in, new ActivityRegularization(0.1, 0.5).apply(d.apply(in)));
    Tensor x = Tensor.of(new float[][] {{1, 2}, {3, -1}});
    m.predict(x);
    d.setWeights(List.of(Tensor.of(new float[] {1, 0, 0, 1}, 2, 2)));
    m.compile(new SGD(0.01), Losses.get("mse"));
    double loss = m.trainOnBatch(x, x).get("loss");
    // sum|x| = 7, sum x^2 = 15, batch 2: (0.7 + 7.5) / 2
    assertClose("penalty in the loss", 4.1, loss, 1e-5);
  }

  /** The same step key gives the same drop pattern on both backends. */
  @Test
  void sameKeySameMaskOnBothBackends() {
    Tensor x = ones(8, 4, 16);
    try {
      LayerTestSupport.useBackend("native");
      double[] a = trainingForward(new SpatialDropout1D(0.5), 42, x).toDoubleArray();
      double[] an = trainingForward(new GaussianNoise(0.3), 42, x).toDoubleArray();
      LayerTestSupport.useBackend("nd4j");
      double[] b = trainingForward(new SpatialDropout1D(0.5), 42, x).toDoubleArray();
      double[] bn = trainingForward(new GaussianNoise(0.3), 42, x).toDoubleArray();
      assertArrayEquals(a, b, "SpatialDropout1D's mask for one key");
      assertArrayEquals(an, bn, 1e-6, "GaussianNoise's noise for one key");
      double[] other = trainingForward(new SpatialDropout1D(0.5), 43, x).toDoubleArray();
      assertTrue(!java.util.Arrays.equals(a, other), "another key gives another mask");
    } finally {
      LayerTestSupport.useDefaultBackend();
    }
  }

  @Test
  void badArguments() {
    assertThrows(ArgumentException.class, () -> new SpatialDropout2D(1.5));
    assertThrows(ArgumentException.class, () -> new GaussianNoise(-0.1));
    assertThrows(ArgumentException.class, () -> new ActivityRegularization(-1, 0));
    assertThrows(
        ArgumentException.class, () -> new SpatialDropout2D(0.1).dataFormat("channels_middle"));
    var e =
        assertThrows(
            dev.kiln.api.KilnException.class, () -> new SpatialDropout2D(0.1).apply(Input.of(3)));
    assertTrue(e.getMessage().contains("expected ndim=4"), e.getMessage());
  }
}
