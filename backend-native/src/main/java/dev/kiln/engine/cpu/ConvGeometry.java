package dev.kiln.engine.cpu;

import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.ConvSpec;

/**
 * The index geometry of an N-D channels-last convolution, computed once per kernel: for every
 * (output position, kernel tap) pair that lands inside the input, the input position. Kernels
 * iterate the precomputed tap table instead of re-deriving padding and bounds.
 */
final class ConvGeometry {
  final int batch;
  final int inPositions;
  final int outPositions;
  final int taps;
  final int cin;
  final int cout;
  final int groups;
  final int cinG;
  final int coutG;

  /** For output position o and tap k: input position, or -1 in the padding. [o * taps + k]. */
  final int[] inputAt;

  /**
   * The taps of each output position as runs whose input positions are consecutive (or which all
   * fall in the padding), so im2col and col2im move {@code length * cin} floats at once: a 5x5
   * stride-1 kernel has 5 runs of 5 taps. Output position o owns runs {@code runFrom[o]} to {@code
   * runFrom[o + 1]}; a run starts at tap {@code runTap[i]}, spans {@code runLength[i]} taps and
   * reads from input position {@code runInput[i]}, or -1 for padding.
   */
  final int[] runFrom;

  final int[] runTap;
  final int[] runLength;
  final int[] runInput;

  ConvGeometry(ConvSpec s, Shape x, Shape w, Shape y) {
    int r = s.spatialRank();
    int[] xd = x.dims();
    int[] kd = w.dims();
    int[] od = y.dims();
    batch = xd[0];
    cin = xd[r + 1];
    cout = kd[r + 1];
    groups = s.groups();
    cinG = kd[r];
    coutG = cout / groups;
    int[] inSp = java.util.Arrays.copyOfRange(xd, 1, r + 1);
    int[] outSp = java.util.Arrays.copyOfRange(od, 1, r + 1);
    int[] kSp = java.util.Arrays.copyOfRange(kd, 0, r);
    int[] lo = ScalarKernels.lowPadding(s.padding(), inSp, kSp, s.strides(), s.dilations());
    inPositions = prod(inSp);
    outPositions = prod(outSp);
    taps = prod(kSp);
    inputAt = new int[outPositions * taps];
    int[] o = new int[r];
    int[] k = new int[r];
    for (int of = 0; of < outPositions; of++) {
      unravel(of, outSp, o);
      for (int kf = 0; kf < taps; kf++) {
        unravel(kf, kSp, k);
        int flat = 0;
        boolean inside = true;
        for (int a = 0; a < r; a++) {
          int p = o[a] * s.strides()[a] - lo[a] + k[a] * s.dilations()[a];
          inside &= p >= 0 && p < inSp[a];
          flat = flat * inSp[a] + p;
        }
        inputAt[of * taps + kf] = inside ? flat : -1;
      }
    }
    runFrom = new int[outPositions + 1];
    int[] tap = new int[outPositions * taps];
    int[] length = new int[outPositions * taps];
    int[] input = new int[outPositions * taps];
    int runs = 0;
    for (int of = 0; of < outPositions; of++) {
      runFrom[of] = runs;
      int base = of * taps;
      for (int kf = 0; kf < taps; ) {
        int p = inputAt[base + kf];
        int end = kf + 1;
        while (end < taps
            && (p < 0 ? inputAt[base + end] < 0 : inputAt[base + end] == p + (end - kf))) {
          end++;
        }
        tap[runs] = kf;
        length[runs] = end - kf;
        input[runs] = p;
        runs++;
        kf = end;
      }
    }
    runFrom[outPositions] = runs;
    runTap = java.util.Arrays.copyOf(tap, runs);
    runLength = java.util.Arrays.copyOf(length, runs);
    runInput = java.util.Arrays.copyOf(input, runs);
  }

  static int prod(int[] a) {
    int p = 1;
    for (int v : a) {
      p *= v;
    }
    return p;
  }

  static void unravel(int flat, int[] dims, int[] idx) {
    for (int i = dims.length - 1; i >= 0; i--) {
      idx[i] = flat % dims[i];
      flat /= dims[i];
    }
  }
}
