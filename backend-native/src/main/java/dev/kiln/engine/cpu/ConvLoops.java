package dev.kiln.engine.cpu;

import dev.kiln.spi.DType;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.ConvSpec;

/** Direct convolution loops for every float dtype; accumulation in double. */
final class ConvLoops {
  private ConvLoops() {}

  static Kernel forward(ConvSpec s, TensorType x, TensorType w, TensorType y) {
    ConvGeometry g = new ConvGeometry(s, x.shape(), w.shape(), y.shape());
    DType d = y.dtype();
    return (in, out) -> {
      for (int n = 0; n < g.batch; n++) {
        for (int o = 0; o < g.outPositions; o++) {
          for (int co = 0; co < g.cout; co++) {
            int grp = co / g.coutG;
            double acc = 0;
            for (int k = 0; k < g.taps; k++) {
              int p = g.inputAt[o * g.taps + k];
              if (p < 0) {
                continue;
              }
              long xBase = ((long) n * g.inPositions + p) * g.cin + (long) grp * g.cinG;
              long wBase = (long) k * g.cinG * g.cout + co;
              for (int ci = 0; ci < g.cinG; ci++) {
                acc +=
                    Elem.get(d, in[0], xBase + ci) * Elem.get(d, in[1], wBase + (long) ci * g.cout);
              }
            }
            Elem.set(d, out[0], ((long) n * g.outPositions + o) * g.cout + co, acc);
          }
        }
      }
    };
  }

  static Kernel backpropInput(ConvSpec s, TensorType dy, TensorType w, TensorType dx) {
    ConvGeometry g = new ConvGeometry(s, dx.shape(), w.shape(), dy.shape());
    DType d = dx.dtype();
    long total = dx.shape().size();
    double[] acc = new double[(int) total];
    return (in, out) -> {
      java.util.Arrays.fill(acc, 0);
      for (int n = 0; n < g.batch; n++) {
        for (int o = 0; o < g.outPositions; o++) {
          for (int co = 0; co < g.cout; co++) {
            int grp = co / g.coutG;
            double gy = Elem.get(d, in[0], ((long) n * g.outPositions + o) * g.cout + co);
            for (int k = 0; k < g.taps; k++) {
              int p = g.inputAt[o * g.taps + k];
              if (p < 0) {
                continue;
              }
              int xBase = (n * g.inPositions + p) * g.cin + grp * g.cinG;
              long wBase = (long) k * g.cinG * g.cout + co;
              for (int ci = 0; ci < g.cinG; ci++) {
                acc[xBase + ci] += gy * Elem.get(d, in[1], wBase + (long) ci * g.cout);
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

  static Kernel backpropFilter(ConvSpec s, TensorType x, TensorType dy, TensorType dw) {
    ConvGeometry g = new ConvGeometry(s, x.shape(), dw.shape(), dy.shape());
    DType d = dw.dtype();
    long total = dw.shape().size();
    double[] acc = new double[(int) total];
    return (in, out) -> {
      java.util.Arrays.fill(acc, 0);
      for (int n = 0; n < g.batch; n++) {
        for (int o = 0; o < g.outPositions; o++) {
          for (int co = 0; co < g.cout; co++) {
            int grp = co / g.coutG;
            double gy = Elem.get(d, in[1], ((long) n * g.outPositions + o) * g.cout + co);
            for (int k = 0; k < g.taps; k++) {
              int p = g.inputAt[o * g.taps + k];
              if (p < 0) {
                continue;
              }
              long xBase = ((long) n * g.inPositions + p) * g.cin + (long) grp * g.cinG;
              int wBase = k * g.cinG * g.cout + co;
              for (int ci = 0; ci < g.cinG; ci++) {
                acc[wBase + ci * g.cout] += gy * Elem.get(d, in[0], xBase + ci);
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
