package dev.kiln.engine.cpu;

import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.PoolFn;
import dev.kiln.spi.ir.PoolSpec;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 pooling, vectorized across channels: channels-last puts each window position's channels
 * in one contiguous run, so the window reduction is a max (or sum) of vectors, with a masked vector
 * for the last channels. The backward pass routes each gradient to its window's first maximum, in
 * float32 without the scalar twin's double accumulator, a vector of channels at a time: each lane
 * tracks the slot of its maximum, and each slot adds the gradient to the lanes it won.
 */
final class PoolF32 {
  private static final VectorSpecies<Float> S = VectorWidth.F32;
  private static final int V = S.length();
  private static final ByteOrder O = ByteOrder.nativeOrder();

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
                  for (int step = 0; step < c; step += V) {
                    // The last vector ends at c, overlapping the one before: its shared lanes are
                    // written the same values again, and a full vector costs less than a tail.
                    int ch = c > V && step + V > c ? c - V : step;
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
    boolean disjoint = true;
    for (int a = 0; a < s.window().length; a++) {
      disjoint &= s.strides()[a] >= s.window()[a];
    }
    boolean noOverlap = disjoint;
    // Windows that neither overlap nor leave a gap write every position of dx: nothing to clear.
    long reached = java.util.Arrays.stream(w.inputAt).filter(p -> p >= 0).count();
    boolean tiled = noOverlap && reached == w.inPositions;
    return (in, out) ->
        pool.parallelFor(
            w.batch,
            1,
            (from, to) -> {
              MemorySegment xs = in[0];
              MemorySegment dy = in[1];
              MemorySegment dx = out[0];
              // Images are independent: each thread clears and fills its own images.
              if (!tiled) {
                dx.asSlice(from * perImage, (to - from) * perImage).fill((byte) 0);
              }
              for (int n = from; n < to; n++) {
                long image = (long) n * w.inPositions;
                for (int o = 0; o < w.outPositions; o++) {
                  long g = ((long) n * w.outPositions + o) * c;
                  int slots = o * w.slots;
                  for (int step = 0; step < c; step += V) {
                    // Where writes replace (no overlap), the last vector ends at c and overlaps the
                    // one before: its shared lanes get the same values again, and a full vector
                    // costs half a masked tail (20 channels: 0.61 against 0.25 ms for 16).
                    int ch = noOverlap && c > V && step + V > c ? c - V : step;
                    VectorMask<Float> m = S.indexInRange(ch, c);
                    // Each lane's first maximum, as the scalar twin picks it: the first slot
                    // inside the input, replaced only by a strictly greater value. (No null
                    // vectors before the first slot: a phi with null makes C2 box every vector.)
                    int first = 0;
                    while (first < w.slots && w.inputAt[slots + first] < 0) {
                      first++;
                    }
                    if (first == w.slots) {
                      continue;
                    }
                    FloatVector best =
                        FloatVector.fromMemorySegment(
                            S, xs, ((image + w.inputAt[slots + first]) * c + ch) * 4, O, m);
                    FloatVector bestSlot = FloatVector.broadcast(S, first);
                    for (int k = first + 1; k < w.slots; k++) {
                      int p = w.inputAt[slots + k];
                      if (p < 0) {
                        continue;
                      }
                      FloatVector v =
                          FloatVector.fromMemorySegment(S, xs, ((image + p) * c + ch) * 4, O, m);
                      VectorMask<Float> greater = v.compare(VectorOperators.GT, best);
                      best = best.blend(v, greater);
                      bestSlot = bestSlot.blend(FloatVector.broadcast(S, k), greater);
                    }
                    FloatVector grad = FloatVector.fromMemorySegment(S, dy, (g + ch) * 4, O, m);
                    for (int k = first; k < w.slots; k++) {
                      int p = w.inputAt[slots + k];
                      if (p < 0) {
                        continue;
                      }
                      VectorMask<Float> here = bestSlot.compare(VectorOperators.EQ, k);
                      long at = ((image + p) * c + ch) * 4;
                      if (noOverlap) {
                        // No other window reaches this position: write, don't accumulate.
                        FloatVector.zero(S).blend(grad, here).intoMemorySegment(dx, at, O, m);
                      } else if (here.anyTrue()) {
                        FloatVector d = FloatVector.fromMemorySegment(S, dx, at, O, m);
                        d.add(grad, here.and(m)).intoMemorySegment(dx, at, O, m);
                      }
                    }
                  }
                }
              }
            });
  }
}
