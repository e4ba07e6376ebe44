package dev.kiln.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.ConvSpec;
import dev.kiln.spi.ir.ConvolutionOp;
import dev.kiln.spi.ir.Padding;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Which input gradients the direct kernels take: the strided ones of the benchmark's ResNet go to
 * the phases (their results are checked against the scalar kernels in {@link VectorTwinTest}); and
 * the filter gradient's partial sums across runs.
 */
class DirectConvTest {
  private static boolean direct(ConvSpec s, int[] x, int[] w) {
    TensorType xt = TensorType.of(DType.FLOAT32, x);
    TensorType wt = TensorType.of(DType.FLOAT32, w);
    TensorType y =
        new TensorType(
            DType.FLOAT32, new ConvolutionOp.Conv(s).infer(List.of(xt, wt)).get(0).shape());
    return DirectConv.coversBackpropInput(s, y, wt, xt);
  }

  private static ConvSpec stride2(Padding p) {
    return new ConvSpec(new int[] {2, 2}, p, new int[] {1, 1}, 1);
  }

  @Test
  void stridedInputGradientsOfFewChannelsRunAsPhases() {
    assertTrue(direct(stride2(Padding.SAME), new int[] {64, 28, 28, 16}, new int[] {3, 3, 16, 32}));
    assertTrue(direct(stride2(Padding.SAME), new int[] {64, 14, 14, 32}, new int[] {3, 3, 32, 64}));
    assertTrue(direct(stride2(Padding.SAME), new int[] {64, 28, 28, 16}, new int[] {1, 1, 16, 32}));
    assertTrue(direct(stride2(Padding.SAME), new int[] {64, 14, 14, 32}, new int[] {1, 1, 32, 64}));
    assertTrue(
        direct(stride2(Padding.VALID), new int[] {64, 28, 28, 16}, new int[] {3, 3, 16, 32}));
    assertTrue(
        direct(
            new ConvSpec(new int[] {2}, Padding.SAME, new int[] {1}, 1),
            new int[] {64, 100, 32},
            new int[] {3, 32, 32}));
  }

  /**
   * The filter gradient run twice on one kernel, with other data the second time, against a sum in
   * float64: each thread's partial filter must start from zero at every run, not from the last
   * run's sums. Output channels of one vector, of two and of three (a ragged panel) cover every
   * tile shape of the vector width this JVM runs.
   */
  @Test
  void theFilterGradientStartsFromZeroAtEveryRun() {
    for (int cout : new int[] {VectorWidth.F32.length(), 2 * VectorWidth.F32.length(), 24}) {
      ConvSpec s = ConvSpec.simple(2, Padding.SAME);
      int n = 3, h = 5, c = 16, k = 3;
      TensorType x = TensorType.of(DType.FLOAT32, n, h, h, c);
      TensorType dy = TensorType.of(DType.FLOAT32, n, h, h, cout);
      TensorType dw = TensorType.of(DType.FLOAT32, k, k, c, cout);
      Kernel kernel = DirectConv.backpropFilter(s, x, dy, dw, CpuPool.shared(2));
      SplittableRandom rnd = new SplittableRandom(cout);
      for (int run = 0; run < 2; run++) {
        MemorySegment xs = random(x.shape(), rnd);
        MemorySegment dys = random(dy.shape(), rnd);
        MemorySegment out = Arena.ofAuto().allocate(dw.shape().size() * 4, 64);
        kernel.run(new MemorySegment[] {xs, dys}, new MemorySegment[] {out});
        for (int a = 0; a < k; a++) {
          for (int b = 0; b < k; b++) {
            for (int ci = 0; ci < c; ci++) {
              for (int co = 0; co < cout; co++) {
                double sum = 0;
                for (int img = 0; img < n; img++) {
                  for (int i = 0; i < h; i++) {
                    for (int j = 0; j < h; j++) {
                      int si = i + a - 1, sj = j + b - 1;
                      if (si >= 0 && si < h && sj >= 0 && sj < h) {
                        sum +=
                            (double) at(xs, ((img * h + si) * h + sj) * c + ci)
                                * at(dys, ((img * h + i) * h + j) * cout + co);
                      }
                    }
                  }
                }
                int idx = ((a * k + b) * c + ci) * cout + co;
                assertEquals(
                    sum,
                    at(out, idx),
                    1e-4 * (1 + Math.abs(sum)),
                    "run " + run + ", " + cout + " output channels, dw index " + idx);
              }
            }
          }
        }
      }
    }
  }

  private static MemorySegment random(Shape shape, SplittableRandom rnd) {
    MemorySegment m = Arena.ofAuto().allocate(shape.size() * 4, 64);
    for (long i = 0; i < shape.size(); i++) {
      m.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextDouble(-1, 1));
    }
    return m;
  }

  private static float at(MemorySegment m, int i) {
    return m.getAtIndex(ValueLayout.JAVA_FLOAT, i);
  }

  @Test
  void stridedInputGradientsIntoOneChannelOrManyStayWithGemm() {
    assertFalse(direct(stride2(Padding.SAME), new int[] {64, 28, 28, 1}, new int[] {3, 3, 1, 16}));
    assertFalse(
        direct(stride2(Padding.SAME), new int[] {64, 14, 14, 128}, new int[] {3, 3, 128, 128}));
  }

  @Test
  void validInputGradientsThatReadMostlyPaddingStayWithGemm() {
    // Stride 1, 5x5 "valid" on 8x8: dy has 4x4 positions, the padded dy 8x8.
    assertFalse(
        direct(
            ConvSpec.simple(2, Padding.VALID), new int[] {2, 8, 8, 16}, new int[] {5, 5, 16, 16}));
    // Stride 2, 2x2 "valid" on 29x29: only dx's last row and column, which no output reaches,
    // read padding alone.
    assertTrue(direct(stride2(Padding.VALID), new int[] {2, 29, 29, 16}, new int[] {2, 2, 16, 16}));
  }
}
