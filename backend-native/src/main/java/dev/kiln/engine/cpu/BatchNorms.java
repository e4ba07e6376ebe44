package dev.kiln.engine.cpu;

import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.CompositeOp;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batch normalization with batch statistics ({@link CompositeOp.BatchNormTraining}) and its
 * gradient ({@link CompositeOp.BatchNormTrainingGrad}) as a few passes over memory. The forward
 * pass reads {@code x} three times (mean, variance, output) and the gradient reads {@code x} and
 * {@code dy} twice (two per-channel sums, then {@code dx}), where their decompositions make a dozen
 * passes and write as many temporaries.
 *
 * <p>The tensor is seen as {@code [outer, C, inner]} around the channel axis. Channel sums are
 * taken per block of {@code outer} and the blocks' partial sums added in order, so the result does
 * not depend on how many threads ran the blocks.
 */
final class BatchNorms {
  private static final VectorSpecies<Float> S = VectorWidth.F32;
  private static final int V = S.length();
  private static final ByteOrder O = ByteOrder.nativeOrder();
  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

  /** Floats per block of a channel sum: small enough for float partials, big enough to split. */
  private static final int BLOCK = 1 << 14;

  private BatchNorms() {}

  /** The {@code [outer, C, inner]} view of a tensor around its channel axis. */
  record Layout(int outer, int c, int inner) {
    static Layout of(Shape s, int axis) {
      int a = s.normalizeAxis(axis);
      long outer = 1;
      for (int i = 0; i < a; i++) {
        outer *= s.dim(i);
      }
      long inner = 1;
      for (int i = a + 1; i < s.rank(); i++) {
        inner *= s.dim(i);
      }
      return new Layout(Math.toIntExact(outer), s.dim(a), Math.toIntExact(inner));
    }

    long count() {
      return (long) outer * inner;
    }

    /** Blocks of {@code outer} rows whose channel sums are kept apart. */
    int blocks() {
      long perRow = (long) c * inner;
      return (int) Math.max(1, Math.min(outer, perRow * outer / BLOCK));
    }

    int blockStart(int blk) {
      return (int) ((long) outer * blk / blocks());
    }
  }

  // ------------------------------------------------------------------ scalar twins

  /** The scalar forward kernel, every float dtype: computes in double, rounds once on store. */
  static Kernel scalarForward(CompositeOp.BatchNormTraining op, TensorType x) {
    Layout l = Layout.of(x.shape(), op.axis());
    DType d = x.dtype();
    double eps = op.epsilon();
    return (in, out) -> {
      double[] mean = new double[l.c];
      double[] var = new double[l.c];
      forEach(l, (ch, i) -> mean[ch] += Elem.get(d, in[0], i));
      for (int ch = 0; ch < l.c; ch++) {
        mean[ch] /= l.count();
      }
      forEach(
          l,
          (ch, i) -> {
            double v = Elem.get(d, in[0], i) - mean[ch];
            var[ch] += v * v;
          });
      for (int ch = 0; ch < l.c; ch++) {
        var[ch] /= l.count();
        Elem.set(d, out[1], ch, mean[ch]);
        Elem.set(d, out[2], ch, var[ch]);
      }
      forEach(
          l,
          (ch, i) -> {
            double inv = 1 / Math.sqrt(var[ch] + eps);
            double y =
                (Elem.get(d, in[0], i) - mean[ch]) * inv * Elem.get(d, in[1], ch)
                    + Elem.get(d, in[2], ch);
            Elem.set(d, out[0], i, y);
          });
    };
  }

  /** The scalar gradient kernel, every float dtype. */
  static Kernel scalarGradient(CompositeOp.BatchNormTrainingGrad op, TensorType x) {
    Layout l = Layout.of(x.shape(), op.axis());
    DType d = x.dtype();
    double eps = op.epsilon();
    double n = l.count();
    return (in, out) -> {
      double[] sumDy = new double[l.c];
      double[] sumDyXc = new double[l.c];
      forEach(
          l,
          (ch, i) -> {
            double dy = Elem.get(d, in[4], i);
            sumDy[ch] += dy;
            sumDyXc[ch] += dy * (Elem.get(d, in[0], i) - Elem.get(d, in[2], ch));
          });
      double[] k1 = new double[l.c];
      double[] k2 = new double[l.c];
      double[] k3 = new double[l.c];
      for (int ch = 0; ch < l.c; ch++) {
        double inv = 1 / Math.sqrt(Elem.get(d, in[3], ch) + eps);
        double dgamma = sumDyXc[ch] * inv;
        double scale = Elem.get(d, in[1], ch) * inv;
        k1[ch] = scale;
        k2[ch] = (2 * Elem.get(d, in[6], ch) - scale * inv * dgamma) / n;
        k3[ch] = (Elem.get(d, in[5], ch) - scale * sumDy[ch]) / n;
        Elem.set(d, out[1], ch, dgamma);
        Elem.set(d, out[2], ch, sumDy[ch]);
      }
      forEach(
          l,
          (ch, i) -> {
            double xc = Elem.get(d, in[0], i) - Elem.get(d, in[2], ch);
            Elem.set(d, out[0], i, Elem.get(d, in[4], i) * k1[ch] + xc * k2[ch] + k3[ch]);
          });
    };
  }

  private interface ChannelBody {
    void at(int ch, long i);
  }

  private static void forEach(Layout l, ChannelBody body) {
    long i = 0;
    for (int o = 0; o < l.outer; o++) {
      for (int ch = 0; ch < l.c; ch++) {
        for (int k = 0; k < l.inner; k++) {
          body.at(ch, i++);
        }
      }
    }
  }

  // ------------------------------------------------------------------ float32 vector kernels

  /** The float32 forward kernel. */
  static Kernel vectorForward(CompositeOp.BatchNormTraining op, TensorType x, CpuPool pool) {
    Layout l = Layout.of(x.shape(), op.axis());
    double eps = op.epsilon();
    return (in, out) -> {
      MemorySegment xs = in[0];
      // One pass for both moments, the squares taken about a sample mean rather than the mean:
      // var = E[(x - s)^2] - (E[x] - s)^2 loses to cancellation only as far as s is from the mean,
      // and a pass over x (a third of the op's memory traffic) is saved.
      float[] shift = sampleMean(l, xs);
      double[][] sums = channelSums(l, xs, null, shift, pool);
      float[] mean = new float[l.c];
      float[] scale = new float[l.c];
      float[] beta = new float[l.c];
      for (int ch = 0; ch < l.c; ch++) {
        double m = sums[0][ch] / l.count();
        double off = m - shift[ch];
        mean[ch] = (float) m;
        float var = (float) Math.max(0, sums[1][ch] / l.count() - off * off);
        out[1].setAtIndex(F, ch, mean[ch]);
        out[2].setAtIndex(F, ch, var);
        scale[ch] = (float) (in[1].getAtIndex(F, ch) / Math.sqrt(var + eps));
        beta[ch] = in[2].getAtIndex(F, ch);
      }
      // y = (x - mean) * scale + beta; the gradient's dx has the same form, with dy added.
      affine(l, xs, null, mean, scale, null, beta, out[0], pool);
    };
  }

  /** Rows of the leading sample whose mean centres the forward pass's squares. */
  private static final int SAMPLE = 256;

  /** Each channel's mean over its first {@link #SAMPLE} values (of the first row, if runs). */
  private static float[] sampleMean(Layout l, MemorySegment x) {
    float[] m = new float[l.c];
    if (l.inner == 1) {
      int rows = Math.min(l.outer, SAMPLE);
      for (int r = 0; r < rows; r++) {
        for (int ch = 0; ch < l.c; ch++) {
          m[ch] += x.getAtIndex(F, (long) r * l.c + ch);
        }
      }
      for (int ch = 0; ch < l.c; ch++) {
        m[ch] /= Math.max(1, rows);
      }
    } else {
      int n = Math.min(l.inner, SAMPLE);
      for (int ch = 0; ch < l.c; ch++) {
        float sum = 0;
        for (int i = 0; i < n; i++) {
          sum += x.getAtIndex(F, (long) ch * l.inner + i);
        }
        m[ch] = sum / n;
      }
    }
    return m;
  }

  /** The float32 gradient kernel. */
  static Kernel vectorGradient(CompositeOp.BatchNormTrainingGrad op, TensorType x, CpuPool pool) {
    Layout l = Layout.of(x.shape(), op.axis());
    double eps = op.epsilon();
    double n = l.count();
    return (in, out) -> {
      float[] mean = new float[l.c];
      for (int ch = 0; ch < l.c; ch++) {
        mean[ch] = in[2].getAtIndex(F, ch);
      }
      double[][] sums = channelSums(l, in[4], in[0], mean, pool);
      float[] k1 = new float[l.c];
      float[] k2 = new float[l.c];
      float[] k3 = new float[l.c];
      for (int ch = 0; ch < l.c; ch++) {
        double inv = 1 / Math.sqrt(in[3].getAtIndex(F, ch) + eps);
        double dgamma = sums[1][ch] * inv;
        double scale = in[1].getAtIndex(F, ch) * inv;
        k1[ch] = (float) scale;
        k2[ch] = (float) ((2 * in[6].getAtIndex(F, ch) - scale * inv * dgamma) / n);
        k3[ch] = (float) ((in[5].getAtIndex(F, ch) - scale * sums[0][ch]) / n);
        out[1].setAtIndex(F, ch, (float) dgamma);
        out[2].setAtIndex(F, ch, (float) sums[0][ch]);
      }
      affine(l, in[0], in[4], mean, k2, k1, k3, out[0], pool);
    };
  }

  /**
   * Per-channel sums over every position, in double from per-block float partials: {@code [0]} the
   * sum of {@code a}; {@code [1]} the sum of {@code a * (b - center)}, or of {@code (a - center)^2}
   * where {@code b} is null.
   */
  private static double[][] channelSums(
      Layout l, MemorySegment a, MemorySegment b, float[] center, CpuPool pool) {
    int blocks = l.blocks();
    float[][] plain = new float[blocks][l.c];
    float[][] product = new float[blocks][l.c];
    pool.parallelFor(
        blocks,
        1,
        (from, to) -> {
          for (int blk = from; blk < to; blk++) {
            int r0 = l.blockStart(blk);
            int r1 = l.blockStart(blk + 1);
            if (l.inner == 1) {
              sumRows(l.c, a, b, center, r0, r1, plain[blk], product[blk]);
            } else {
              sumRuns(l, a, b, center, r0, r1, plain[blk], product[blk]);
            }
          }
        });
    double[][] total = new double[2][l.c];
    for (int blk = 0; blk < blocks; blk++) {
      for (int ch = 0; ch < l.c; ch++) {
        total[0][ch] += plain[blk][ch];
        total[1][ch] += product[blk][ch];
      }
    }
    return total;
  }

  /** Channel sums over rows {@code [r0, r1)} of a channels-last {@code [rows, c]} tensor. */
  private static void sumRows(
      int c,
      MemorySegment a,
      MemorySegment b,
      float[] center,
      int r0,
      int r1,
      float[] plain,
      float[] product) {
    int ch = 0;
    for (; ch + V <= c; ch += V) {
      FloatVector mid = FloatVector.fromArray(S, center, ch);
      FloatVector p = FloatVector.zero(S);
      FloatVector q = FloatVector.zero(S);
      for (int r = r0; r < r1; r++) {
        long at = ((long) r * c + ch) * 4;
        FloatVector va = FloatVector.fromMemorySegment(S, a, at, O);
        p = p.add(va);
        q = product(va, b, at, mid, q);
      }
      p.intoArray(plain, ch);
      q.intoArray(product, ch);
    }
    for (; ch < c; ch++) {
      float p = 0;
      float q = 0;
      for (int r = r0; r < r1; r++) {
        long at = (long) r * c + ch;
        float va = a.getAtIndex(F, at);
        p += va;
        q += product(va, b, at, center[ch]);
      }
      plain[ch] = p;
      product[ch] = q;
    }
  }

  /** Channel sums over outer rows {@code [r0, r1)} where each channel is a run of inner floats. */
  private static void sumRuns(
      Layout l,
      MemorySegment a,
      MemorySegment b,
      float[] center,
      int r0,
      int r1,
      float[] plain,
      float[] product) {
    for (int ch = 0; ch < l.c; ch++) {
      FloatVector mid = FloatVector.broadcast(S, center[ch]);
      FloatVector p = FloatVector.zero(S);
      FloatVector q = FloatVector.zero(S);
      float ps = 0;
      float qs = 0;
      for (int r = r0; r < r1; r++) {
        long base = ((long) r * l.c + ch) * l.inner;
        int k = 0;
        for (; k + V <= l.inner; k += V) {
          long at = (base + k) * 4;
          FloatVector va = FloatVector.fromMemorySegment(S, a, at, O);
          p = p.add(va);
          q = product(va, b, at, mid, q);
        }
        for (; k < l.inner; k++) {
          float va = a.getAtIndex(F, base + k);
          ps += va;
          qs += product(va, b, base + k, center[ch]);
        }
      }
      plain[ch] = F32Loops.sumLanes(p) + ps;
      product[ch] = F32Loops.sumLanes(q) + qs;
    }
  }

  /**
   * {@code out = (x - center) * k + dy * kDy + shift} per channel; {@code dy} and {@code kDy} may
   * be null (then that term is absent). Reads each position's operands before writing there.
   */
  private static void affine(
      Layout l,
      MemorySegment x,
      MemorySegment dy,
      float[] center,
      float[] k,
      float[] kDy,
      float[] shift,
      MemorySegment out,
      CpuPool pool) {
    float[] none = new float[l.c];
    float[] dyCoef = kDy == null ? none : kDy;
    int grain = Math.max(1, BLOCK / Math.max(1, l.c * l.inner));
    pool.parallelFor(
        l.outer,
        grain,
        (from, to) -> {
          if (l.inner == 1) {
            affineRows(l.c, x, dy, center, k, dyCoef, shift, out, from, to);
          } else {
            affineRuns(l, x, dy, center, k, dyCoef, shift, out, from, to);
          }
        });
  }

  private static void affineRows(
      int c,
      MemorySegment x,
      MemorySegment dy,
      float[] center,
      float[] k,
      float[] kDy,
      float[] shift,
      MemorySegment out,
      int r0,
      int r1) {
    int ch = 0;
    for (; ch + V <= c; ch += V) {
      FloatVector mid = FloatVector.fromArray(S, center, ch);
      FloatVector kv = FloatVector.fromArray(S, k, ch);
      FloatVector kd = FloatVector.fromArray(S, kDy, ch);
      FloatVector sv = FloatVector.fromArray(S, shift, ch);
      for (int r = r0; r < r1; r++) {
        affineAt(x, dy, out, ((long) r * c + ch) * 4, mid, kv, kd, sv);
      }
    }
    for (; ch < c; ch++) {
      for (int r = r0; r < r1; r++) {
        affineAt(x, dy, out, (long) r * c + ch, center[ch], k[ch], kDy[ch], shift[ch]);
      }
    }
  }

  private static void affineRuns(
      Layout l,
      MemorySegment x,
      MemorySegment dy,
      float[] center,
      float[] k,
      float[] kDy,
      float[] shift,
      MemorySegment out,
      int r0,
      int r1) {
    for (int r = r0; r < r1; r++) {
      for (int ch = 0; ch < l.c; ch++) {
        FloatVector mid = FloatVector.broadcast(S, center[ch]);
        FloatVector kv = FloatVector.broadcast(S, k[ch]);
        FloatVector kd = FloatVector.broadcast(S, kDy[ch]);
        FloatVector sv = FloatVector.broadcast(S, shift[ch]);
        long base = ((long) r * l.c + ch) * l.inner;
        int i = 0;
        for (; i + V <= l.inner; i += V) {
          affineAt(x, dy, out, (base + i) * 4, mid, kv, kd, sv);
        }
        for (; i < l.inner; i++) {
          affineAt(x, dy, out, base + i, center[ch], k[ch], kDy[ch], shift[ch]);
        }
      }
    }
  }

  /**
   * {@code q + (a - mid)^2} where {@code b} is null, else {@code q + a * (b - mid)}, with {@code b}
   * read at byte {@code at}.
   */
  private static FloatVector product(
      FloatVector a, MemorySegment b, long at, FloatVector mid, FloatVector q) {
    if (b == null) {
      FloatVector d = a.sub(mid);
      return d.fma(d, q);
    }
    return FloatVector.fromMemorySegment(S, b, at, O).sub(mid).fma(a, q);
  }

  /** One term of the scalar {@link #product}, with {@code b} read at float index {@code at}. */
  private static float product(float a, MemorySegment b, long at, float mid) {
    float d = (b == null ? a : b.getAtIndex(F, at)) - mid;
    return b == null ? d * d : d * a;
  }

  /** One vector of {@code out = (x - mid) * k + dy * kDy + shift} at byte {@code at}. */
  private static void affineAt(
      MemorySegment x,
      MemorySegment dy,
      MemorySegment out,
      long at,
      FloatVector mid,
      FloatVector k,
      FloatVector kDy,
      FloatVector shift) {
    FloatVector t =
        dy == null ? shift : FloatVector.fromMemorySegment(S, dy, at, O).fma(kDy, shift);
    FloatVector.fromMemorySegment(S, x, at, O).sub(mid).fma(k, t).intoMemorySegment(out, at, O);
  }

  /** The scalar {@link #affineAt}, at float index {@code at}. */
  private static void affineAt(
      MemorySegment x,
      MemorySegment dy,
      MemorySegment out,
      long at,
      float mid,
      float k,
      float kDy,
      float shift) {
    float t = dy == null ? shift : dy.getAtIndex(F, at) * kDy + shift;
    out.setAtIndex(F, at, (x.getAtIndex(F, at) - mid) * k + t);
  }
}
