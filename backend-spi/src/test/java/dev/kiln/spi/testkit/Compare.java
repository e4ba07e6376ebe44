package dev.kiln.spi.testkit;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import java.util.Arrays;

/**
 * Compares a backend's tensor with the reference's: type first, then values, failing with the first
 * bad index, both values and the largest difference.
 */
public final class Compare {
  private Compare() {}

  /**
   * The tolerance for results of {@code dtype} whose computation summed about {@code terms}
   * products: a few units in the last place per rounding, scaled by the sum's length.
   */
  public static double[] tolerance(DType dtype, double terms) {
    // Unit roundoff of each format, and the relative error allowed per result: a couple of ulps
    // for the half formats (a kernel that computes in float32 and rounds once is within one), a
    // generous margin for float32 transcendentals written as polynomial approximations.
    double[] roundoffAndRtol =
        switch (dtype) {
          case FLOAT64 -> new double[] {1.1e-16, 1e-12};
          case FLOAT32 -> new double[] {6e-8, 1e-5};
          case FLOAT16 -> new double[] {4.9e-4, 2.5e-3};
          case BFLOAT16 -> new double[] {3.9e-3, 2e-2};
          default -> new double[] {0, 0};
        };
    // atol: the rounding of a sum of `terms` values of order one, in any summation order.
    return new double[] {roundoffAndRtol[1], 4 * roundoffAndRtol[0] * Math.max(1, terms)};
  }

  /**
   * Fails if {@code actual} differs from {@code expected} beyond {@code |a - e| <= atol + rtol
   * |e|}; NaN must meet NaN and infinities their equals.
   */
  public static void assertClose(
      String what, HostTensor expected, HostTensor actual, double rtol, double atol) {
    if (!expected.type().equals(actual.type())) {
      throw new AssertionError(
          what + ": expected type " + expected.type() + " but got " + actual.type());
    }
    double maxDiff = 0;
    int firstBad = -1;
    for (int i = 0; i < expected.size(); i++) {
      double e = expected.getDouble(i);
      double a = actual.getDouble(i);
      boolean ok;
      if (Double.isNaN(e) || Double.isNaN(a)) {
        ok = Double.isNaN(e) && Double.isNaN(a);
      } else if (Double.isInfinite(e) || Double.isInfinite(a)) {
        ok = e == a;
      } else if (!expected.dtype().isFloating()) {
        ok = expected.getLong(i) == actual.getLong(i);
      } else {
        ok = Math.abs(a - e) <= atol + rtol * Math.abs(e);
      }
      double diff = Math.abs(a - e);
      if (!Double.isNaN(diff)) {
        maxDiff = Math.max(maxDiff, diff);
      }
      if (!ok && firstBad < 0) {
        firstBad = i;
      }
    }
    if (firstBad >= 0) {
      int[] idx = ReferenceEvaluator.unravel(firstBad, expected.shape().dims());
      throw new AssertionError(
          what
              + ": mismatch at index "
              + Arrays.toString(idx)
              + ": expected "
              + expected.getDouble(firstBad)
              + " but got "
              + actual.getDouble(firstBad)
              + " (max difference "
              + maxDiff
              + ", rtol "
              + rtol
              + ", atol "
              + atol
              + ", "
              + expected.type()
              + ")");
    }
  }
}
