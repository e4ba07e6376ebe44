package dev.kiln.api.initializers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Initializers: bounds and moments against Keras's formulas, seeding, and special matrices. */
class InitializersTest {
  private static double[] stats(Initializer i, int... shape) {
    HostTensor t = i.initialize(Shape.of(shape), DType.FLOAT32);
    double sum = 0;
    double sq = 0;
    double maxAbs = 0;
    for (int k = 0; k < t.size(); k++) {
      double v = t.getDouble(k);
      sum += v;
      sq += v * v;
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    double mean = sum / t.size();
    return new double[] {mean, Math.sqrt(sq / t.size() - mean * mean), maxAbs};
  }

  @Test
  void varianceScalingFamilies() {
    // Glorot uniform on (400, 600): limit sqrt(6 / 1000), std limit / sqrt(3)
    double limit = Math.sqrt(6.0 / 1000);
    double[] g = stats(Initializers.get("glorot_uniform"), 400, 600);
    assertTrue(g[2] <= limit, "within the limit");
    assertEquals(limit / Math.sqrt(3), g[1], 0.01 * limit);
    // He normal on (500, 300): std sqrt(2 / 500), truncated at 2 std of the underlying normal
    double std = Math.sqrt(2.0 / 500);
    double[] h = stats(Initializers.get("he_normal"), 500, 300);
    assertEquals(std, h[1], 0.02 * std);
    assertTrue(h[2] <= 2 * std / 0.87962566103423978 + 1e-6);
    // LeCun uniform on a conv kernel (3, 3, 16, 32): fan_in = 3 * 3 * 16
    double[] l = stats(Initializers.get("lecun_uniform"), 3, 3, 16, 32);
    assertTrue(l[2] <= Math.sqrt(3.0 / 144));
    assertEquals(Math.sqrt(1.0 / 144), l[1], 0.05 * Math.sqrt(1.0 / 144));
    double[] n = stats(Initializers.randomNormal(1, 0.5, 3L), 300, 300);
    assertEquals(1, n[0], 0.01);
    assertEquals(0.5, n[1], 0.01);
  }

  @Test
  void seedsAndTheGlobalStream() {
    Initializer seeded = Initializers.varianceScaling(1, "fan_avg", "uniform", 42L);
    assertEquals(
        seeded.initialize(Shape.of(4, 4), DType.FLOAT32),
        seeded.initialize(Shape.of(4, 4), DType.FLOAT32));
    Initializer free = Initializers.get("glorot_normal");
    Kiln.setRandomSeed(9);
    HostTensor a = free.initialize(Shape.of(4, 4), DType.FLOAT32);
    HostTensor b = free.initialize(Shape.of(4, 4), DType.FLOAT32);
    Kiln.setRandomSeed(9);
    assertEquals(a, free.initialize(Shape.of(4, 4), DType.FLOAT32));
    assertNotEquals(a, b);
  }

  @Test
  void orthogonalAndIdentity() {
    for (int[] s : new int[][] {{6, 4}, {4, 6}}) {
      HostTensor q = Initializers.orthogonal(1, 1L).initialize(Shape.of(s), DType.FLOAT64);
      int r = s[0];
      int c = s[1];
      // The smaller side's vectors are orthonormal.
      boolean cols = r >= c;
      int k = Math.min(r, c);
      int len = Math.max(r, c);
      for (int i = 0; i < k; i++) {
        for (int j = 0; j < k; j++) {
          double dot = 0;
          for (int t = 0; t < len; t++) {
            double a = cols ? q.getDouble(t * c + i) : q.getDouble(i * c + t);
            double b = cols ? q.getDouble(t * c + j) : q.getDouble(j * c + t);
            dot += a * b;
          }
          assertEquals(i == j ? 1 : 0, dot, 1e-9);
        }
      }
    }
    HostTensor id = Initializers.identity(2).initialize(Shape.of(2, 3), DType.FLOAT32);
    assertEquals(HostTensor.of(Shape.of(2, 3), new float[] {2, 0, 0, 0, 2, 0}), id);
    assertThrows(
        IllegalArgumentException.class,
        () -> Initializers.identity(1).initialize(Shape.of(2, 2, 2), DType.FLOAT32));
  }

  @Test
  void namesAndConfigs() {
    assertEquals("HeNormal", Initializers.get("HeNormal").className());
    assertEquals(
        "VarianceScaling",
        Initializers.deserialize(
                Map.of(
                    "class_name",
                    "VarianceScaling",
                    "config",
                    Map.of("scale", 2.0, "mode", "fan_out", "distribution", "uniform")))
            .className());
    KilnException e = assertThrows(KilnException.class, () -> Initializers.get("glorot"));
    assertTrue(e.getMessage().contains("glorot_uniform"));
    assertThrows(
        IllegalArgumentException.class,
        () -> Initializers.varianceScaling(1, "fan_sideways", "uniform", null));
  }
}
