package dev.kiln.engine.cpu;

import dev.kiln.spi.DType;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.CompositeOp;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Adam update ({@link CompositeOp.AdamUpdate}) as one pass over memory: each element of the
 * weight, gradient and both moments is read once and the three results written once, where the op's
 * decomposition makes ten passes. Operands {@code (w, g, m, v, alpha)}, results {@code (w', m',
 * v')}. Every operand at an index is read before any result there is written, so a result may share
 * an operand's memory (the planner writes the results straight into the variables).
 */
final class AdamUpdates {
  private static final VectorSpecies<Float> S = VectorWidth.F32;
  private static final int V = S.length();
  private static final ByteOrder O = ByteOrder.nativeOrder();
  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

  /** Elements per task: below two of these the update runs on the caller. */
  private static final int GRAIN = 1 << 15;

  private AdamUpdates() {}

  /** The scalar twin, every float dtype: computes in double and rounds once on store. */
  static Kernel scalar(CompositeOp.AdamUpdate a, TensorType t) {
    DType d = t.dtype();
    long n = t.shape().size();
    double b1c = 1 - a.beta1();
    double b2c = 1 - a.beta2();
    double eps = a.epsilon();
    return (in, out) -> {
      double alpha = Elem.get(d, in[4], 0);
      for (long i = 0; i < n; i++) {
        double w = Elem.get(d, in[0], i);
        double g = Elem.get(d, in[1], i);
        double m = Elem.get(d, in[2], i);
        double v = Elem.get(d, in[3], i);
        double m2 = m + (g - m) * b1c;
        double v2 = v + (g * g - v) * b2c;
        Elem.set(d, out[1], i, m2);
        Elem.set(d, out[2], i, v2);
        Elem.set(d, out[0], i, w - m2 * alpha / (Math.sqrt(v2) + eps));
      }
    };
  }

  /** The float32 vector kernel, split over the pool. */
  static Kernel vector(CompositeOp.AdamUpdate a, long n, CpuPool pool) {
    float b1c = (float) (1 - a.beta1());
    float b2c = (float) (1 - a.beta2());
    float eps = (float) a.epsilon();
    int count = Math.toIntExact(n);
    return (in, out) -> {
      float alpha = in[4].getAtIndex(F, 0);
      pool.parallelFor(
          count,
          GRAIN,
          (from, to) ->
              run(
                  in[0], in[1], in[2], in[3], out[0], out[1], out[2], alpha, b1c, b2c, eps, from,
                  to));
    };
  }

  private static void run(
      MemorySegment ws,
      MemorySegment gs,
      MemorySegment ms,
      MemorySegment vs,
      MemorySegment wOut,
      MemorySegment mOut,
      MemorySegment vOut,
      float alpha,
      float b1c,
      float b2c,
      float eps,
      long from,
      long to) {
    FloatVector alphaV = FloatVector.broadcast(S, alpha);
    FloatVector b1 = FloatVector.broadcast(S, b1c);
    FloatVector b2 = FloatVector.broadcast(S, b2c);
    FloatVector epsV = FloatVector.broadcast(S, eps);
    long bound = from + S.loopBound(to - from);
    long i = from;
    for (; i < bound; i += V) {
      long at = i * 4;
      FloatVector g = FloatVector.fromMemorySegment(S, gs, at, O);
      FloatVector m = FloatVector.fromMemorySegment(S, ms, at, O);
      FloatVector v = FloatVector.fromMemorySegment(S, vs, at, O);
      FloatVector w = FloatVector.fromMemorySegment(S, ws, at, O);
      FloatVector m2 = g.sub(m).fma(b1, m);
      FloatVector v2 = g.mul(g).sub(v).fma(b2, v);
      FloatVector w2 = w.sub(m2.mul(alphaV).div(v2.sqrt().add(epsV)));
      m2.intoMemorySegment(mOut, at, O);
      v2.intoMemorySegment(vOut, at, O);
      w2.intoMemorySegment(wOut, at, O);
    }
    for (; i < to; i++) {
      float g = gs.getAtIndex(F, i);
      float m = ms.getAtIndex(F, i);
      float v = vs.getAtIndex(F, i);
      float w = ws.getAtIndex(F, i);
      float m2 = Math.fma(g - m, b1c, m);
      float v2 = Math.fma(g * g - v, b2c, v);
      mOut.setAtIndex(F, i, m2);
      vOut.setAtIndex(F, i, v2);
      wOut.setAtIndex(F, i, w - m2 * alpha / ((float) Math.sqrt(v2) + eps));
    }
  }
}
