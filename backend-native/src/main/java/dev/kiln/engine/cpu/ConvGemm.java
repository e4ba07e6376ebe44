package dev.kiln.engine.cpu;

import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.ConvSpec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Float32 convolution as GEMM over an im2col matrix of shape {@code [N * positions, taps * C_in]}
 * (channels-last makes each tap's channels one contiguous run): the forward pass multiplies it by
 * the kernel viewed as {@code [taps * C_in, C_out]}; the input gradient multiplies {@code dy} by
 * the kernel transposed and scatters back (col2im); the filter gradient multiplies the im2col
 * matrix transposed by {@code dy}. The im2col buffer belongs to the kernel and is reused every run.
 */
final class ConvGemm {
  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

  private ConvGemm() {}

  /** Per-thread heap scratch for im2col, grown on demand and then reused run after run. */
  private static final ThreadLocal<float[]> IMAGE = ThreadLocal.withInitial(() -> new float[0]);

  private static final ThreadLocal<float[]> BLOCK = ThreadLocal.withInitial(() -> new float[0]);

  private static float[] scratch(ThreadLocal<float[]> holder, int floats) {
    float[] a = holder.get();
    if (a.length < floats) {
      a = new float[floats];
      holder.set(a);
    }
    return a;
  }

  private static MemorySegment colBuffer(ConvGeometry g) {
    long floats = (long) g.batch * g.outPositions * g.taps * g.cin;
    return OffHeap.allocate(Arena.ofAuto(), Math.max(4, floats * 4), 64);
  }

  /**
   * Builds the im2col rows of each image in a heap scratch from a heap copy of the image, then
   * stores them with one bulk copy: per-element segment accesses (a bounds check each) made this
   * the hot spot for one-channel inputs.
   */
  private static void im2col(ConvGeometry g, MemorySegment x, MemorySegment col, CpuPool pool) {
    int row = g.taps * g.cin;
    int imageFloats = g.inPositions * g.cin;
    int blockFloats = g.outPositions * row;
    pool.parallelFor(
        g.batch,
        1,
        (from, to) -> {
          float[] image = scratch(IMAGE, imageFloats);
          float[] block = scratch(BLOCK, blockFloats);
          for (int n = from; n < to; n++) {
            MemorySegment.copy(x, F, (long) n * imageFloats * 4, image, 0, imageFloats);
            int dst = 0;
            for (int o = 0; o < g.outPositions; o++) {
              for (int k = 0; k < g.taps; k++, dst += g.cin) {
                int p = g.inputAt[o * g.taps + k];
                if (p < 0) {
                  java.util.Arrays.fill(block, dst, dst + g.cin, 0f);
                } else if (g.cin < 8) {
                  for (int c = 0; c < g.cin; c++) {
                    block[dst + c] = image[p * g.cin + c];
                  }
                } else {
                  System.arraycopy(image, p * g.cin, block, dst, g.cin);
                }
              }
            }
            MemorySegment.copy(block, 0, col, F, (long) n * blockFloats * 4, blockFloats);
          }
        });
  }

  static Kernel forward(ConvSpec s, TensorType x, TensorType w, TensorType y, CpuPool pool) {
    ConvGeometry g = new ConvGeometry(s, x.shape(), w.shape(), y.shape());
    MemorySegment col = colBuffer(g);
    Gemm.Workspace ws = new Gemm.Workspace();
    int m = g.batch * g.outPositions;
    int k = g.taps * g.cin;
    return (in, out) -> {
      im2col(g, in[0], col, pool);
      Gemm.multiply(
          pool, ws, m, g.cout, k, col, 0, false, in[1], 0, false, out[0], 0, g.cout, false);
    };
  }

  static Kernel backpropInput(
      ConvSpec s, TensorType dy, TensorType w, TensorType dx, CpuPool pool) {
    ConvGeometry g = new ConvGeometry(s, dx.shape(), w.shape(), dy.shape());
    MemorySegment col = colBuffer(g);
    Gemm.Workspace ws = new Gemm.Workspace();
    int m = g.batch * g.outPositions;
    int row = g.taps * g.cin;
    long total = dx.shape().size();
    return (in, out) -> {
      Gemm.multiply(pool, ws, m, row, g.cout, in[0], 0, false, in[1], 0, true, col, 0, row, false);
      MemorySegment d = out[0];
      d.asSlice(0, total * 4).fill((byte) 0);
      // Images are independent, so threads split the batch and never write the same element.
      pool.parallelFor(
          g.batch,
          1,
          (from, to) -> {
            for (int n = from; n < to; n++) {
              for (int o = 0; o < g.outPositions; o++) {
                long src = ((long) n * g.outPositions + o) * row;
                for (int kk = 0; kk < g.taps; kk++) {
                  int p = g.inputAt[o * g.taps + kk];
                  if (p < 0) {
                    continue;
                  }
                  long dst = ((long) n * g.inPositions + p) * g.cin;
                  long c0 = src + (long) kk * g.cin;
                  for (int c = 0; c < g.cin; c++) {
                    d.setAtIndex(F, dst + c, d.getAtIndex(F, dst + c) + col.getAtIndex(F, c0 + c));
                  }
                }
              }
            }
          });
    };
  }

  static Kernel backpropFilter(
      ConvSpec s, TensorType x, TensorType dy, TensorType dw, CpuPool pool) {
    ConvGeometry g = new ConvGeometry(s, x.shape(), dw.shape(), dy.shape());
    MemorySegment col = colBuffer(g);
    Gemm.Workspace ws = new Gemm.Workspace();
    int m = g.batch * g.outPositions;
    int row = g.taps * g.cin;
    return (in, out) -> {
      im2col(g, in[0], col, pool);
      Gemm.multiply(
          pool, ws, row, g.cout, m, col, 0, true, in[1], 0, false, out[0], 0, g.cout, false);
    };
  }
}
