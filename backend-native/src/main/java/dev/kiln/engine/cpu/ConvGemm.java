package dev.kiln.engine.cpu;

import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.Op;
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

  private static MemorySegment colBuffer(ConvGeometry g) {
    long floats = (long) g.batch * g.outPositions * g.taps * g.cin;
    return Arena.ofAuto().allocate(Math.max(4, floats * 4), 64);
  }

  private static void im2col(ConvGeometry g, MemorySegment x, MemorySegment col, CpuPool pool) {
    int row = g.taps * g.cin;
    long runBytes = g.cin * 4L;
    pool.parallelFor(
        g.batch,
        1,
        (from, to) -> {
          for (int n = from; n < to; n++) {
            for (int o = 0; o < g.outPositions; o++) {
              long dst = ((long) n * g.outPositions + o) * row * 4;
              for (int k = 0; k < g.taps; k++, dst += runBytes) {
                int p = g.inputAt[o * g.taps + k];
                if (p < 0) {
                  col.asSlice(dst, runBytes).fill((byte) 0);
                } else {
                  MemorySegment.copy(
                      x, ((long) n * g.inPositions + p) * runBytes, col, dst, runBytes);
                }
              }
            }
          }
        });
  }

  static Kernel forward(Op.ConvSpec s, TensorType x, TensorType w, TensorType y, CpuPool pool) {
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
      Op.ConvSpec s, TensorType dy, TensorType w, TensorType dx, CpuPool pool) {
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
      Op.ConvSpec s, TensorType x, TensorType dy, TensorType dw, CpuPool pool) {
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
