package dev.kiln.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spi.ir.UnaryFn;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The vector tanh and sigmoid are polynomial approximations: each is held to a few units in the
 * last place of float32 against the float64 function, over the whole range, at the boundary between
 * the approximation's pieces, near zero (where tanh's relative error shows) and at the extremes.
 */
class TranscendentalsTest {

  private static float[] inputs() {
    int n = 0;
    float[] x = new float[310_000];
    for (int i = 0; i < 200_000; i++) {
      x[n++] = -20f + 40f * i / 200_000;
    }
    for (int i = 0; i < 40_000; i++) {
      // around the switch at |x| = 0.625 and tiny values, where relative error is hardest
      x[n++] = 0.6f + 0.05f * i / 40_000;
      x[n++] = -(0.6f + 0.05f * i / 40_000);
    }
    for (int i = 0; i < 19_990; i++) {
      x[n++] = (float) Math.scalb(1.0 + i / 19_990.0, -1 - i % 30);
    }
    float[] extremes = {0f, -0f, 1e-30f, -1e-30f, 87f, -87f, 88.5f, -88.5f, 100f, -100f, 1e30f};
    for (float e : extremes) {
      x[n++] = e;
    }
    return java.util.Arrays.copyOf(x, n);
  }

  private static void check(UnaryFn fn, DoubleUnaryOperator exact, double ulps) {
    float[] x = inputs();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment in = arena.allocate((long) x.length * 4, 64);
      MemorySegment out = arena.allocate((long) x.length * 4, 64);
      MemorySegment.copy(x, 0, in, ValueLayout.JAVA_FLOAT, 0, x.length);
      F32Loops.unary(fn, in, out, 0, x.length);
      double worst = 0;
      float worstAt = 0;
      for (int i = 0; i < x.length; i++) {
        double want = exact.applyAsDouble(x[i]);
        double got = out.getAtIndex(ValueLayout.JAVA_FLOAT, i);
        // Relative to the result, but never finer than float32's spacing at the smallest normal.
        double err = Math.abs(got - want) / Math.max(Math.ulp((float) want), Float.MIN_NORMAL);
        if (err > worst) {
          worst = err;
          worstAt = x[i];
        }
      }
      assertTrue(worst <= ulps, fn + ": " + worst + " ulps at x = " + worstAt);
    }
  }

  @Test
  void tanhIsWithinTwoUlps() {
    check(UnaryFn.TANH, Math::tanh, 2);
  }

  @Test
  void sigmoidIsWithinThreeUlps() {
    check(UnaryFn.SIGMOID, v -> 1 / (1 + Math.exp(-v)), 3);
  }

  @Test
  void specialValuesKeepTheirMeaning() {
    float[] x = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f};
    try (Arena arena = Arena.ofConfined()) {
      // a full vector of each value, so the vector loop and not the scalar tail handles it
      int lanes = F32Loops.V;
      MemorySegment in = arena.allocate((long) x.length * lanes * 4, 64);
      MemorySegment t = arena.allocate((long) x.length * lanes * 4, 64);
      MemorySegment s = arena.allocate((long) x.length * lanes * 4, 64);
      for (int i = 0; i < x.length * lanes; i++) {
        in.setAtIndex(ValueLayout.JAVA_FLOAT, i, x[i / lanes]);
      }
      F32Loops.unary(UnaryFn.TANH, in, t, 0, x.length * lanes);
      F32Loops.unary(UnaryFn.SIGMOID, in, s, 0, x.length * lanes);
      float[] tanh = {Float.NaN, 1f, -1f, 0f, -0f};
      float[] sigmoid = {Float.NaN, 1f, 0f, 0.5f, 0.5f};
      for (int i = 0; i < x.length; i++) {
        assertEquals(
            tanh[i], t.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * lanes), "tanh " + x[i]);
        assertEquals(
            sigmoid[i],
            s.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * lanes),
            1e-37,
            "sigmoid " + x[i]);
      }
    }
  }
}
