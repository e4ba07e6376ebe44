package dev.kiln.engine.cpu;

import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.PoolFn;
import dev.kiln.spi.ir.PoolSpec;
import dev.kiln.spi.ir.PoolingOp;

/** Pooling and its backward ops for every float dtype, over a precomputed window table. */
final class PoolLoops {
  private PoolLoops() {}

  /** Window geometry: for output position o and window slot k, the input position or -1. */
  static final class Windows {
    final int batch;
    final int channels;
    final int inPositions;
    final int outPositions;
    final int slots;
    final int[] inputAt;
    final int[] count;

    Windows(PoolSpec s, Shape x) {
      int r = s.window().length;
      int[] xd = x.dims();
      int[] ones = ScalarKernels.ones(r);
      int[] inSp = java.util.Arrays.copyOfRange(xd, 1, r + 1);
      Shape y =
          new PoolingOp.Pool(PoolFn.MAX, s)
              .infer(java.util.List.of(new TensorType(DType.FLOAT32, x)))
              .get(0)
              .shape();
      int[] outSp = java.util.Arrays.copyOfRange(y.dims(), 1, r + 1);
      int[] lo = ScalarKernels.lowPadding(s.padding(), inSp, s.window(), s.strides(), ones);
      batch = xd[0];
      channels = xd[r + 1];
      inPositions = ConvGeometry.prod(inSp);
      outPositions = ConvGeometry.prod(outSp);
      slots = ConvGeometry.prod(s.window());
      inputAt = new int[outPositions * slots];
      count = new int[outPositions];
      int[] o = new int[r];
      int[] k = new int[r];
      for (int of = 0; of < outPositions; of++) {
        ConvGeometry.unravel(of, outSp, o);
        int c = 0;
        for (int kf = 0; kf < slots; kf++) {
          ConvGeometry.unravel(kf, s.window(), k);
          int flat = 0;
          boolean inside = true;
          for (int a = 0; a < r; a++) {
            int p = o[a] * s.strides()[a] - lo[a] + k[a];
            inside &= p >= 0 && p < inSp[a];
            flat = flat * inSp[a] + p;
          }
          inputAt[of * slots + kf] = inside ? flat : -1;
          c += inside ? 1 : 0;
        }
        count[of] = c;
      }
    }
  }

  static Kernel forward(PoolFn fn, PoolSpec s, TensorType x, TensorType y) {
    Windows w = new Windows(s, x.shape());
    DType d = y.dtype();
    boolean max = fn == PoolFn.MAX;
    return (in, out) -> {
      for (int n = 0; n < w.batch; n++) {
        for (int o = 0; o < w.outPositions; o++) {
          for (int c = 0; c < w.channels; c++) {
            double acc = max ? Double.NEGATIVE_INFINITY : 0;
            for (int k = 0; k < w.slots; k++) {
              int p = w.inputAt[o * w.slots + k];
              if (p >= 0) {
                double v = Elem.get(d, in[0], ((long) n * w.inPositions + p) * w.channels + c);
                acc = max ? (v > acc || Double.isNaN(v) ? v : acc) : acc + v;
              }
            }
            Elem.set(
                d,
                out[0],
                ((long) n * w.outPositions + o) * w.channels + c,
                max ? acc : acc / w.count[o]);
          }
        }
      }
    };
  }

  static Kernel maxBackward(PoolSpec s, TensorType x, TensorType dx) {
    Windows w = new Windows(s, x.shape());
    DType d = dx.dtype();
    int total = dx.shape().intSize();
    double[] acc = new double[total];
    return (in, out) -> {
      java.util.Arrays.fill(acc, 0);
      for (int n = 0; n < w.batch; n++) {
        for (int o = 0; o < w.outPositions; o++) {
          for (int c = 0; c < w.channels; c++) {
            long best = -1;
            double bv = 0;
            for (int k = 0; k < w.slots; k++) {
              int p = w.inputAt[o * w.slots + k];
              if (p >= 0) {
                long at = ((long) n * w.inPositions + p) * w.channels + c;
                double v = Elem.get(d, in[0], at);
                if (best < 0 || v > bv) {
                  best = at;
                  bv = v;
                }
              }
            }
            acc[(int) best] += Elem.get(d, in[1], ((long) n * w.outPositions + o) * w.channels + c);
          }
        }
      }
      for (int i = 0; i < total; i++) {
        Elem.set(d, out[0], i, acc[i]);
      }
    };
  }

  static Kernel avgBackward(PoolSpec s, TensorType dy, TensorType dx) {
    Windows w = new Windows(s, dx.shape());
    DType d = dx.dtype();
    int total = dx.shape().intSize();
    double[] acc = new double[total];
    return (in, out) -> {
      java.util.Arrays.fill(acc, 0);
      for (int n = 0; n < w.batch; n++) {
        for (int o = 0; o < w.outPositions; o++) {
          for (int c = 0; c < w.channels; c++) {
            double g =
                Elem.get(d, in[0], ((long) n * w.outPositions + o) * w.channels + c) / w.count[o];
            for (int k = 0; k < w.slots; k++) {
              int p = w.inputAt[o * w.slots + k];
              if (p >= 0) {
                acc[(n * w.inPositions + p) * w.channels + c] += g;
              }
            }
          }
        }
      }
      for (int i = 0; i < total; i++) {
        Elem.set(d, out[0], i, acc[i]);
      }
    };
  }
}
