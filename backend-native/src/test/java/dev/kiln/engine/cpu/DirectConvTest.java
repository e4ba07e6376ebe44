package dev.kiln.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spi.DType;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.ConvSpec;
import dev.kiln.spi.ir.ConvolutionOp;
import dev.kiln.spi.ir.Padding;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which input gradients the direct kernels take: the strided ones of the benchmark's ResNet go to
 * the phases (their results are checked against the scalar kernels in {@link VectorTwinTest}).
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
