package dev.kiln.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.cuda.driver.Cudnn;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.ConvSpec;
import dev.kiln.spi.ir.Padding;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The cuDNN descriptors of Kiln's convolutions, and which convolutions cuDNN can run as meant. */
class CudnnConvolutionTest {
  private static Optional<CudnnConvolution> forward(
      ConvSpec spec, int[] x, int[] w, int[] y, DType dtype) {
    return CudnnConvolution.of(
        Cudnn.Pass.FORWARD, spec, Shape.of(x), Shape.of(w), Shape.of(y), dtype);
  }

  @Test
  void channelsLastTensorsAreReadInPlaceThroughStridedDescriptors() {
    CudnnConvolution c =
        forward(
                ConvSpec.simple(2, Padding.VALID),
                new int[] {2, 5, 6, 3},
                new int[] {3, 3, 3, 4},
                new int[] {2, 3, 4, 4},
                DType.FLOAT32)
            .orElseThrow();
    assertArrayEquals(new int[] {2, 3, 5, 6}, c.inputDims());
    // N, C, H, W strides of an [N, H, W, C] array.
    assertArrayEquals(new int[] {90, 1, 18, 3}, c.inputStrides());
    assertArrayEquals(new int[] {2, 4, 3, 4}, c.outputDims());
    assertArrayEquals(new int[] {48, 1, 16, 4}, c.outputStrides());
    assertArrayEquals(new int[] {4, 3, 3, 3}, c.filterDims());
    assertEquals(108, c.filterElements());
    assertArrayEquals(new int[] {0, 0}, c.pads());
    assertEquals(Cudnn.DATA_FLOAT, c.dataType());
  }

  @Test
  void groupsDivideTheFilterInputChannels() {
    CudnnConvolution c =
        forward(
                new ConvSpec(new int[] {1, 1}, Padding.SAME, new int[] {1, 1}, 2),
                new int[] {1, 4, 4, 6},
                new int[] {3, 3, 3, 8},
                new int[] {1, 4, 4, 8},
                DType.BFLOAT16)
            .orElseThrow();
    assertArrayEquals(new int[] {8, 3, 3, 3}, c.filterDims());
    assertArrayEquals(new int[] {1, 1}, c.pads());
    assertEquals(Cudnn.DATA_BFLOAT16, c.dataType());
  }

  @Test
  void sameWithMorePaddingAfterThanBeforeIsLeftToKilnsKernels() {
    // 6 wide, 3 taps, stride 2: Keras pads 0 before and 1 after, which cuDNN cannot express.
    assertTrue(
        forward(
                new ConvSpec(new int[] {2, 2}, Padding.SAME, new int[] {1, 1}, 1),
                new int[] {1, 6, 6, 1},
                new int[] {3, 3, 1, 1},
                new int[] {1, 3, 3, 1},
                DType.FLOAT32)
            .isEmpty());
    // 7 wide: 1 before and 1 after.
    CudnnConvolution odd =
        forward(
                new ConvSpec(new int[] {2, 2}, Padding.SAME, new int[] {1, 1}, 1),
                new int[] {1, 7, 7, 1},
                new int[] {3, 3, 1, 1},
                new int[] {1, 4, 4, 1},
                DType.FLOAT32)
            .orElseThrow();
    assertArrayEquals(new int[] {1, 1}, odd.pads());
  }

  private static Optional<CudnnConvolution> explicitRows(
      int before, int after, int stride, int rows, int outRows) {
    return forward(
        new ConvSpec(
            new int[] {stride, 1},
            Padding.explicit(new int[] {before, after}, new int[] {0, 0}),
            new int[] {1, 1},
            1),
        new int[] {1, rows, 4, 1},
        new int[] {3, 1, 1, 1},
        new int[] {1, outRows, 4, 1},
        DType.FLOAT32);
  }

  @Test
  void explicitPaddingGoesToCudnnWhenItsOutputIsTheSame() {
    // Stride 1, 2 before and 1 after: cuDNN's 2 after would add a row.
    assertTrue(explicitRows(2, 1, 1, 5, 6).isEmpty(), "an extra row");
    // Stride 2 over 5, 1 before and 2 after: the last padded row is never read, so cuDNN's
    // one-a-side padding gives the same 3 rows.
    assertArrayEquals(new int[] {1, 0}, explicitRows(1, 2, 2, 5, 3).orElseThrow().pads());
    // Stride 2 over 6, 2 before and 1 after: cuDNN's 2 after are never read either.
    assertArrayEquals(new int[] {2, 0}, explicitRows(2, 1, 2, 6, 4).orElseThrow().pads());
    // Stride 2 over 6, 1 before and 2 after: 4 rows, cuDNN's one-a-side padding gives 3.
    assertTrue(explicitRows(1, 2, 2, 6, 4).isEmpty(), "a missing row");
  }

  @Test
  void aOneDimensionalConvolutionRunsAsTwoDimensionalOfHeightOne() {
    CudnnConvolution c =
        forward(
                new ConvSpec(new int[] {2}, Padding.VALID, new int[] {3}, 1),
                new int[] {4, 20, 5},
                new int[] {2, 5, 7},
                new int[] {4, 9, 7},
                DType.FLOAT16)
            .orElseThrow();
    assertArrayEquals(new int[] {4, 5, 1, 20}, c.inputDims());
    assertArrayEquals(new int[] {100, 1, 100, 5}, c.inputStrides());
    assertArrayEquals(new int[] {7, 5, 1, 2}, c.filterDims());
    assertArrayEquals(new int[] {1, 2}, c.strides());
    assertArrayEquals(new int[] {1, 3}, c.dilations());
    assertArrayEquals(new int[] {0, 0}, c.pads());
  }

  @Test
  void otherTypesAndRanksAreLeftToKilnsKernels() {
    ConvSpec spec = ConvSpec.simple(2, Padding.VALID);
    int[] x = {1, 3, 3, 1};
    int[] w = {1, 1, 1, 1};
    assertTrue(forward(spec, x, w, x, DType.FLOAT64).isEmpty());
    assertTrue(forward(spec, x, w, x, DType.INT32).isEmpty());
    int[] x4 = {1, 2, 2, 2, 2, 1};
    assertTrue(
        forward(
                ConvSpec.simple(4, Padding.VALID),
                x4,
                new int[] {1, 1, 1, 1, 1, 1},
                x4,
                DType.FLOAT32)
            .isEmpty());
  }

  @Test
  void theFilterPermutationMovesOutputChannelsFirst() {
    assertArrayEquals(new int[] {3, 0, 1, 2}, CudnnConvolution.toCudnnFilter(2));
    assertArrayEquals(new int[] {2, 0, 1}, CudnnConvolution.toCudnnFilter(1));
    assertArrayEquals(new int[] {4, 0, 1, 2, 3}, CudnnConvolution.toCudnnFilter(3));
  }
}
