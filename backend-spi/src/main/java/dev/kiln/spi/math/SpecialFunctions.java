package dev.kiln.spi.math;

/**
 * Special functions the JDK's {@link Math} lacks, in float64, shared by the reference evaluator and
 * the backends so that every implementation of the IR's {@code erf} computes the same value.
 *
 * {@snippet :
 * double e = SpecialFunctions.erf(1.0); // 0.8427007929497149
 * }
 */
public final class SpecialFunctions {
  private SpecialFunctions() {}

  /**
   * The error function, to about 1e-16 relative: its Taylor series for |x| < 2.5, the continued
   * fraction of erfc beyond, exactly ±1 past 6.
   *
   * @param x any double; NaN gives NaN
   * @return erf(x)
   */
  public static double erf(double x) {
    double ax = Math.abs(x);
    if (ax < 2.5) {
      double term = ax;
      double sum = ax;
      double x2 = ax * ax;
      for (int n = 1; n < 200; n++) {
        term *= -x2 / n;
        double add = term / (2 * n + 1);
        sum += add;
        if (Math.abs(add) < 1e-17 * Math.abs(sum)) {
          break;
        }
      }
      return Math.copySign(2 / Math.sqrt(Math.PI) * sum, x);
    }
    if (ax > 6) {
      return Math.copySign(1.0, x);
    }
    // erfc via its continued fraction, evaluated from the tail.
    double f = ax;
    for (int n = 60; n >= 1; n--) {
      f = ax + (n / 2.0) / f;
    }
    return Math.copySign(1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f, x);
  }
}
