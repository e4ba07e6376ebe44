package dev.kiln.engine.cpu;

import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.PoolFn;
import dev.kiln.spi.ir.PoolSpec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 pooling, vectorized across channels: channels-last puts each window position's channels
 * in one contiguous run, so the window reduction is a max (or sum) of vectors, with a masked vector
 * for the last channels. The backward pass routes each gradient to its window's first maximum, in
 * float32 without the scalar twin's double accumulator.
 */
final class PoolF32 {
  private static final VectorSpecies<Float> S = VectorWidth.F32;
  private static final int V = S.length();
  private static final ByteOrder O = ByteOrder.nativeOrder();
  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

  private PoolF32() {}

  static Kernel forward(PoolFn fn, PoolSpec s, TensorType x, CpuPool pool) {
    PoolLoops.Windows w = new PoolLoops.Windows(s, x.shape());
    boolean max = fn == PoolFn.MAX;
    int c = w.channels;
    return (in, out) ->
        pool.parallelFor(
            w.batch,
            1,
            (from, to) -> {
              MemorySegment xs = in[0];
              MemorySegment ys = out[0];
              for (int n = from; n < to; n++) {
                for (int o = 0; o < w.outPositions; o++) {
                  long dst = ((long) n * w.outPositions + o) * c;
                  float scale = max ? 1f : 1f / w.count[o];
                  for (int ch = 0; ch < c; ch += V) {
                    VectorMask<Float> m = S.indexInRange(ch, c);
                    FloatVector acc = FloatVector.broadcast(S, max ? Float.NEGATIVE_INFINITY : 0f);
                    for (int k = 0; k < w.slots; k++) {
                      int p = w.inputAt[o * w.slots + k];
                      if (p >= 0) {
                        long src = (((long) n * w.inPositions + p) * c + ch) * 4;
                        FloatVector v = FloatVector.fromMemorySegment(S, xs, src, O, m);
                        acc = max ? acc.max(v) : acc.add(v);
                      }
                    }
                    (max ? acc : acc.mul(scale)).intoMemorySegment(ys, (dst + ch) * 4, O, m);
                  }
                }
              }
            });
  }

  static Kernel maxBackward(PoolSpec s, TensorType x, CpuPool pool) {
    PoolLoops.Windows w = new PoolLoops.Windows(s, x.shape());
    int c = w.channels;
    long perImage = (long) w.inPositions * c * 4;
    return (in, out) ->
        pool.parallelFor(
            w.batch,
            1,
            (from, to) -> {
              MemorySegment xs = in[0];
              MemorySegment dy = in[1];
              MemorySegment dx = out[0];
              // Images are independent: each thread clears and fills its own images.
              dx.asSlice(from * perImage, (to - from) * perImage).fill((byte) 0);
              for (int n = from; n < to; n++) {
                for (int o = 0; o < w.outPositions; o++) {
                  long g = ((long) n * w.outPositions + o) * c;
                  for (int ch = 0; ch < c; ch++) {
                    long best = -1;
                    float bv = 0;
                    for (int k = 0; k < w.slots; k++) {
                      int p = w.inputAt[o * w.slots + k];
                      if (p >= 0) {
                        long at = ((long) n * w.inPositions + p) * c + ch;
                        float v = xs.getAtIndex(F, at);
                        if (best < 0 || v > bv) {
                          best = at;
                          bv = v;
                        }
                      }
                    }
                    dx.setAtIndex(F, best, dx.getAtIndex(F, best) + dy.getAtIndex(F, g + ch));
                  }
                }
              }
            });
  }
}
