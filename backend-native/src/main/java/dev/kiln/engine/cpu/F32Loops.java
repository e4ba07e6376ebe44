package dev.kiln.engine.cpu;

import dev.kiln.spi.ir.BinaryFn;
import dev.kiln.spi.ir.UnaryFn;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.function.DoubleUnaryOperator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 elementwise loops, one small method per function and operand layout. The Vector API
 * compiles an operation to SIMD instructions only when the operator is a constant at the call, so
 * each function has its own loop with its operator written out; a shared loop taking the operator
 * as a parameter ran at scalar speed (measured: 2.5 ms instead of 0.1 ms for 400K multiplies). Each
 * loop is its own method so the JIT compiles each alone and early, rather than one large method
 * whose compilation depends on which loop got hot first. Each loop runs the vector body and
 * finishes the tail with the same operation on scalars.
 */
final class F32Loops {
  static final VectorSpecies<Float> S = VectorWidth.F32;
  static final int V = S.length();
  private static final ByteOrder O = ByteOrder.nativeOrder();
  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
  private static final FloatVector ONE = FloatVector.broadcast(S, 1f);
  private static final FloatVector TWO = FloatVector.broadcast(S, 2f);

  private F32Loops() {}

  /** True if {@link #unary} has a vector loop for {@code fn}. */
  static boolean hasUnary(UnaryFn fn) {
    return switch (fn) {
      case NEG,
          ABS,
          EXP,
          EXPM1,
          LOG,
          LOG1P,
          SQRT,
          RSQRT,
          SQUARE,
          RECIPROCAL,
          SIN,
          COS,
          TANH,
          SIGMOID ->
          true;
      default -> false;
    };
  }

  /**
   * True for the functions whose vector loop is a polynomial or a division per element: a few dozen
   * operations per vector, so a row of a few thousand is worth splitting across threads.
   */
  static boolean isCostly(UnaryFn fn) {
    return switch (fn) {
      case EXP, EXPM1, LOG, LOG1P, SIN, COS, TANH, SIGMOID -> true;
      default -> false;
    };
  }

  /** True if the binary loops handle {@code fn}. */
  static boolean hasBinary(BinaryFn fn) {
    return switch (fn) {
      case ADD, SUB, MUL, DIV, MAX, MIN -> true;
      default -> false;
    };
  }

  /** {@code y[i] = fn(x[i])} for i in [from, to). */
  static void unary(UnaryFn fn, MemorySegment xs, MemorySegment ys, long from, long to) {
    unary(fn, xs, from, ys, from, to - from);
  }

  /** {@code y[yOff + i] = fn(x[xOff + i])} for i in [0, n). */
  static void unary(UnaryFn fn, MemorySegment xs, long xOff, MemorySegment ys, long yOff, long n) {
    switch (fn) {
      case NEG -> neg(xs, xOff, ys, yOff, n);
      case ABS -> abs(xs, xOff, ys, yOff, n);
      case EXP -> exp(xs, xOff, ys, yOff, n);
      case EXPM1 -> expm1(xs, xOff, ys, yOff, n);
      case LOG -> log(xs, xOff, ys, yOff, n);
      case LOG1P -> log1p(xs, xOff, ys, yOff, n);
      case SQRT -> sqrt(xs, xOff, ys, yOff, n);
      case RSQRT -> rsqrt(xs, xOff, ys, yOff, n);
      case SQUARE -> square(xs, xOff, ys, yOff, n);
      case RECIPROCAL -> reciprocal(xs, xOff, ys, yOff, n);
      case SIN -> sin(xs, xOff, ys, yOff, n);
      case COS -> cos(xs, xOff, ys, yOff, n);
      case TANH -> tanh(xs, xOff, ys, yOff, n);
      case SIGMOID -> sigmoid(xs, xOff, ys, yOff, n);
      default -> throw new IllegalArgumentException("no vector loop for " + fn);
    }
  }

  private static void neg(MemorySegment xs, long xOff, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector x = FloatVector.fromMemorySegment(S, xs, (xOff + i) * 4, O);
      x.neg().intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float v = xs.getAtIndex(F, xOff + i);
      ys.setAtIndex(F, yOff + i, -v);
    }
  }

  private static void abs(MemorySegment xs, long xOff, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector x = FloatVector.fromMemorySegment(S, xs, (xOff + i) * 4, O);
      x.abs().intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float v = xs.getAtIndex(F, xOff + i);
      ys.setAtIndex(F, yOff + i, Math.abs(v));
    }
  }

  private static void exp(MemorySegment xs, long xOff, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector x = FloatVector.fromMemorySegment(S, xs, (xOff + i) * 4, O);
      // Past the clamp (overflow to infinity, results below the smallest normal float) the
      // scalar function gives the exact answer; such lanes are rare in real inputs.
      VectorMask<Float> past =
          x.compare(VectorOperators.LT, EXP_LO).or(x.compare(VectorOperators.GT, EXP_HI));
      scalarWhere(past, expClamped(x), x, Math::exp).intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float v = xs.getAtIndex(F, xOff + i);
      ys.setAtIndex(F, yOff + i, (float) Math.exp(v));
    }
  }

  private static void expm1(MemorySegment xs, long xOff, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector x = FloatVector.fromMemorySegment(S, xs, (xOff + i) * 4, O);
      VectorMask<Float> past = x.compare(VectorOperators.GT, EXP_HI);
      scalarWhere(past, expm1(x), x, Math::expm1).intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float v = xs.getAtIndex(F, xOff + i);
      ys.setAtIndex(F, yOff + i, (float) Math.expm1(v));
    }
  }

  /** {@code y} with the lanes set in {@code where} replaced by {@code f} of {@code x}'s lanes. */
  private static FloatVector scalarWhere(
      VectorMask<Float> where, FloatVector y, FloatVector x, DoubleUnaryOperator f) {
    if (!where.anyTrue()) {
      return y;
    }
    float[] lanes = y.toArray();
    float[] in = x.toArray();
    for (int j = 0; j < lanes.length; j++) {
      if (where.laneIsSet(j)) {
        lanes[j] = (float) f.applyAsDouble(in[j]);
      }
    }
    return FloatVector.fromArray(S, lanes, 0);
  }

  // e^x - 1 below |x| = 1 by its Taylor series to x^11 (truncation below 3e-8 relative), where
  // e^x - 1 would cancel; above, e^x - 1, which cancels at most 1.6 times there.
  static final float[] EXPM1_TERMS = {
    1f / 39916800,
    1f / 3628800,
    1f / 362880,
    1f / 40320,
    1f / 5040,
    1f / 720,
    1f / 120,
    1f / 24,
    1f / 6,
    0.5f,
    1f
  };
  private static final FloatVector[] EXPM1_V = new FloatVector[EXPM1_TERMS.length];

  static {
    for (int k = 0; k < EXPM1_TERMS.length; k++) {
      EXPM1_V[k] = FloatVector.broadcast(S, EXPM1_TERMS[k]);
    }
  }

  /** e^x - 1 for x up to 88.3 (past it, not the answer), the same bits in every JIT tier. */
  static FloatVector expm1(FloatVector x) {
    FloatVector p = EXPM1_V[0];
    p = p.fma(x, EXPM1_V[1]);
    p = p.fma(x, EXPM1_V[2]);
    p = p.fma(x, EXPM1_V[3]);
    p = p.fma(x, EXPM1_V[4]);
    p = p.fma(x, EXPM1_V[5]);
    p = p.fma(x, EXPM1_V[6]);
    p = p.fma(x, EXPM1_V[7]);
    p = p.fma(x, EXPM1_V[8]);
    p = p.fma(x, EXPM1_V[9]);
    p = p.fma(x, EXPM1_V[10]);
    FloatVector small = p.mul(x);
    FloatVector big = expClamped(x).sub(ONE);
    return big.blend(small, x.abs().compare(VectorOperators.LT, 1f));
  }

  // log, log1p, sin and cos run on scalars. The Vector API's versions of these functions round
  // differently once C2 compiles them (a vector math library) than before (the Java fallback, per
  // lane): 4-19% of the lanes of a row of random floats differed in their last bit (sin matched on
  // that row, with nothing to promise it), so a training run's results depended on when the JIT
  // got to the kernel. Math's functions give the same bits in every tier, at a fifth to a tenth
  // of the vector speed; these functions are rare in a train step's large tensors.
  private static void log(MemorySegment xs, long xOff, MemorySegment ys, long yOff, long n) {
    for (long i = 0; i < n; i++) {
      ys.setAtIndex(F, yOff + i, (float) Math.log(xs.getAtIndex(F, xOff + i)));
    }
  }

  private static void log1p(MemorySegment xs, long xOff, MemorySegment ys, long yOff, long n) {
    for (long i = 0; i < n; i++) {
      ys.setAtIndex(F, yOff + i, (float) Math.log1p(xs.getAtIndex(F, xOff + i)));
    }
  }

  private static void sqrt(MemorySegment xs, long xOff, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector x = FloatVector.fromMemorySegment(S, xs, (xOff + i) * 4, O);
      x.sqrt().intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float v = xs.getAtIndex(F, xOff + i);
      ys.setAtIndex(F, yOff + i, (float) Math.sqrt(v));
    }
  }

  private static void rsqrt(MemorySegment xs, long xOff, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector x = FloatVector.fromMemorySegment(S, xs, (xOff + i) * 4, O);
      ONE.div(x.sqrt()).intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float v = xs.getAtIndex(F, xOff + i);
      ys.setAtIndex(F, yOff + i, (float) (1 / Math.sqrt(v)));
    }
  }

  private static void square(MemorySegment xs, long xOff, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector x = FloatVector.fromMemorySegment(S, xs, (xOff + i) * 4, O);
      x.mul(x).intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float v = xs.getAtIndex(F, xOff + i);
      ys.setAtIndex(F, yOff + i, v * v);
    }
  }

  private static void reciprocal(MemorySegment xs, long xOff, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector x = FloatVector.fromMemorySegment(S, xs, (xOff + i) * 4, O);
      ONE.div(x).intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float v = xs.getAtIndex(F, xOff + i);
      ys.setAtIndex(F, yOff + i, 1 / v);
    }
  }

  private static void sin(MemorySegment xs, long xOff, MemorySegment ys, long yOff, long n) {
    for (long i = 0; i < n; i++) {
      ys.setAtIndex(F, yOff + i, (float) Math.sin(xs.getAtIndex(F, xOff + i)));
    }
  }

  private static void cos(MemorySegment xs, long xOff, MemorySegment ys, long yOff, long n) {
    for (long i = 0; i < n; i++) {
      ys.setAtIndex(F, yOff + i, (float) Math.cos(xs.getAtIndex(F, xOff + i)));
    }
  }

  private static void tanh(MemorySegment xs, long xOff, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    long i = 0;
    for (; i < bound; i += V) {
      tanh(FloatVector.fromMemorySegment(S, xs, (xOff + i) * 4, O))
          .intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float v = xs.getAtIndex(F, xOff + i);
      ys.setAtIndex(F, yOff + i, (float) Math.tanh(v));
    }
  }

  private static void sigmoid(MemorySegment xs, long xOff, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector x = FloatVector.fromMemorySegment(S, xs, (xOff + i) * 4, O);
      ONE.div(expClamped(x.neg()).add(ONE)).intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float v = xs.getAtIndex(F, xOff + i);
      ys.setAtIndex(F, yOff + i, (float) (1 / (1 + Math.exp(-v))));
    }
  }

  // e^x by Cody-Waite reduction: x = n ln2 + r with |r| <= ln2 / 2, e^r by its Taylor series to
  // r^7 (truncation below 1e-8 relative), 2^n built in the exponent bits. Adding 1.5 * 2^23
  // rounds x log2(e) to the integer n and leaves n in the low mantissa bits.
  private static final float ROUNDER = 12582912f;
  private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
  private static final float LN2_HI = 0.693145751953125f;
  private static final float LN2_LO = 1.428606765330187e-6f;
  private static final FloatVector E2 = FloatVector.broadcast(S, 0.5f);
  private static final FloatVector E3 = FloatVector.broadcast(S, 1f / 6);
  private static final FloatVector E4 = FloatVector.broadcast(S, 1f / 24);
  private static final FloatVector E5 = FloatVector.broadcast(S, 1f / 120);
  private static final FloatVector E6 = FloatVector.broadcast(S, 1f / 720);
  private static final FloatVector E7 = FloatVector.broadcast(S, 1f / 5040);
  private static final FloatVector LOG2E_V = FloatVector.broadcast(S, 1.44269504088896341f);
  private static final FloatVector ROUNDER_V = FloatVector.broadcast(S, ROUNDER);
  private static final FloatVector MINUS_LN2_HI = FloatVector.broadcast(S, -LN2_HI);
  private static final FloatVector MINUS_LN2_LO = FloatVector.broadcast(S, -LN2_LO);
  // The clamp keeps n in [-126, 127], where 2^n is a normal float.
  static final float EXP_LO = -87.3f;
  static final float EXP_HI = 88.3f;

  /**
   * The lanes of {@code v} added in lane order. {@code reduceLanes(ADD)} may add them in any order,
   * and C2's order differs from the interpreter's (over half of random 8-lane sums differed in the
   * last bit), which made reductions, and so training, depend on when the JIT compiled them.
   */
  static float sumLanes(FloatVector v) {
    float[] lanes = v.toArray();
    float s = lanes[0];
    for (int i = 1; i < lanes.length; i++) {
      s += lanes[i];
    }
    return s;
  }

  /**
   * e^x for x clamped to [-87.3, 88.3], within two units in the last place, and the same bits in
   * every JIT tier (VectorOperators.EXP rounds differently before and after C2 compiles it, and
   * calls a scalar routine per lane where no vector math library is present, ten times slower).
   */
  static FloatVector expClamped(FloatVector x) {
    FloatVector c = x.max(EXP_LO).min(EXP_HI);
    FloatVector t = c.fma(LOG2E_V, ROUNDER_V);
    FloatVector nf = t.sub(ROUNDER);
    FloatVector r = nf.fma(MINUS_LN2_HI, c);
    r = nf.fma(MINUS_LN2_LO, r);
    FloatVector p = r.fma(E7, E6);
    p = p.fma(r, E5);
    p = p.fma(r, E4);
    p = p.fma(r, E3);
    p = p.fma(r, E2);
    p = p.fma(r, ONE);
    p = p.fma(r, ONE);
    FloatVector scale =
        t.reinterpretAsInts()
            .sub(ROUNDER_BITS - 127)
            .lanewise(VectorOperators.LSHL, 23)
            .reinterpretAsFloats();
    return p.mul(scale);
  }

  // tanh(x) = x + x^3 P(x^2) below |x| = 0.625, a least-squares fit in float64 on [0, 0.625]
  // (7.7e-8 largest relative error in float32; backend-native/tools/fit_tanh.py); above,
  // 1 - 2 / (e^{2|x|} + 1), which has no cancellation there.
  private static final float TANH_SMALL = 0.625f;
  private static final FloatVector T1 = FloatVector.broadcast(S, -0.3333333432674408f);
  private static final FloatVector T2 = FloatVector.broadcast(S, 0.13333310186862946f);
  private static final FloatVector T3 = FloatVector.broadcast(S, -0.05396047607064247f);
  private static final FloatVector T4 = FloatVector.broadcast(S, 0.021776797249913216f);
  private static final FloatVector T5 = FloatVector.broadcast(S, -0.008365538902580738f);
  private static final FloatVector T6 = FloatVector.broadcast(S, 0.002313850447535515f);

  /** The hyperbolic tangent, within two units in the last place. */
  static FloatVector tanh(FloatVector x) {
    FloatVector a = x.abs();
    FloatVector big = ONE.sub(TWO.div(expClamped(a.add(a)).add(ONE)));
    big = big.blend(big.neg(), x.compare(VectorOperators.LT, 0f));
    FloatVector u = x.mul(x);
    FloatVector p = u.fma(T6, T5);
    p = p.fma(u, T4);
    p = p.fma(u, T3);
    p = p.fma(u, T2);
    p = p.fma(u, T1);
    // x (1 + u p) rather than x + x u p keeps the sign of -0.
    FloatVector small = u.fma(p, ONE).mul(x);
    return big.blend(small, a.compare(VectorOperators.LT, TANH_SMALL));
  }

  /** {@code y[yOff + i] = a[aOff + i] op b[bOff + i]} for i in [0, n). */
  static void binaryVV(
      BinaryFn fn,
      MemorySegment as,
      long aOff,
      MemorySegment bs,
      long bOff,
      MemorySegment ys,
      long yOff,
      long n) {
    switch (fn) {
      case ADD -> addVV(as, aOff, bs, bOff, ys, yOff, n);
      case SUB -> subVV(as, aOff, bs, bOff, ys, yOff, n);
      case MUL -> mulVV(as, aOff, bs, bOff, ys, yOff, n);
      case DIV -> divVV(as, aOff, bs, bOff, ys, yOff, n);
      case MAX -> maxVV(as, aOff, bs, bOff, ys, yOff, n);
      case MIN -> minVV(as, aOff, bs, bOff, ys, yOff, n);
      default -> throw new IllegalArgumentException("no vector loop for " + fn);
    }
  }

  private static void addVV(
      MemorySegment as,
      long aOff,
      MemorySegment bs,
      long bOff,
      MemorySegment ys,
      long yOff,
      long n) {
    long bound = S.loopBound(n);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector.fromMemorySegment(S, as, (aOff + i) * 4, O)
          .add(FloatVector.fromMemorySegment(S, bs, (bOff + i) * 4, O))
          .intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float p = as.getAtIndex(F, aOff + i);
      float q = bs.getAtIndex(F, bOff + i);
      ys.setAtIndex(F, yOff + i, p + q);
    }
  }

  private static void subVV(
      MemorySegment as,
      long aOff,
      MemorySegment bs,
      long bOff,
      MemorySegment ys,
      long yOff,
      long n) {
    long bound = S.loopBound(n);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector.fromMemorySegment(S, as, (aOff + i) * 4, O)
          .sub(FloatVector.fromMemorySegment(S, bs, (bOff + i) * 4, O))
          .intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float p = as.getAtIndex(F, aOff + i);
      float q = bs.getAtIndex(F, bOff + i);
      ys.setAtIndex(F, yOff + i, p - q);
    }
  }

  private static void mulVV(
      MemorySegment as,
      long aOff,
      MemorySegment bs,
      long bOff,
      MemorySegment ys,
      long yOff,
      long n) {
    long bound = S.loopBound(n);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector.fromMemorySegment(S, as, (aOff + i) * 4, O)
          .mul(FloatVector.fromMemorySegment(S, bs, (bOff + i) * 4, O))
          .intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float p = as.getAtIndex(F, aOff + i);
      float q = bs.getAtIndex(F, bOff + i);
      ys.setAtIndex(F, yOff + i, p * q);
    }
  }

  private static void divVV(
      MemorySegment as,
      long aOff,
      MemorySegment bs,
      long bOff,
      MemorySegment ys,
      long yOff,
      long n) {
    long bound = S.loopBound(n);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector.fromMemorySegment(S, as, (aOff + i) * 4, O)
          .div(FloatVector.fromMemorySegment(S, bs, (bOff + i) * 4, O))
          .intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float p = as.getAtIndex(F, aOff + i);
      float q = bs.getAtIndex(F, bOff + i);
      ys.setAtIndex(F, yOff + i, p / q);
    }
  }

  private static void maxVV(
      MemorySegment as,
      long aOff,
      MemorySegment bs,
      long bOff,
      MemorySegment ys,
      long yOff,
      long n) {
    long bound = S.loopBound(n);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector.fromMemorySegment(S, as, (aOff + i) * 4, O)
          .max(FloatVector.fromMemorySegment(S, bs, (bOff + i) * 4, O))
          .intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float p = as.getAtIndex(F, aOff + i);
      float q = bs.getAtIndex(F, bOff + i);
      ys.setAtIndex(F, yOff + i, Math.max(p, q));
    }
  }

  private static void minVV(
      MemorySegment as,
      long aOff,
      MemorySegment bs,
      long bOff,
      MemorySegment ys,
      long yOff,
      long n) {
    long bound = S.loopBound(n);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector.fromMemorySegment(S, as, (aOff + i) * 4, O)
          .min(FloatVector.fromMemorySegment(S, bs, (bOff + i) * 4, O))
          .intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float p = as.getAtIndex(F, aOff + i);
      float q = bs.getAtIndex(F, bOff + i);
      ys.setAtIndex(F, yOff + i, Math.min(p, q));
    }
  }

  /** {@code y[yOff + i] = s op b[bOff + i]} for i in [0, n). */
  static void binarySV(
      BinaryFn fn, float s, MemorySegment bs, long bOff, MemorySegment ys, long yOff, long n) {
    switch (fn) {
      case ADD -> addSV(s, bs, bOff, ys, yOff, n);
      case SUB -> subSV(s, bs, bOff, ys, yOff, n);
      case MUL -> mulSV(s, bs, bOff, ys, yOff, n);
      case DIV -> divSV(s, bs, bOff, ys, yOff, n);
      case MAX -> maxSV(s, bs, bOff, ys, yOff, n);
      case MIN -> minSV(s, bs, bOff, ys, yOff, n);
      default -> throw new IllegalArgumentException("no vector loop for " + fn);
    }
  }

  private static void addSV(
      float s, MemorySegment bs, long bOff, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    FloatVector sv = FloatVector.broadcast(S, s);
    long i = 0;
    for (; i < bound; i += V) {
      sv.add(FloatVector.fromMemorySegment(S, bs, (bOff + i) * 4, O))
          .intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float p = s;
      float q = bs.getAtIndex(F, bOff + i);
      ys.setAtIndex(F, yOff + i, p + q);
    }
  }

  private static void subSV(
      float s, MemorySegment bs, long bOff, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    FloatVector sv = FloatVector.broadcast(S, s);
    long i = 0;
    for (; i < bound; i += V) {
      sv.sub(FloatVector.fromMemorySegment(S, bs, (bOff + i) * 4, O))
          .intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float p = s;
      float q = bs.getAtIndex(F, bOff + i);
      ys.setAtIndex(F, yOff + i, p - q);
    }
  }

  private static void mulSV(
      float s, MemorySegment bs, long bOff, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    FloatVector sv = FloatVector.broadcast(S, s);
    long i = 0;
    for (; i < bound; i += V) {
      sv.mul(FloatVector.fromMemorySegment(S, bs, (bOff + i) * 4, O))
          .intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float p = s;
      float q = bs.getAtIndex(F, bOff + i);
      ys.setAtIndex(F, yOff + i, p * q);
    }
  }

  private static void divSV(
      float s, MemorySegment bs, long bOff, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    FloatVector sv = FloatVector.broadcast(S, s);
    long i = 0;
    for (; i < bound; i += V) {
      sv.div(FloatVector.fromMemorySegment(S, bs, (bOff + i) * 4, O))
          .intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float p = s;
      float q = bs.getAtIndex(F, bOff + i);
      ys.setAtIndex(F, yOff + i, p / q);
    }
  }

  private static void maxSV(
      float s, MemorySegment bs, long bOff, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    FloatVector sv = FloatVector.broadcast(S, s);
    long i = 0;
    for (; i < bound; i += V) {
      sv.max(FloatVector.fromMemorySegment(S, bs, (bOff + i) * 4, O))
          .intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float p = s;
      float q = bs.getAtIndex(F, bOff + i);
      ys.setAtIndex(F, yOff + i, Math.max(p, q));
    }
  }

  private static void minSV(
      float s, MemorySegment bs, long bOff, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    FloatVector sv = FloatVector.broadcast(S, s);
    long i = 0;
    for (; i < bound; i += V) {
      sv.min(FloatVector.fromMemorySegment(S, bs, (bOff + i) * 4, O))
          .intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float p = s;
      float q = bs.getAtIndex(F, bOff + i);
      ys.setAtIndex(F, yOff + i, Math.min(p, q));
    }
  }

  /** {@code y[yOff + i] = a[aOff + i] op s} for i in [0, n). */
  static void binaryVS(
      BinaryFn fn, MemorySegment as, long aOff, float s, MemorySegment ys, long yOff, long n) {
    switch (fn) {
      case ADD -> addVS(as, aOff, s, ys, yOff, n);
      case SUB -> subVS(as, aOff, s, ys, yOff, n);
      case MUL -> mulVS(as, aOff, s, ys, yOff, n);
      case DIV -> divVS(as, aOff, s, ys, yOff, n);
      case MAX -> maxVS(as, aOff, s, ys, yOff, n);
      case MIN -> minVS(as, aOff, s, ys, yOff, n);
      default -> throw new IllegalArgumentException("no vector loop for " + fn);
    }
  }

  private static void addVS(
      MemorySegment as, long aOff, float s, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    FloatVector sv = FloatVector.broadcast(S, s);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector.fromMemorySegment(S, as, (aOff + i) * 4, O)
          .add(sv)
          .intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float p = as.getAtIndex(F, aOff + i);
      float q = s;
      ys.setAtIndex(F, yOff + i, p + q);
    }
  }

  private static void subVS(
      MemorySegment as, long aOff, float s, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    FloatVector sv = FloatVector.broadcast(S, s);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector.fromMemorySegment(S, as, (aOff + i) * 4, O)
          .sub(sv)
          .intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float p = as.getAtIndex(F, aOff + i);
      float q = s;
      ys.setAtIndex(F, yOff + i, p - q);
    }
  }

  private static void mulVS(
      MemorySegment as, long aOff, float s, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    FloatVector sv = FloatVector.broadcast(S, s);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector.fromMemorySegment(S, as, (aOff + i) * 4, O)
          .mul(sv)
          .intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float p = as.getAtIndex(F, aOff + i);
      float q = s;
      ys.setAtIndex(F, yOff + i, p * q);
    }
  }

  private static void divVS(
      MemorySegment as, long aOff, float s, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    FloatVector sv = FloatVector.broadcast(S, s);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector.fromMemorySegment(S, as, (aOff + i) * 4, O)
          .div(sv)
          .intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float p = as.getAtIndex(F, aOff + i);
      float q = s;
      ys.setAtIndex(F, yOff + i, p / q);
    }
  }

  private static void maxVS(
      MemorySegment as, long aOff, float s, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    FloatVector sv = FloatVector.broadcast(S, s);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector.fromMemorySegment(S, as, (aOff + i) * 4, O)
          .max(sv)
          .intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float p = as.getAtIndex(F, aOff + i);
      float q = s;
      ys.setAtIndex(F, yOff + i, Math.max(p, q));
    }
  }

  private static void minVS(
      MemorySegment as, long aOff, float s, MemorySegment ys, long yOff, long n) {
    long bound = S.loopBound(n);
    FloatVector sv = FloatVector.broadcast(S, s);
    long i = 0;
    for (; i < bound; i += V) {
      FloatVector.fromMemorySegment(S, as, (aOff + i) * 4, O)
          .min(sv)
          .intoMemorySegment(ys, (yOff + i) * 4, O);
    }
    for (; i < n; i++) {
      float p = as.getAtIndex(F, aOff + i);
      float q = s;
      ys.setAtIndex(F, yOff + i, Math.min(p, q));
    }
  }
}
