package dev.kiln.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.BinaryFn;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.ConvSpec;
import dev.kiln.spi.ir.ConvolutionOp;
import dev.kiln.spi.ir.ElementwiseOp;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.PoolFn;
import dev.kiln.spi.ir.PoolSpec;
import dev.kiln.spi.ir.PoolingOp;
import dev.kiln.spi.ir.ReduceFn;
import dev.kiln.spi.ir.UnaryFn;
import dev.kiln.spi.ir.Value;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every vector kernel against its scalar twin at sizes that put the vector body, the vector tail
 * and the scalar tail in every combination, for 128- to 512-bit vectors (whichever width this JVM
 * runs; the build runs the suite at the preferred width and at 256 bits).
 */
class VectorTwinTest {
  static final int[] SIZES = {1, 3, 7, 15, 16, 17, 31, 33, 255, 1023, 4099, 8195};
  static final CpuPool POOL = CpuPool.shared(2);

  /** An op on random inputs in [lo, hi), rounded to multiples of {@code step} when it is > 0. */
  record Case(
      String name,
      List<TensorType> inputs,
      BiFunction<GraphBuilder, List<Value>, Value> op,
      double lo,
      double hi,
      double step,
      int onlyResult) {
    Case(
        String name,
        List<TensorType> inputs,
        BiFunction<GraphBuilder, List<Value>, Value> op,
        double lo,
        double hi,
        double step) {
      this(name, inputs, op, lo, hi, step, -1);
    }

    Case(
        String name,
        List<TensorType> inputs,
        BiFunction<GraphBuilder, List<Value>, Value> op,
        double lo,
        double hi) {
      this(name, inputs, op, lo, hi, 0, -1);
    }
  }

  static List<Case> cases() {
    List<Case> c = new ArrayList<>();
    for (int n : SIZES) {
      TensorType v = TensorType.of(DType.FLOAT32, n);
      for (UnaryFn fn : UnaryFn.values()) {
        if (fn != UnaryFn.LOGICAL_NOT) {
          boolean positive =
              fn == UnaryFn.LOG || fn == UnaryFn.LOG1P || fn == UnaryFn.SQRT || fn == UnaryFn.RSQRT;
          c.add(
              new Case(
                  fn + "." + n,
                  List.of(v),
                  (b, x) -> b.unary(fn, x.get(0)),
                  positive ? 0.1 : -3,
                  3));
        }
      }
      for (BinaryFn fn :
          List.of(
              BinaryFn.ADD, BinaryFn.SUB, BinaryFn.MUL, BinaryFn.DIV, BinaryFn.MAX, BinaryFn.MIN)) {
        c.add(
            new Case(
                fn + ".same." + n,
                List.of(v, v),
                (b, x) -> b.binary(fn, x.get(0), x.get(1)),
                0.5,
                2));
        c.add(
            new Case(
                fn + ".scalar_left." + n,
                List.of(TensorType.of(DType.FLOAT32), v),
                (b, x) -> b.binary(fn, x.get(0), x.get(1)),
                0.5,
                2));
        c.add(
            new Case(
                fn + ".scalar_right." + n,
                List.of(v, TensorType.of(DType.FLOAT32)),
                (b, x) -> b.binary(fn, x.get(0), x.get(1)),
                0.5,
                2));
        c.add(
            new Case(
                fn + ".bias." + n,
                List.of(TensorType.of(DType.FLOAT32, 3, n), v),
                (b, x) -> b.binary(fn, x.get(0), x.get(1)),
                0.5,
                2));
      }
      for (CompareFn fn : CompareFn.values()) {
        c.add(
            new Case(
                fn + "." + n,
                List.of(v, TensorType.of(DType.FLOAT32)),
                (b, x) -> b.compare(fn, x.get(0), x.get(1)),
                -1,
                1));
      }
      c.add(
          new Case(
              "select." + n,
              List.of(TensorType.of(DType.BOOL, n), v, v),
              (b, x) -> b.select(x.get(0), x.get(1), x.get(2)),
              0,
              2,
              1));
      // One branch a scalar, as a ReLU's zero and its gradient's. (Inputs rounded to 0, 1, 2: a
      // quarter of the conditions are false.)
      c.add(
          new Case(
              "select_scalar_a." + n,
              List.of(TensorType.of(DType.BOOL, n), TensorType.of(DType.FLOAT32), v),
              (b, x) -> b.select(x.get(0), x.get(1), x.get(2)),
              0,
              2,
              1));
      c.add(
          new Case(
              "select_scalar_b." + n,
              List.of(TensorType.of(DType.BOOL, n), v, TensorType.of(DType.FLOAT32, 1)),
              (b, x) -> b.select(x.get(0), x.get(1), x.get(2)),
              0,
              2,
              1));
      for (ReduceFn fn : List.of(ReduceFn.SUM, ReduceFn.MEAN, ReduceFn.MAX, ReduceFn.MIN)) {
        c.add(
            new Case(
                "reduce_rows." + fn + "." + n,
                List.of(TensorType.of(DType.FLOAT32, 3, n)),
                (b, x) -> b.reduce(fn, x.get(0), new int[] {1}, false),
                -2,
                2));
        c.add(
            new Case(
                "reduce_cols." + fn + "." + n,
                List.of(TensorType.of(DType.FLOAT32, 3, n)),
                (b, x) -> b.reduce(fn, x.get(0), new int[] {0}, false),
                -2,
                2));
      }
      c.add(
          new Case(
              "softmax." + n,
              List.of(TensorType.of(DType.FLOAT32, 2, n)),
              (b, x) -> b.softmax(x.get(0), -1),
              -5,
              5));
      c.add(
          new Case(
              "log_softmax." + n,
              List.of(TensorType.of(DType.FLOAT32, 2, n)),
              (b, x) -> b.logSoftmax(x.get(0), -1),
              -5,
              5));
      c.add(
          new Case(
              "adam_update." + n,
              List.of(v, v, v, v, TensorType.of(DType.FLOAT32)),
              (b, x) ->
                  b.adamUpdate(x.get(0), x.get(1), x.get(2), x.get(3), x.get(4), 0.9, 0.999, 1e-7)
                      .get(0),
              0.1,
              2));
      c.add(
          new Case(
              "broadcast_scalar." + n,
              List.of(TensorType.of(DType.FLOAT32)),
              (b, x) -> b.broadcastTo(x.get(0), Shape.of(2, n)),
              -1,
              1));
      if (n <= 255) {
        c.add(
            new Case(
                "matmul." + n,
                List.of(TensorType.of(DType.FLOAT32, n, 17), TensorType.of(DType.FLOAT32, 17, n)),
                (b, x) -> b.matmul(x.get(0), x.get(1)),
                -1,
                1));
        c.add(
            new Case(
                "matmul.ta_tb." + n,
                List.of(TensorType.of(DType.FLOAT32, 33, n), TensorType.of(DType.FLOAT32, 7, 33)),
                (b, x) -> b.matmul(x.get(0), x.get(1), true, true),
                -1,
                1));
        for (boolean tb : new boolean[] {false, true}) {
          c.add(
              new Case(
                  "matmul.stack_times_matrix" + (tb ? ".tb." : ".") + n,
                  List.of(
                      TensorType.of(DType.FLOAT32, 3, n, 19),
                      tb
                          ? TensorType.of(DType.FLOAT32, 21, 19)
                          : TensorType.of(DType.FLOAT32, 19, 21)),
                  (b, x) -> b.matmul(x.get(0), x.get(1), false, tb),
                  -1,
                  1));
        }
        // Few rows of A against a tall transposed B: computed as (B A^T)^T.
        c.add(
            new Case(
                "matmul.tb_tall." + n,
                List.of(TensorType.of(DType.FLOAT32, 3, n), TensorType.of(DType.FLOAT32, 41, n)),
                (b, x) -> b.matmul(x.get(0), x.get(1), false, true),
                -1,
                1));
        c.add(
            new Case(
                "matmul.k." + n,
                List.of(TensorType.of(DType.FLOAT32, 5, n), TensorType.of(DType.FLOAT32, n, 9)),
                (b, x) -> b.matmul(x.get(0), x.get(1)),
                -1,
                1));
      }
    }
    for (int ch : new int[] {1, 7, 16, 17, 33}) {
      for (Padding pad : List.of(Padding.VALID, Padding.SAME)) {
        PoolSpec ps = new PoolSpec(new int[] {2, 3}, new int[] {2, 2}, pad);
        TensorType x = TensorType.of(DType.FLOAT32, 2, 7, 8, ch);
        TensorType y =
            new TensorType(
                DType.FLOAT32, new PoolingOp.Pool(PoolFn.MAX, ps).infer(List.of(x)).get(0).shape());
        for (PoolFn fn : PoolFn.values()) {
          c.add(
              new Case(
                  "pool." + fn + "." + pad + "." + ch,
                  List.of(x),
                  (b, v) -> b.pool(fn, v.get(0), ps),
                  -1,
                  1));
        }
        c.add(
            new Case(
                "max_pool_backward." + pad + "." + ch,
                List.of(x, y),
                (b, v) -> b.emit1(new PoolingOp.MaxPoolBackward(ps), v.get(0), v.get(1)),
                -1,
                1));
        // Inputs of three values: windows with tied maxima, whose first one takes the gradient;
        // overlapping windows (as above) and windows that tile the input (written, not summed).
        PoolSpec tiles = new PoolSpec(new int[] {2, 2}, new int[] {2, 2}, pad);
        for (PoolSpec spec : List.of(ps, tiles)) {
          TensorType ys =
              new TensorType(
                  DType.FLOAT32,
                  new PoolingOp.Pool(PoolFn.MAX, spec).infer(List.of(x)).get(0).shape());
          c.add(
              new Case(
                  "max_pool_backward_ties." + pad + "." + ch + "." + spec.window()[1],
                  List.of(x, ys),
                  (b, v) -> b.emit1(new PoolingOp.MaxPoolBackward(spec), v.get(0), v.get(1)),
                  -1,
                  1,
                  1));
        }
      }
    }
    ConvSpec same = new ConvSpec(new int[] {2, 1}, Padding.SAME, new int[] {1, 2}, 1);
    ConvSpec valid = ConvSpec.simple(2, Padding.VALID);
    for (ConvSpec s : List.of(same, valid)) {
      addConv(
          c,
          s.toString(),
          s,
          TensorType.of(DType.FLOAT32, 2, 9, 8, 3),
          TensorType.of(DType.FLOAT32, 3, 3, 3, 17));
    }
    // The direct kernels (few channels): pixel counts no multiple of the six-pixel tile, channels
    // no multiple of the panel, strides, asymmetric and explicit (causal) padding, one input
    // channel, and 1-D.
    record Direct(String name, ConvSpec spec, int[] x, int[] w) {}
    for (Direct d :
        List.of(
            new Direct(
                "s1_same",
                ConvSpec.simple(2, Padding.SAME),
                new int[] {3, 7, 9, 16},
                new int[] {3, 3, 16, 20}),
            new Direct(
                "s2_same",
                new ConvSpec(new int[] {2, 2}, Padding.SAME, new int[] {1, 1}, 1),
                new int[] {2, 9, 8, 3},
                new int[] {3, 3, 3, 17}),
            new Direct(
                "even_kernel",
                ConvSpec.simple(2, Padding.SAME),
                new int[] {2, 6, 5, 5},
                new int[] {4, 2, 5, 32}),
            new Direct(
                "one_channel",
                ConvSpec.simple(2, Padding.VALID),
                new int[] {2, 12, 11, 1},
                new int[] {5, 5, 1, 20}),
            // Output channels within one vector (at 256 and 512 bits): the one-vector tile, by
            // its tap table (runs of 3 floats) and by its loops over runs (runs of 12).
            new Direct(
                "one_channel_narrow",
                ConvSpec.simple(2, Padding.VALID),
                new int[] {2, 12, 11, 1},
                new int[] {3, 3, 1, 7}),
            new Direct(
                "narrow_runs",
                ConvSpec.simple(2, Padding.SAME),
                new int[] {3, 7, 9, 4},
                new int[] {3, 3, 4, 5}),
            // Channels over one tile on both sides: two or more panels of output channels.
            new Direct(
                "two_panels",
                ConvSpec.simple(2, Padding.SAME),
                new int[] {2, 6, 7, 40},
                new int[] {2, 2, 40, 36}),
            // Input channels in blocks of 16 with few output channels: the filter gradient's tiles
            // of sixteen rows of one tap (512-bit vectors), two blocks per tap.
            new Direct(
                "tap_tiles",
                ConvSpec.simple(2, Padding.SAME),
                new int[] {2, 5, 6, 32},
                new int[] {3, 3, 32, 12}),
            new Direct(
                "strided_valid",
                new ConvSpec(new int[] {2, 3}, Padding.VALID, new int[] {1, 1}, 1),
                new int[] {2, 11, 13, 4},
                new int[] {3, 2, 4, 9}),
            new Direct(
                "causal_1d",
                new ConvSpec(new int[] {1}, Padding.explicit(new int[] {2, 0}), new int[] {1}, 1),
                new int[] {3, 10, 4},
                new int[] {3, 4, 8}),
            new Direct(
                "same_1d",
                ConvSpec.simple(1, Padding.SAME),
                new int[] {2, 13, 6},
                new int[] {4, 6, 24}),
            // Strided input gradients by phases: even and odd sizes, phases without taps (1x1
            // stride 2, kernel 2 stride 3), phases of unequal tap counts (kernel 5 stride 3), a
            // "valid" one whose last rows no output reaches, padding past the kernel (cropped
            // phases), 1-D; input channels 12 and 16 and 32 (one and two vectors at 512 bits), 24
            // (no multiple of the vector) and 48 (two panels); one channel (left to ConvGemm).
            new Direct(
                "phases_s2_same_even",
                stride(2, 2, Padding.SAME),
                new int[] {2, 28, 28, 16},
                new int[] {3, 3, 16, 32}),
            new Direct(
                "phases_s2_same_odd",
                stride(2, 2, Padding.SAME),
                new int[] {2, 15, 15, 24},
                new int[] {3, 3, 24, 16}),
            new Direct(
                "phases_s2_1x1",
                stride(2, 2, Padding.SAME),
                new int[] {2, 14, 14, 32},
                new int[] {1, 1, 32, 64}),
            new Direct(
                "phases_s2_1x1_odd",
                stride(2, 2, Padding.SAME),
                new int[] {2, 15, 13, 16},
                new int[] {1, 1, 16, 8}),
            new Direct(
                "phases_s2_valid",
                stride(2, 2, Padding.VALID),
                new int[] {2, 12, 11, 48},
                new int[] {3, 3, 48, 8}),
            new Direct(
                "phases_s3_k2",
                stride(3, 3, Padding.SAME),
                new int[] {2, 10, 11, 12},
                new int[] {2, 2, 12, 12}),
            new Direct(
                "phases_s2_one_channel",
                stride(2, 2, Padding.SAME),
                new int[] {2, 9, 8, 1},
                new int[] {3, 3, 1, 16}),
            new Direct(
                "phases_s3_k5",
                stride(3, 3, Padding.SAME),
                new int[] {2, 13, 14, 16},
                new int[] {5, 5, 16, 20}),
            new Direct(
                "phases_s2_3_explicit",
                new ConvSpec(
                    new int[] {2, 3},
                    Padding.explicit(new int[] {4, 1}, new int[] {0, 3}),
                    new int[] {1, 1},
                    1),
                new int[] {2, 9, 10, 32},
                new int[] {3, 2, 32, 24}),
            // Input gradients left to ConvGemm with a batch of at least twice the threads: the
            // batch split over threads first, in blocks of two images and a last block of one.
            new Direct(
                "gemm_blocked_valid",
                ConvSpec.simple(2, Padding.VALID),
                new int[] {5, 8, 8, 6},
                new int[] {5, 5, 6, 10}),
            new Direct(
                "gemm_blocked_wide",
                ConvSpec.simple(2, Padding.SAME),
                new int[] {5, 4, 3, 70},
                new int[] {3, 3, 70, 9}),
            // Padded sources with at least two images per thread: each image padded by the
            // thread that reads it (one-vector and two-vector tiles, stride 1 and 2, a tail tile
            // in every image).
            new Direct(
                "per_image_same",
                ConvSpec.simple(2, Padding.SAME),
                new int[] {5, 9, 7, 16},
                new int[] {3, 3, 16, 16}),
            new Direct(
                "per_image_wide",
                ConvSpec.simple(2, Padding.SAME),
                new int[] {4, 5, 7, 12},
                new int[] {3, 3, 12, 40}),
            new Direct(
                "per_image_s2",
                new ConvSpec(new int[] {2, 2}, Padding.SAME, new int[] {1, 1}, 1),
                new int[] {4, 11, 10, 24},
                new int[] {3, 3, 24, 16}),
            new Direct(
                "phases_s2_1d",
                new ConvSpec(new int[] {2}, Padding.SAME, new int[] {1}, 1),
                new int[] {3, 17, 24},
                new int[] {3, 24, 16}))) {
      addConv(
          c,
          "direct." + d.name(),
          d.spec(),
          TensorType.of(DType.FLOAT32, d.x()),
          TensorType.of(DType.FLOAT32, d.w()));
    }
    // A bias short enough to be repeated into a wide row, on either side; a leading reduction
    // over narrow columns whose length is no multiple of its block (420 = 10 x 40 + 20).
    TensorType wide = TensorType.of(DType.FLOAT32, 100, 20);
    TensorType bias = TensorType.of(DType.FLOAT32, 20);
    for (BinaryFn fn : List.of(BinaryFn.ADD, BinaryFn.SUB, BinaryFn.DIV)) {
      c.add(
          new Case(
              fn + ".wide_bias_right",
              List.of(wide, bias),
              (b, x) -> b.binary(fn, x.get(0), x.get(1)),
              0.5,
              2));
      c.add(
          new Case(
              fn + ".wide_bias_left",
              List.of(bias, wide),
              (b, x) -> b.binary(fn, x.get(0), x.get(1)),
              0.5,
              2));
    }
    for (ReduceFn fn : List.of(ReduceFn.SUM, ReduceFn.MEAN, ReduceFn.MAX, ReduceFn.MIN)) {
      c.add(
          new Case(
              "reduce_leading_narrow." + fn,
              List.of(TensorType.of(DType.FLOAT32, 3, 7, 20)),
              (b, x) -> b.reduce(fn, x.get(0), new int[] {0, 1}, false),
              -2,
              2));
    }
    // Broadcasts along inner axes (a global pooling's gradient), one with a kept axis between.
    for (int[][] bt :
        new int[][][] {
          {{2, 1, 1, 9}, {2, 3, 4, 9}}, {{2, 1, 3, 8}, {2, 4, 3, 8}}, {{3, 1, 16}, {3, 5, 16}}
        }) {
      Shape target = Shape.of(bt[1]);
      c.add(
          new Case(
              "broadcast_to." + Arrays.toString(bt[0]),
              List.of(TensorType.of(DType.FLOAT32, bt[0])),
              (b, x) -> b.broadcastTo(x.get(0), target),
              -1,
              1));
    }
    // Reductions over a middle block of axes (global pooling), mean and max among them.
    for (ReduceFn fn : List.of(ReduceFn.SUM, ReduceFn.MEAN, ReduceFn.MAX)) {
      for (int[] dims : new int[][] {{2, 3, 4, 20}, {2, 3, 5, 64}}) {
        c.add(
            new Case(
                "reduce_middle." + fn + "." + dims[3],
                List.of(TensorType.of(DType.FLOAT32, dims)),
                (b, x) -> b.reduce(fn, x.get(0), new int[] {1, 2}, false),
                -2,
                2));
      }
    }
    // More taps x channels than one GEMM depth block (576 > 512) and than one row block of the
    // filter gradient, so im2col rows are read in parts.
    ConvSpec deep = new ConvSpec(new int[] {1, 1}, Padding.SAME, new int[] {1, 1}, 1);
    TensorType dx = TensorType.of(DType.FLOAT32, 2, 5, 6, 64);
    TensorType dw = TensorType.of(DType.FLOAT32, 3, 3, 64, 5);
    addConv(c, "deep", deep, dx, dw);
    // Channels last with a full vector of channels, a channel tail, fewer channels than lanes and
    // several partial-sum blocks; channels first with runs longer and shorter than a vector.
    addBatchNorm(c, TensorType.of(DType.FLOAT32, 2, 5, 5, 16), -1);
    addBatchNorm(c, TensorType.of(DType.FLOAT32, 3, 7, 20), -1);
    addBatchNorm(c, TensorType.of(DType.FLOAT32, 4, 3), -1);
    addBatchNorm(c, TensorType.of(DType.FLOAT32, 4096, 16), 1);
    addBatchNorm(c, TensorType.of(DType.FLOAT32, 2, 5, 7, 7), 1);
    addBatchNorm(c, TensorType.of(DType.FLOAT32, 2, 3, 3), 1);
    addBatchNorm(c, TensorType.of(DType.FLOAT32, 8, 16, 300), 1);
    // Values far from zero against their spread (mean 100.5, standard deviation 0.29): squares
    // taken about zero in one pass would lose the variance to cancellation. Only the variance is
    // compared: the normalized result magnifies the float-summed mean's rounding by gamma / std,
    // whatever the variance's method.
    for (TensorType x :
        List.of(TensorType.of(DType.FLOAT32, 600, 16), TensorType.of(DType.FLOAT32, 3, 16, 300))) {
      int axis = x.rank() == 2 ? -1 : 1;
      TensorType ch = TensorType.of(DType.FLOAT32, 16);
      c.add(
          new Case(
              "batch_norm_training.offset_variance." + x.shape(),
              List.of(x, ch, ch),
              (b, v) -> b.batchNormTraining(v.get(0), v.get(1), v.get(2), axis, 1e-3).get(2),
              100,
              101,
              0,
              2));
    }
    return c;
  }

  /** Batch normalization's forward op and its gradient, on {@code x} around {@code axis}. */
  private static void addBatchNorm(List<Case> c, TensorType x, int axis) {
    TensorType ch = TensorType.of(DType.FLOAT32, x.shape().dim(x.shape().normalizeAxis(axis)));
    String suffix = "." + x.shape() + ".axis" + axis;
    c.add(
        new Case(
            "batch_norm_training" + suffix,
            List.of(x, ch, ch),
            (b, v) -> b.batchNormTraining(v.get(0), v.get(1), v.get(2), axis, 1e-3).get(0),
            -1,
            1));
    c.add(
        new Case(
            "batch_norm_training_grad" + suffix,
            List.of(x, ch, ch, ch, x, ch, ch),
            (b, v) ->
                b.batchNormTrainingGrad(
                        v.get(0), v.get(1), v.get(2), v.get(3), v.get(4), v.get(5), v.get(6), axis,
                        1e-3)
                    .get(0),
            // Positive, for the variance operand; x and mean overlap, so x - mean takes both signs.
            0.05,
            1));
  }

  /** A 2-D convolution with strides {@code (sh, sw)}, no dilation and one group. */
  private static ConvSpec stride(int sh, int sw, Padding padding) {
    return new ConvSpec(new int[] {sh, sw}, padding, new int[] {1, 1}, 1);
  }

  /** The three convolution ops of one geometry, each named after the op and {@code name}. */
  private static void addConv(List<Case> c, String name, ConvSpec s, TensorType x, TensorType w) {
    TensorType y =
        new TensorType(
            DType.FLOAT32, new ConvolutionOp.Conv(s).infer(List.of(x, w)).get(0).shape());
    String suffix = "." + name;
    c.add(new Case("conv" + suffix, List.of(x, w), (b, v) -> b.conv(v.get(0), v.get(1), s), -1, 1));
    c.add(
        new Case(
            "conv_backprop_input" + suffix,
            List.of(y, w),
            (b, v) -> b.convBackpropInput(v.get(0), v.get(1), s, x.shape()),
            -1,
            1));
    c.add(
        new Case(
            "conv_backprop_filter" + suffix,
            List.of(x, y),
            (b, v) -> b.convBackpropFilter(v.get(0), v.get(1), s, w.shape()),
            -1,
            1));
  }

  @TestFactory
  Stream<DynamicTest> vectorKernelsMatchTheirScalarTwins() {
    return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
  }

  private static void check(Case c) {
    Assumptions.assumeTrue(Simd.ENABLED, "the Vector API is disabled or absent in this run");
    GraphBuilder b = new GraphBuilder();
    List<Value> in = new ArrayList<>();
    for (TensorType t : c.inputs()) {
      in.add(b.input(t));
    }
    Node node = c.op().apply(b, in).node();
    boolean maskOp =
        node.op() instanceof ElementwiseOp.Compare || node.op() instanceof ElementwiseOp.Select;
    Assumptions.assumeTrue(
        !maskOp || VectorKernels.masksSupported(),
        "compare and select have vector kernels only with 8 or more float lanes (256-bit vectors)");
    Kernel vector = VectorKernels.of(node, POOL);
    assertNotNull(vector, c.name() + ": expected a vector kernel");
    Kernel scalar = ScalarKernels.of(node);
    SplittableRandom rnd = new SplittableRandom(c.name().hashCode());
    try (Arena arena = Arena.ofShared()) {
      MemorySegment[] ins = new MemorySegment[in.size()];
      for (int i = 0; i < ins.length; i++) {
        TensorType t = c.inputs().get(i);
        ins[i] = arena.allocate(Math.max(1, t.shape().size() * t.dtype().byteSize()), 64);
        for (long e = 0; e < t.shape().size(); e++) {
          double v = c.lo() + (c.hi() - c.lo()) * rnd.nextDouble();
          Elem.set(t.dtype(), ins[i], e, c.step() > 0 ? Math.round(v / c.step()) * c.step() : v);
        }
      }
      int results = node.outputs().size();
      MemorySegment[] ys = new MemorySegment[results];
      MemorySegment[] yv = new MemorySegment[results];
      for (int r = 0; r < results; r++) {
        TensorType out = node.outputs().get(r).type();
        long bytes = Math.max(1, out.shape().size() * out.dtype().byteSize());
        ys[r] = arena.allocate(bytes, 64);
        yv[r] = arena.allocate(bytes, 64);
        // Planned buffers hold the last op's values, never zeros: a kernel that skips writing
        // part of its result must show here.
        yv[r].fill((byte) 0x7f);
        ys[r].fill((byte) 0x7f);
      }
      scalar.run(ins, ys);
      vector.run(ins, yv);
      for (int r = 0; r < results; r++) {
        if (c.onlyResult() >= 0 && r != c.onlyResult()) {
          continue;
        }
        TensorType out = node.outputs().get(r).type();
        long terms =
            Math.max(1, node.inputs().get(0).shape().size() / Math.max(1, out.shape().size()));
        for (long e = 0; e < out.shape().size(); e++) {
          double s = Elem.get(out.dtype(), ys[r], e);
          double v = Elem.get(out.dtype(), yv[r], e);
          double tol = 2e-6 * Math.max(1, Math.abs(s)) + 1e-6 * Math.sqrt(terms) * 4;
          assertTrue(
              Math.abs(s - v) <= tol || (Double.isNaN(s) && Double.isNaN(v)),
              c.name()
                  + " result "
                  + r
                  + " at "
                  + e
                  + ": scalar "
                  + s
                  + ", vector "
                  + v
                  + " ("
                  + VectorWidth.bits()
                  + "-bit vectors)");
        }
      }
    }
  }
}
