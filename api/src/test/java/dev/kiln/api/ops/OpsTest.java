package dev.kiln.api.ops;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.ApiTestSupport;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * The vocabulary's ops run on the native backend against values worked out by hand or by the naive
 * loops below (double precision), in cases where a transposed kernel, padding on the wrong side or
 * a wrong channel order gives other numbers.
 */
class OpsTest {
  private static final double TOL = 2e-5;

  // ---------------------------------------------------------------- helpers

  private static HostTensor t(float[] v, int... shape) {
    return HostTensor.of(Shape.of(shape), v);
  }

  private static float[] seq(int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = i + 1;
    }
    return v;
  }

  private static float[] random(int n, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return v;
  }

  /** Runs a one-output computation and returns its values, after checking the shape. */
  private static double[] run1(
      BiFunction<Ops, List<Value>, Value> f, int[] expectedShape, HostTensor... inputs) {
    HostTensor out = ApiTestSupport.run((o, in) -> List.of(f.apply(o, in)), List.of(inputs)).get(0);
    assertArrayEquals(expectedShape, out.shape().dims(), "shape");
    return out.toDoubleArray();
  }

  private static double[] d(double... v) {
    return v;
  }

  // ---------------------------------------------------------------- elementwise and logic

  @Test
  void newElementwiseOps() {
    HostTensor x = t(new float[] {-2.5f, -0.5f, 0.25f, 1.5f, 2.5f, 4f}, 6);
    HostTensor pos = t(new float[] {0.25f, 1f, 4f}, 3);
    assertClose(
        "rsqrt", d(2, 1, 0.5), run1((o, in) -> o.rsqrt(in.get(0)), new int[] {3}, pos), TOL);
    assertClose(
        "reciprocal",
        d(4, 1, 0.25),
        run1((o, in) -> o.reciprocal(in.get(0)), new int[] {3}, pos),
        TOL);
    assertClose(
        "ceil", d(-2, -0., 1, 2, 3, 4), run1((o, in) -> o.ceil(in.get(0)), new int[] {6}, x), TOL);
    // halves go to even: a round-half-up would give -2, 0, 2, 3
    assertClose(
        "round",
        d(-2, -0., 0, 2, 2, 4),
        run1((o, in) -> o.round(in.get(0)), new int[] {6}, x),
        TOL);
    double[] sin = new double[6];
    double[] cos = new double[6];
    for (int i = 0; i < 6; i++) {
      sin[i] = Math.sin(x.getDouble(i));
      cos[i] = Math.cos(x.getDouble(i));
    }
    assertClose("sin", sin, run1((o, in) -> o.sin(in.get(0)), new int[] {6}, x), TOL);
    assertClose("cos", cos, run1((o, in) -> o.cos(in.get(0)), new int[] {6}, x), TOL);
    // Python's %: the sign of the divisor
    assertClose(
        "mod",
        d(1.5, 1.5, 0.25, 1.5, 0.5, 0),
        run1((o, in) -> o.mod(in.get(0), o.scalarLike(2, in.get(0))), new int[] {6}, x),
        TOL);
    double[] geluTanh = new double[6];
    double[] silu = new double[6];
    for (int i = 0; i < 6; i++) {
      double v = x.getDouble(i);
      geluTanh[i] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
      silu[i] = v / (1 + Math.exp(-v));
    }
    assertClose(
        "gelu approximate",
        geluTanh,
        run1((o, in) -> o.gelu(in.get(0), true), new int[] {6}, x),
        TOL);
    assertClose("silu", silu, run1((o, in) -> o.silu(in.get(0)), new int[] {6}, x), TOL);
  }

  @Test
  void logicAndComparisons() {
    HostTensor a = t(new float[] {1, 2, 3, 4}, 4);
    HostTensor c = t(new float[] {4, 2, 1, 5}, 4);
    BiFunction<Ops, List<Value>, List<Value>> f =
        (o, in) -> {
          Value x = in.get(0);
          Value y = in.get(1);
          Value gt = o.greater(x, y);
          Value le = o.lessEqual(x, y);
          return List.of(
              o.toFloat(o.logicalAnd(o.greaterEqual(x, y), o.notEqual(x, y))),
              o.toFloat(o.logicalOr(gt, o.less(x, 2))),
              o.toFloat(o.logicalXor(le, o.less(x, 2))),
              o.toFloat(o.logicalNot(le)));
        };
    List<HostTensor> r = ApiTestSupport.run(f, List.of(a, c));
    assertClose("and", d(0, 0, 1, 0), r.get(0).toDoubleArray(), 0);
    assertClose("or", d(1, 0, 1, 0), r.get(1).toDoubleArray(), 0);
    assertClose("xor", d(0, 1, 0, 1), r.get(2).toDoubleArray(), 0);
    assertClose("not", d(0, 0, 1, 0), r.get(3).toDoubleArray(), 0);
  }

  @Test
  void crossEntropies() {
    HostTensor z = t(new float[] {2, -1, 0.5f, 0, 3, -2}, 2, 3);
    HostTensor y = t(new float[] {0.7f, 0.2f, 0.1f, 0, 0, 1}, 2, 3);
    double[] softmax = new double[2];
    double[] sigmoid = new double[6];
    for (int r = 0; r < 2; r++) {
      double lse = 0;
      for (int k = 0; k < 3; k++) {
        lse += Math.exp(z.getDouble(r * 3 + k));
      }
      lse = Math.log(lse);
      for (int k = 0; k < 3; k++) {
        double zi = z.getDouble(r * 3 + k);
        double yi = y.getDouble(r * 3 + k);
        softmax[r] -= yi * (zi - lse);
        double s = 1 / (1 + Math.exp(-zi));
        sigmoid[r * 3 + k] = -(yi * Math.log(s) + (1 - yi) * Math.log(1 - s));
      }
    }
    assertClose(
        "softmax cross-entropy",
        softmax,
        run1((o, in) -> o.softmaxCrossEntropy(in.get(0), in.get(1), -1), new int[] {2}, z, y),
        TOL);
    assertClose(
        "sigmoid cross-entropy",
        sigmoid,
        run1((o, in) -> o.sigmoidCrossEntropy(in.get(0), in.get(1)), new int[] {2, 3}, z, y),
        TOL);
  }

  // ---------------------------------------------------------------- convolution

  @Test
  void convByHandIsACrossCorrelationInKerasLayout() {
    // x (1, 2, 3, 1) = [[1 2 3] [4 5 6]], kernel (2, 2, 1, 1) = [[1 2] [3 4]]
    HostTensor x = t(seq(6), 1, 2, 3, 1);
    HostTensor k = t(new float[] {1, 2, 3, 4}, 2, 2, 1, 1);
    // a transposed kernel would give 35 and 45; a flipped one (true convolution) 23 and 33
    assertClose(
        "valid",
        d(37, 47),
        run1(
            (o, in) -> o.conv(in.get(0), in.get(1), null, Padding.VALID),
            new int[] {1, 1, 2, 1},
            x,
            k),
        0);
  }

  @Test
  void convSamePadsAfter() {
    HostTensor x = t(seq(6), 1, 2, 3, 1);
    HostTensor k = t(new float[] {1, 2, 3, 4}, 2, 2, 1, 1);
    // TensorFlow's SAME pads the odd pixel after: [[1 2 3 0] [4 5 6 0] [0 0 0 0]]; padding
    // before would make the first output 1 * 4 = 4
    double[] expected = {37, 47, 3 * 1 + 6 * 3, 4 * 1 + 5 * 2, 5 * 1 + 6 * 2, 6 * 1};
    assertClose(
        "same",
        expected,
        run1(
            (o, in) -> o.conv(in.get(0), in.get(1), null, Padding.SAME),
            new int[] {1, 2, 3, 1},
            x,
            k),
        0);
  }

  /**
   * Naive NHWC convolution with kernel (kh, kw, cin / groups, cout), explicit padding (top, left).
   */
  private static double[] refConv(
      float[] x,
      int[] xs,
      float[] k,
      int[] ks,
      int groups,
      int[] stride,
      int[] dil,
      int[] padLow,
      int[] outHw) {
    int n = xs[0];
    int h = xs[1];
    int w = xs[2];
    int cin = xs[3];
    int kh = ks[0];
    int kw = ks[1];
    int cinG = ks[2];
    int cout = ks[3];
    int coutG = cout / groups;
    double[] out = new double[n * outHw[0] * outHw[1] * cout];
    int o = 0;
    for (int b = 0; b < n; b++) {
      for (int oy = 0; oy < outHw[0]; oy++) {
        for (int ox = 0; ox < outHw[1]; ox++) {
          for (int co = 0; co < cout; co++) {
            int g = co / coutG;
            double s = 0;
            for (int ky = 0; ky < kh; ky++) {
              for (int kx = 0; kx < kw; kx++) {
                int iy = oy * stride[0] + ky * dil[0] - padLow[0];
                int ix = ox * stride[1] + kx * dil[1] - padLow[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                  continue;
                }
                for (int ci = 0; ci < cinG; ci++) {
                  s +=
                      x[((b * h + iy) * w + ix) * cin + g * cinG + ci]
                          * k[((ky * kw + kx) * cinG + ci) * cout + co];
                }
              }
            }
            out[o++] = s;
          }
        }
      }
    }
    return out;
  }

  @Test
  void convWithStridesGroupsAndSamePaddingMatchesTheNaiveLoop() {
    int[] xs = {2, 4, 5, 4};
    int[] ks = {3, 3, 2, 6};
    float[] x = random(2 * 4 * 5 * 4, 1);
    float[] k = random(3 * 3 * 2 * 6, 2);
    // same with strides (2, 1): rows 4 -> 2 with one pad row after, columns 5 -> 5 with (1, 1)
    double[] expected =
        refConv(
            x,
            xs,
            k,
            ks,
            2,
            new int[] {2, 1},
            new int[] {1, 1},
            new int[] {0, 1},
            new int[] {2, 5});
    double[] actual =
        run1(
            (o, in) -> o.conv(in.get(0), in.get(1), new int[] {2, 1}, Padding.SAME, null, 2),
            new int[] {2, 2, 5, 6},
            t(x, xs),
            t(k, ks));
    assertClose("grouped strided same conv", expected, actual, 1e-5);
  }

  @Test
  void convWithDilationAndExplicitPaddingMatchesTheNaiveLoop() {
    int[] xs = {1, 5, 6, 3};
    int[] ks = {2, 3, 3, 2};
    float[] x = random(5 * 6 * 3, 3);
    float[] k = random(2 * 3 * 3 * 2, 4);
    // rows: 5 + 1 + 0 - (2 - 1) * 2 - 1 = 3 + 1 -> 4; columns: 6 + 2 + 1 - (3 - 1) * 2 - 1 = 4 + 1
    double[] expected =
        refConv(
            x,
            xs,
            k,
            ks,
            1,
            new int[] {1, 1},
            new int[] {2, 2},
            new int[] {1, 2},
            new int[] {4, 5});
    double[] actual =
        run1(
            (o, in) ->
                o.conv(
                    in.get(0),
                    in.get(1),
                    null,
                    Padding.explicit(new int[] {1, 0}, new int[] {2, 1}),
                    new int[] {2},
                    1),
            new int[] {1, 4, 5, 2},
            t(x, xs),
            t(k, ks));
    assertClose("dilated conv", expected, actual, 1e-5);
  }

  @Test
  void depthwiseConvOrdersOutputsChannelMajor() {
    // input channels (2, 3); kernel (1, 1, 2, 2) = [[10 20] [30 40]]: channel c, multiplier m
    HostTensor x = t(new float[] {2, 3}, 1, 1, 1, 2);
    HostTensor k = t(new float[] {10, 20, 30, 40}, 1, 1, 2, 2);
    // multiplier-major order would give 20 90 40 120
    assertClose(
        "depthwise 1x1",
        d(20, 40, 90, 120),
        run1(
            (o, in) -> o.depthwiseConv(in.get(0), in.get(1), null, Padding.VALID, null),
            new int[] {1, 1, 1, 4},
            x,
            k),
        0);
    // spatially against the grouped naive loop with the kernel seen as (2, 2, 1, 3 * 2)
    int[] xs = {1, 3, 4, 3};
    float[] xv = random(3 * 4 * 3, 5);
    float[] kv = random(2 * 2 * 3 * 2, 6);
    double[] expected =
        refConv(
            xv,
            xs,
            kv,
            new int[] {2, 2, 1, 6},
            3,
            new int[] {1, 1},
            new int[] {1, 1},
            new int[] {0, 0},
            new int[] {2, 3});
    assertClose(
        "depthwise 2x2",
        expected,
        run1(
            (o, in) -> o.depthwiseConv(in.get(0), in.get(1), null, Padding.VALID, null),
            new int[] {1, 2, 3, 6},
            t(xv, xs),
            t(kv, 2, 2, 3, 2)),
        1e-5);
  }

  /** Naive transposed convolution: every input pixel scatters the kernel into the output. */
  private static double[] refConvTranspose(
      float[] x, int[] xs, float[] k, int[] ks, int[] stride, int[] padLow, int[] outHw) {
    int h = xs[1];
    int w = xs[2];
    int cin = xs[3];
    int f = ks[2];
    double[] out = new double[xs[0] * outHw[0] * outHw[1] * f];
    for (int b = 0; b < xs[0]; b++) {
      for (int iy = 0; iy < h; iy++) {
        for (int ix = 0; ix < w; ix++) {
          for (int ky = 0; ky < ks[0]; ky++) {
            for (int kx = 0; kx < ks[1]; kx++) {
              int oy = iy * stride[0] + ky - padLow[0];
              int ox = ix * stride[1] + kx - padLow[1];
              if (oy < 0 || oy >= outHw[0] || ox < 0 || ox >= outHw[1]) {
                continue;
              }
              for (int co = 0; co < f; co++) {
                for (int ci = 0; ci < cin; ci++) {
                  out[((b * outHw[0] + oy) * outHw[1] + ox) * f + co] +=
                      x[((b * h + iy) * w + ix) * cin + ci]
                          * k[((ky * ks[1] + kx) * f + co) * cin + ci];
                }
              }
            }
          }
        }
      }
    }
    return out;
  }

  @Test
  void convTransposeByHand() {
    HostTensor x = t(new float[] {1, 2, 3, 4}, 1, 2, 2, 1);
    HostTensor k = t(new float[] {1, 2, 3, 4}, 2, 2, 1, 1);
    // stride 1, valid: the full "scatter" of the kernel; a flipped kernel gives 4 11 6 ...
    assertClose(
        "stride 1",
        d(1, 4, 4, 6, 20, 16, 9, 24, 16),
        run1(
            (o, in) -> o.convTranspose(in.get(0), in.get(1), null, Padding.VALID, null, null),
            new int[] {1, 3, 3, 1},
            x,
            k),
        0);
    // stride 2: each input pixel writes its own 2x2 block x[i, j] * kernel
    assertClose(
        "stride 2",
        d(1, 2, 2, 4, 3, 4, 6, 8, 3, 6, 4, 8, 9, 12, 12, 16),
        run1(
            (o, in) ->
                o.convTranspose(in.get(0), in.get(1), new int[] {2}, Padding.VALID, null, null),
            new int[] {1, 4, 4, 1},
            x,
            k),
        0);
  }

  @Test
  void convTransposeSameAndOutputPaddingMatchTheNaiveLoop() {
    int[] xs = {2, 3, 2, 3};
    int[] ks = {3, 3, 2, 3};
    float[] x = random(2 * 3 * 2 * 3, 7);
    float[] k = random(3 * 3 * 2 * 3, 8);
    // same, stride 2: out = in * 2 (6, 4); the forward conv's SAME padding of 6 -> 3 with a 3-wide
    // window is (0, 1), so nothing is cut before the first pixel
    double[] same =
        refConvTranspose(x, xs, k, ks, new int[] {2, 2}, new int[] {0, 0}, new int[] {6, 4});
    assertClose(
        "same",
        same,
        run1(
            (o, in) ->
                o.convTranspose(in.get(0), in.get(1), new int[] {2}, Padding.SAME, null, null),
            new int[] {2, 6, 4, 2},
            t(x, xs),
            t(k, ks)),
        1e-5);
    // same with output padding 0: out = (in - 1) * 2 + 3 - 2 = (5, 3); SAME pads 5 -> 3 by (1, 1)
    double[] cut =
        refConvTranspose(x, xs, k, ks, new int[] {2, 2}, new int[] {1, 1}, new int[] {5, 3});
    assertClose(
        "output padding 0",
        cut,
        run1(
            (o, in) ->
                o.convTranspose(
                    in.get(0), in.get(1), new int[] {2}, Padding.SAME, null, new int[] {0}),
            new int[] {2, 5, 3, 2},
            t(x, xs),
            t(k, ks)),
        1e-5);
  }

  // ---------------------------------------------------------------- pooling

  @Test
  void pooling() {
    HostTensor x = t(new float[] {1, 8, 3, 0, 4, 2, 6, 5}, 1, 2, 4, 1);
    assertClose(
        "max 2x2 stride 1",
        d(8, 8, 6),
        run1(
            (o, in) -> o.maxPool(in.get(0), new int[] {2}, new int[] {1}, Padding.VALID),
            new int[] {1, 1, 3, 1},
            x),
        0);
    HostTensor y = t(seq(9), 1, 3, 3, 1);
    // same, stride 2 on 3x3: windows rows {0,1},{2} x cols {0,1},{2}; the pad (after) is not
    // averaged in (4.5 would be 2.25), and a pad before would make the first window 1
    assertClose(
        "avg same",
        d(3, 4.5, 7.5, 9),
        run1(
            (o, in) -> o.avgPool(in.get(0), new int[] {2}, null, Padding.SAME),
            new int[] {1, 2, 2, 1},
            y),
        1e-6);
    assertClose(
        "max same",
        d(5, 6, 8, 9),
        run1(
            (o, in) -> o.maxPool(in.get(0), new int[] {2, 2}, null, Padding.SAME),
            new int[] {1, 2, 2, 1},
            y),
        0);
  }

  // ---------------------------------------------------------------- normalization

  @Test
  void batchNormTrainingUsesTheBiasedBatchVariance() {
    // (N=2, H=1, W=2, C=2): channel 0 = 1 2 3 6 (mean 3, var 3.5), channel 1 = 0 0 4 4 (2, 4)
    HostTensor x = t(new float[] {1, 0, 2, 0, 3, 4, 6, 4}, 2, 1, 2, 2);
    HostTensor gamma = t(new float[] {2, 1}, 2);
    HostTensor beta = t(new float[] {0.5f, -1}, 2);
    double eps = 1e-3;
    double[] mean = {3, 2};
    double[] var = {3.5, 4};
    double[] y = new double[8];
    double[] plain = new double[8];
    for (int i = 0; i < 8; i++) {
      int c = i % 2;
      double n = (x.getDouble(i) - mean[c]) / Math.sqrt(var[c] + eps);
      y[i] = n * gamma.getDouble(c) + beta.getDouble(c);
      plain[i] = n;
    }
    List<HostTensor> r =
        ApiTestSupport.run(
            (o, in) -> {
              Ops.BatchNormResult bn =
                  o.batchNormTraining(in.get(0), in.get(1), in.get(2), -1, eps);
              Value unscaled = o.batchNormTraining(in.get(0), null, null, 3, eps).output();
              return List.of(bn.output(), bn.mean(), bn.variance(), unscaled);
            },
            List.of(x, gamma, beta));
    assertClose("output", y, r.get(0).toDoubleArray(), 1e-5);
    assertClose("mean", mean, r.get(1).toDoubleArray(), 1e-6);
    assertClose("variance", var, r.get(2).toDoubleArray(), 1e-6);
    assertClose("without gamma and beta", plain, r.get(3).toDoubleArray(), 1e-5);
  }

  @Test
  void batchNormInferenceAndLayerNorm() {
    HostTensor x = t(new float[] {1, 0, 2, 5, 3, 4}, 2, 3);
    HostTensor mean = t(new float[] {1, 2, 3}, 3);
    HostTensor var = t(new float[] {4, 1, 0.25f}, 3);
    HostTensor gamma = t(new float[] {1, 2, 3}, 3);
    HostTensor beta = t(new float[] {0, 0, 1}, 3);
    double eps = 1e-3;
    double[] bn = new double[6];
    double[] ln = new double[6];
    for (int r = 0; r < 2; r++) {
      double m = 0;
      for (int c = 0; c < 3; c++) {
        m += x.getDouble(r * 3 + c) / 3;
      }
      double v = 0;
      for (int c = 0; c < 3; c++) {
        v += Math.pow(x.getDouble(r * 3 + c) - m, 2) / 3;
      }
      for (int c = 0; c < 3; c++) {
        int i = r * 3 + c;
        bn[i] =
            (x.getDouble(i) - mean.getDouble(c))
                    / Math.sqrt(var.getDouble(c) + eps)
                    * gamma.getDouble(c)
                + beta.getDouble(c);
        ln[i] = (x.getDouble(i) - m) / Math.sqrt(v + eps) * gamma.getDouble(c) + beta.getDouble(c);
      }
    }
    List<HostTensor> r =
        ApiTestSupport.run(
            (o, in) ->
                List.of(
                    o.batchNormInference(
                        in.get(0), in.get(1), in.get(2), in.get(3), in.get(4), 1, eps),
                    o.layerNorm(in.get(0), in.get(3), in.get(4), new int[] {-1}, eps)),
            List.of(x, mean, var, gamma, beta));
    assertClose("batch norm inference", bn, r.get(0).toDoubleArray(), 1e-5);
    assertClose("layer norm", ln, r.get(1).toDoubleArray(), 1e-5);
  }

  // ---------------------------------------------------------------- shape ops

  @Test
  void slicingAndJoining() {
    // x = [[1 2 3] [4 5 6]]
    HostTensor x = t(seq(6), 2, 3);
    BiFunction<Ops, List<Value>, List<Value>> f =
        (o, in) -> {
          Value v = in.get(0);
          List<Value> out = new ArrayList<>();
          out.add(o.slice(v, new int[] {1, 1}, new int[] {-1, 2}));
          out.add(o.sliceAxis(v, -1, 2, 1));
          out.add(o.stridedSlice(v, new int[] {0, 2}, new int[] {2, -1}, new int[] {1, -2}));
          out.addAll(o.split(v, new int[] {1, 2}, 1));
          out.addAll(o.split(v, 3, -1));
          out.add(o.stack(o.unstack(v, 1), 0));
          out.add(o.concat(0, v, v));
          out.add(o.reverse(v, 1));
          out.add(o.repeat(v, 2, 1));
          out.add(o.tile(v, 2, 1));
          out.add(o.pad(v, new int[][] {{1, 0}, {0, 2}}, -1));
          out.add(o.gather(v, o.constant(dev.kiln.api.Tensor.of(new int[] {2, 0, 2})), 1));
          out.add(
              o.scatterAdd(
                  o.zeros(TensorType.of(DType.FLOAT32, 2, 2)),
                  o.constant(dev.kiln.api.Tensor.of(new int[] {1, 1, 0})),
                  v,
                  1));
          return out;
        };
    List<HostTensor> r = ApiTestSupport.run(f, List.of(x));
    int i = 0;
    assertClose("slice", d(5, 6), r.get(i++).toDoubleArray(), 0);
    assertClose("sliceAxis", d(3, 6), r.get(i++).toDoubleArray(), 0);
    assertClose("stridedSlice backward", d(3, 1, 6, 4), r.get(i++).toDoubleArray(), 0);
    assertClose("split sizes 0", d(1, 4), r.get(i++).toDoubleArray(), 0);
    assertClose("split sizes 1", d(2, 3, 5, 6), r.get(i++).toDoubleArray(), 0);
    assertClose("split sections 0", d(1, 4), r.get(i++).toDoubleArray(), 0);
    assertClose("split sections 1", d(2, 5), r.get(i++).toDoubleArray(), 0);
    assertClose("split sections 2", d(3, 6), r.get(i++).toDoubleArray(), 0);
    HostTensor transposed = r.get(i++);
    assertArrayEquals(new int[] {3, 2}, transposed.shape().dims(), "stack of unstack");
    assertClose("stack of unstack", d(1, 4, 2, 5, 3, 6), transposed.toDoubleArray(), 0);
    assertClose("concat", d(1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6), r.get(i++).toDoubleArray(), 0);
    assertClose("reverse", d(3, 2, 1, 6, 5, 4), r.get(i++).toDoubleArray(), 0);
    assertClose("repeat", d(1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6), r.get(i++).toDoubleArray(), 0);
    assertClose("tile", d(1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6), r.get(i++).toDoubleArray(), 0);
    HostTensor padded = r.get(i++);
    assertArrayEquals(new int[] {3, 5}, padded.shape().dims(), "pad");
    assertClose(
        "pad", d(-1, -1, -1, -1, -1, 1, 2, 3, -1, -1, 4, 5, 6, -1, -1), padded.toDoubleArray(), 0);
    assertClose("gather", d(3, 1, 3, 6, 4, 6), r.get(i++).toDoubleArray(), 0);
    assertClose("scatterAdd", d(3, 3, 6, 9), r.get(i++).toDoubleArray(), 0);
  }

  @Test
  void shapeOpsKeepAnUnknownBatchInASymbolicTrace() {
    GraphBuilder b = new GraphBuilder();
    Ops o = new Ops(b, false, null);
    assertTrue(o.symbolic());
    Value x = b.input(TensorType.of(DType.FLOAT32, Shape.UNKNOWN, 6));
    assertEquals(Shape.of(Shape.UNKNOWN, 2), o.sliceAxis(x, 1, 3, 2).shape());
    assertEquals(
        Shape.of(Shape.UNKNOWN, 6), o.slice(x, new int[] {0, 0}, new int[] {-1, -1}).shape());
    List<Value> gates = o.split(x, 3, -1);
    assertEquals(3, gates.size());
    assertEquals(Shape.of(Shape.UNKNOWN, 2), gates.get(2).shape());
    assertEquals(
        Shape.of(Shape.UNKNOWN, 3),
        o.stridedSlice(x, new int[] {0, 1}, new int[] {Integer.MAX_VALUE, 6}, new int[] {1, 2})
            .shape());
    assertEquals(Shape.of(Shape.UNKNOWN, 6), o.reverse(x, 1).shape());
    assertEquals(Shape.of(Shape.UNKNOWN, 12), o.repeat(x, 2, 1).shape());
    assertEquals(Shape.of(Shape.UNKNOWN, 18), o.tile(x, 1, 3).shape());
    assertEquals(
        Shape.of(Shape.UNKNOWN, 4),
        o.zeros(TensorType.of(DType.FLOAT32, Shape.UNKNOWN, 4)).shape());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> o.sliceAxis(x, 0, 1, -1));
    assertTrue(e.getMessage().contains("unknown size"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> o.split(x, 4, -1));
  }

  @Test
  void badConvArgumentsNameTheProblem() {
    GraphBuilder b = new GraphBuilder();
    Ops o = new Ops(b, false, null);
    Value x = b.input(TensorType.of(DType.FLOAT32, 1, 4, 4, 3));
    Value k = b.input(TensorType.of(DType.FLOAT32, 3, 3, 2, 8));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> o.conv(x, k, new int[] {1, 1, 1}, Padding.VALID));
    assertTrue(e.getMessage().contains("strides needs 1 or 2 values"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> o.conv(x, k, null, Padding.VALID));
    assertTrue(e.getMessage().contains("input channels 3"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> o.depthwiseConv(x, k, null, Padding.VALID, null));
    assertTrue(e.getMessage().contains("depthwise_conv"), e.getMessage());
  }

  // ---------------------------------------------------------------- random

  @Test
  void randomOpsDrawFreshKeys() {
    List<HostTensor> r =
        ApiTestSupport.run(
            (o, in) ->
                List.of(
                    o.randomUniform(TensorType.of(DType.FLOAT32, 1000), 2, 3),
                    o.randomUniform(TensorType.of(DType.FLOAT32, 1000), 2, 3),
                    o.randomNormal(TensorType.of(DType.FLOAT32, 1000), 5, 0.5)),
            List.of());
    double[] u = r.get(0).toDoubleArray();
    double[] u2 = r.get(1).toDoubleArray();
    double mean = 0;
    for (int i = 0; i < u.length; i++) {
      assertTrue(u[i] >= 2 && u[i] < 3, "uniform out of range: " + u[i]);
      mean += r.get(2).getDouble(i) / u.length;
    }
    assertTrue(u[0] != u2[0] || u[1] != u2[1], "two random ops drew the same numbers");
    assertClose("normal mean", 5, mean, 0.02);
  }

  // ---------------------------------------------------------------- context

  @Test
  void opsDelegateStateToTheirContext() {
    GraphBuilder b = new GraphBuilder();
    TraceContext ctx = new TraceContext(b, true, null);
    Ops o = new Ops(b, ctx);
    assertTrue(o.context() == ctx);
    assertTrue(o.training());
    Value x = b.input(TensorType.of(DType.FLOAT32, 2));
    Value m = o.greater(x, 0);
    o.setMask(x, m);
    assertTrue(ctx.mask(x) == m);
    o.addLoss(o.sumAll(x));
    assertEquals(1, ctx.addedLosses().size());
    assertThrows(IllegalStateException.class, o::nextSeed);
    assertThrows(IllegalArgumentException.class, () -> new Ops(new GraphBuilder(), ctx));
    assertThrows(IllegalStateException.class, () -> ctx.capture(x));
  }
}
