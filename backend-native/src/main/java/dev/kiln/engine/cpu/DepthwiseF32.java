package dev.kiln.engine.cpu;

import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.ConvSpec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Direct float32 kernels for depthwise convolution (one group per input channel). With a channel
 * multiplier of one, the Keras {@code DepthwiseConv2D} default, every output channel reads only its
 * own input channel; in channels-last layout a tap's channels are contiguous in the input, the
 * kernel and the output, so each tap is one vector multiply-add across channels, where an im2col +
 * GEMM would multiply mostly zeros. With a multiplier {@code M > 1} output channel {@code c M + j}
 * reads input channel {@code c}: the input is first expanded to {@code C M} channels (each value
 * repeated M times) so the same kernels run, and the input gradient, computed over the expanded
 * channels, is summed back over each group of M. Other groupings use the generic loops.
 */
final class DepthwiseF32 {
  private static final VectorSpecies<Float> S = VectorWidth.F32;
  private static final int V = S.length();
  private static final ByteOrder O = ByteOrder.nativeOrder();

  private DepthwiseF32() {}

  /** Whether the direct kernels cover this convolution. */
  static boolean covers(ConvSpec s, TensorType x, TensorType w) {
    int c = x.shape().dim(-1);
    int cout = w.shape().dim(-1);
    // One input channel is an ordinary convolution, which im2col + GEMM runs faster than an
    // expansion to cout channels.
    return s.groups() == c && w.shape().dim(-2) == 1 && cout % c == 0 && (c > 1 || cout == 1);
  }

  static Kernel forward(ConvSpec s, TensorType x, TensorType w, TensorType y, CpuPool pool) {
    Kernel direct = forwardOne(s, x, w, y, pool);
    int m = w.shape().dim(-1) / x.shape().dim(-1);
    if (m == 1) {
      return direct;
    }
    Channels expanded = new Channels(x, m, pool);
    return (in, out) -> direct.run(new MemorySegment[] {expanded.expand(in[0]), in[1]}, out);
  }

  static Kernel backpropInput(
      ConvSpec s, TensorType dy, TensorType w, TensorType dx, CpuPool pool) {
    int m = w.shape().dim(-1) / dx.shape().dim(-1);
    if (m == 1) {
      return backpropInputOne(s, dy, w, dx, pool);
    }
    Channels expanded = new Channels(dx, m, pool);
    Kernel direct = backpropInputOne(s, dy, w, expanded.type, pool);
    return (in, out) -> {
      direct.run(in, new MemorySegment[] {expanded.scratch});
      expanded.sumGroups(out[0]);
    };
  }

  static Kernel backpropFilter(
      ConvSpec s, TensorType x, TensorType dy, TensorType dw, CpuPool pool) {
    Kernel direct = backpropFilterOne(s, x, dy, dw, pool);
    int m = dw.shape().dim(-1) / x.shape().dim(-1);
    if (m == 1) {
      return direct;
    }
    Channels expanded = new Channels(x, m, pool);
    return (in, out) -> direct.run(new MemorySegment[] {expanded.expand(in[0]), in[1]}, out);
  }

  /** A channels-last tensor's channels repeated M times each, in a scratch owned by the kernel. */
  private static final class Channels {
    final TensorType type;
    final MemorySegment scratch;
    private final int positions;
    private final int c;
    private final int m;
    private final CpuPool pool;

    Channels(TensorType t, int m, CpuPool pool) {
      int[] dims = t.shape().dims();
      this.c = dims[dims.length - 1];
      this.m = m;
      this.positions = (int) (t.shape().size() / c);
      dims[dims.length - 1] = c * m;
      this.type = new TensorType(t.dtype(), dev.kiln.spi.Shape.of(dims));
      this.scratch =
          OffHeap.allocate(
              java.lang.foreign.Arena.ofAuto(), Math.max(4, t.shape().size() * m * 4), 64);
      this.pool = pool;
    }

    /** {@code scratch[p, ch * M + j] = x[p, ch]}. */
    MemorySegment expand(MemorySegment x) {
      pool.parallelFor(
          positions,
          256,
          (from, to) -> {
            for (long p = from; p < to; p++) {
              for (int ch = 0; ch < c; ch++) {
                float v = x.getAtIndex(ValueLayout.JAVA_FLOAT, p * c + ch);
                long at = (p * c + ch) * m;
                for (int j = 0; j < m; j++) {
                  scratch.setAtIndex(ValueLayout.JAVA_FLOAT, at + j, v);
                }
              }
            }
          });
      return scratch;
    }

    /** {@code dx[p, ch] = sum over j of scratch[p, ch * M + j]}. */
    void sumGroups(MemorySegment dx) {
      pool.parallelFor(
          positions,
          256,
          (from, to) -> {
            for (long p = from; p < to; p++) {
              for (int ch = 0; ch < c; ch++) {
                long at = (p * c + ch) * m;
                float v = 0;
                for (int j = 0; j < m; j++) {
                  v += scratch.getAtIndex(ValueLayout.JAVA_FLOAT, at + j);
                }
                dx.setAtIndex(ValueLayout.JAVA_FLOAT, p * c + ch, v);
              }
            }
          });
    }
  }

  private static Kernel forwardOne(
      ConvSpec s, TensorType x, TensorType w, TensorType y, CpuPool pool) {
    ConvGeometry g = new ConvGeometry(s, x.shape(), w.shape(), y.shape());
    int c = g.cout;
    return (in, out) ->
        pool.parallelFor(
            g.batch,
            1,
            (from, to) -> {
              MemorySegment xs = in[0];
              MemorySegment ws = in[1];
              MemorySegment ys = out[0];
              for (int n = from; n < to; n++) {
                for (int o = 0; o < g.outPositions; o++) {
                  long dst = ((long) n * g.outPositions + o) * c;
                  for (int ch = 0; ch < c; ch += V) {
                    VectorMask<Float> m = S.indexInRange(ch, c);
                    FloatVector acc = FloatVector.zero(S);
                    for (int k = 0; k < g.taps; k++) {
                      int p = g.inputAt[o * g.taps + k];
                      if (p >= 0) {
                        long src = (((long) n * g.inPositions + p) * c + ch) * 4;
                        FloatVector xv = FloatVector.fromMemorySegment(S, xs, src, O, m);
                        FloatVector wv =
                            FloatVector.fromMemorySegment(S, ws, ((long) k * c + ch) * 4, O, m);
                        acc = xv.fma(wv, acc);
                      }
                    }
                    acc.intoMemorySegment(ys, (dst + ch) * 4, O, m);
                  }
                }
              }
            });
  }

  private static Kernel backpropInputOne(
      ConvSpec s, TensorType dy, TensorType w, TensorType dx, CpuPool pool) {
    ConvGeometry g = new ConvGeometry(s, dx.shape(), w.shape(), dy.shape());
    int c = g.cout;
    long perImage = (long) g.inPositions * c * 4;
    return (in, out) ->
        pool.parallelFor(
            g.batch,
            1,
            (from, to) -> {
              MemorySegment gy = in[0];
              MemorySegment ws = in[1];
              MemorySegment gx = out[0];
              // Images are independent: each thread clears and accumulates its own.
              gx.asSlice(from * perImage, (to - from) * perImage).fill((byte) 0);
              for (int n = from; n < to; n++) {
                for (int o = 0; o < g.outPositions; o++) {
                  long src = ((long) n * g.outPositions + o) * c;
                  for (int k = 0; k < g.taps; k++) {
                    int p = g.inputAt[o * g.taps + k];
                    if (p < 0) {
                      continue;
                    }
                    long dst = ((long) n * g.inPositions + p) * c;
                    for (int ch = 0; ch < c; ch += V) {
                      VectorMask<Float> m = S.indexInRange(ch, c);
                      FloatVector d = FloatVector.fromMemorySegment(S, gy, (src + ch) * 4, O, m);
                      FloatVector wv =
                          FloatVector.fromMemorySegment(S, ws, ((long) k * c + ch) * 4, O, m);
                      FloatVector acc = FloatVector.fromMemorySegment(S, gx, (dst + ch) * 4, O, m);
                      d.fma(wv, acc).intoMemorySegment(gx, (dst + ch) * 4, O, m);
                    }
                  }
                }
              }
            });
  }

  /**
   * The kernel gradient, a sum over every image and position: each thread sums its images into its
   * own partial, and the partials are added at the end.
   */
  private static Kernel backpropFilterOne(
      ConvSpec s, TensorType x, TensorType dy, TensorType dw, CpuPool pool) {
    ConvGeometry g = new ConvGeometry(s, x.shape(), dw.shape(), dy.shape());
    int c = g.cout;
    int size = g.taps * c;
    int parts = Math.max(1, Math.min(pool.threads(), g.batch));
    float[][] partial = new float[parts][size];
    return (in, out) -> {
      pool.parallelFor(
          parts,
          1,
          (fromPart, toPart) -> {
            for (int part = fromPart; part < toPart; part++) {
              float[] acc = partial[part];
              java.util.Arrays.fill(acc, 0f);
              int n0 = (int) ((long) g.batch * part / parts);
              int n1 = (int) ((long) g.batch * (part + 1) / parts);
              sumImages(g, in[0], in[1], n0, n1, acc);
            }
          });
      for (int i = 0; i < size; i++) {
        float v = 0;
        for (float[] p : partial) {
          v += p[i];
        }
        out[0].setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
      }
    };
  }

  private static void sumImages(
      ConvGeometry g, MemorySegment xs, MemorySegment gy, int n0, int n1, float[] acc) {
    int c = g.cout;
    for (int n = n0; n < n1; n++) {
      for (int o = 0; o < g.outPositions; o++) {
        long src = ((long) n * g.outPositions + o) * c;
        for (int k = 0; k < g.taps; k++) {
          int p = g.inputAt[o * g.taps + k];
          if (p < 0) {
            continue;
          }
          long xAt = ((long) n * g.inPositions + p) * c;
          for (int ch = 0; ch < c; ch += V) {
            VectorMask<Float> m = S.indexInRange(ch, c);
            FloatVector d = FloatVector.fromMemorySegment(S, gy, (src + ch) * 4, O, m);
            FloatVector xv = FloatVector.fromMemorySegment(S, xs, (xAt + ch) * 4, O, m);
            FloatVector a = FloatVector.fromArray(S, acc, k * c + ch, m);
            d.fma(xv, a).intoArray(acc, k * c + ch, m);
          }
        }
      }
    }
  }
}
