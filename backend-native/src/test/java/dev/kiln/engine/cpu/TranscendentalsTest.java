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
 * The vector exp, tanh and sigmoid are polynomial approximations: each is held to a few units in
 * the last place of float32 against the float64 function, over the whole range, at the boundary
 * between the approximation's pieces, near zero (where tanh's relative error shows) and at the
 * extremes. Every transcendental loop, and the lane sum of reductions, must give the same bits
 * before and after C2 compiles it, or a seeded training run would depend on the JIT's timing.
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
  void expIsWithinOneUlp() {
    check(UnaryFn.EXP, Math::exp, 1);
  }

  /** The vector exp's polynomial step by step in scalar float arithmetic, which JLS fixes. */
  private static float expTwin(float x) {
    if (x < F32Loops.EXP_LO || x > F32Loops.EXP_HI) {
      return (float) Math.exp(x);
    }
    float rounder = 12582912f;
    float t = Math.fma(x, 1.44269504088896341f, rounder);
    float nf = t - rounder;
    float r = Math.fma(nf, -0.693145751953125f, x);
    r = Math.fma(nf, -1.428606765330187e-6f, r);
    float p = Math.fma(r, 1f / 5040, 1f / 720);
    for (float c : new float[] {1f / 120, 1f / 24, 1f / 6, 0.5f, 1f, 1f}) {
      p = Math.fma(p, r, c);
    }
    float scale =
        Float.intBitsToFloat(
            (Float.floatToRawIntBits(t) - (Float.floatToRawIntBits(rounder) - 127)) << 23);
    return p * scale;
  }

  @Test
  void expm1IsWithinTwoUlps() {
    check(UnaryFn.EXPM1, Math::expm1, 2);
  }

  /** The vector expm1 in scalar float arithmetic. */
  private static float expm1Twin(float x) {
    if (x > F32Loops.EXP_HI) {
      return (float) Math.expm1(x);
    }
    if (Math.abs(x) >= 1) {
      return expTwin(Math.max(x, F32Loops.EXP_LO)) - 1;
    }
    float[] terms = F32Loops.EXPM1_TERMS;
    float p = terms[0];
    for (int k = 1; k < terms.length; k++) {
      p = Math.fma(p, x, terms[k]);
    }
    return p * x;
  }

  @Test
  void transcendentalsGiveTheSameBitsOnceCompiled() {
    int n = 1024;
    float[] x = new float[n];
    java.util.Random rnd = new java.util.Random(11);
    for (int i = 0; i < n; i++) {
      x[i] = (float) (rnd.nextGaussian() * 4);
    }
    x[0] = 95f;
    x[1] = -95f;
    java.util.Map<UnaryFn, DoubleUnaryOperator> twins = new java.util.LinkedHashMap<>();
    twins.put(UnaryFn.EXP, v -> expTwin((float) v));
    twins.put(UnaryFn.EXPM1, v -> expm1Twin((float) v));
    twins.put(UnaryFn.LOG, v -> Math.log(Math.abs(v)));
    twins.put(UnaryFn.LOG1P, v -> Math.log1p(Math.abs(v)));
    twins.put(UnaryFn.SIN, Math::sin);
    twins.put(UnaryFn.COS, Math::cos);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment in = arena.allocate(n * 4L, 64);
      MemorySegment out = arena.allocate(n * 4L, 64);
      for (var e : twins.entrySet()) {
        boolean positive = e.getKey() == UnaryFn.LOG || e.getKey() == UnaryFn.LOG1P;
        for (int i = 0; i < n; i++) {
          in.setAtIndex(ValueLayout.JAVA_FLOAT, i, positive ? Math.abs(x[i]) : x[i]);
        }
        // Enough calls for C2 to compile the loop, whose bits are the ones that could differ.
        for (int rep = 0; rep < 20_000; rep++) {
          F32Loops.unary(e.getKey(), in, out, 0, n);
        }
        for (int i = 0; i < n; i++) {
          float want = (float) e.getValue().applyAsDouble(x[i]);
          float got = out.getAtIndex(ValueLayout.JAVA_FLOAT, i);
          assertEquals(
              Float.floatToRawIntBits(want),
              Float.floatToRawIntBits(got),
              e.getKey() + " of " + x[i] + ": " + got + ", not " + want);
        }
      }
    }
  }

  @Test
  void rowSumsGiveTheSameBitsOnceCompiled() {
    int rows = 256;
    int len = 8 * F32Loops.V + 3;
    java.util.Random rnd = new java.util.Random(5);
    float[] x = new float[rows * len];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextGaussian() * (1 << rnd.nextInt(12));
    }
    Kernel sum =
        VectorKernels.reduce(
            new dev.kiln.spi.ir.ReductionOp.Reduce(
                dev.kiln.spi.ir.ReduceFn.SUM, new int[] {1}, false),
            dev.kiln.spi.Shape.of(rows, len));
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment in = arena.allocate(x.length * 4L, 64);
      MemorySegment out = arena.allocate(rows * 4L, 64);
      MemorySegment.copy(x, 0, in, ValueLayout.JAVA_FLOAT, 0, x.length);
      for (int rep = 0; rep < 5_000; rep++) {
        sum.run(new MemorySegment[] {in}, new MemorySegment[] {out});
      }
      int v = F32Loops.V;
      for (int r = 0; r < rows; r++) {
        // Lane j sums elements j, j + V, ...; then the lanes in order, then the tail.
        float[] lanes = new float[v];
        int i = 0;
        for (; i + v <= len; i += v) {
          for (int j = 0; j < v; j++) {
            lanes[j] += x[r * len + i + j];
          }
        }
        float want = lanes[0];
        for (int j = 1; j < v; j++) {
          want += lanes[j];
        }
        for (; i < len; i++) {
          want += x[r * len + i];
        }
        float got = out.getAtIndex(ValueLayout.JAVA_FLOAT, r);
        assertEquals(
            Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), "row " + r + ": " + got);
      }
    }
  }

  @Test
  void softmaxGivesExactZerosForMaskedLogits() {
    int len = 2 * F32Loops.V;
    float[] x = new float[len];
    for (int i = 0; i < len; i++) {
      // Masked positions, as attention masks them, and one far below the clamp but finite.
      x[i] = i % 3 == 0 ? -1e9f : i == 1 ? -95f : (float) Math.sin(i);
    }
    Kernel softmax = VectorKernels.softmax(dev.kiln.spi.Shape.of(1, len), false);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment in = arena.allocate(len * 4L, 64);
      MemorySegment out = arena.allocate(len * 4L, 64);
      MemorySegment.copy(x, 0, in, ValueLayout.JAVA_FLOAT, 0, len);
      softmax.run(new MemorySegment[] {in}, new MemorySegment[] {out});
      double max = -Double.MAX_VALUE;
      for (float v : x) {
        max = Math.max(max, v);
      }
      double sum = 0;
      for (float v : x) {
        sum += Math.exp(v - max);
      }
      for (int i = 0; i < len; i++) {
        float got = out.getAtIndex(ValueLayout.JAVA_FLOAT, i);
        if (x[i] < -90) {
          assertEquals(0f, got, "position " + i + " of " + x[i]);
        } else {
          assertEquals(Math.exp(x[i] - max) / sum, got, 1e-6, "position " + i);
        }
      }
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
