package dev.kiln.spi.testkit;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.TensorType;
import java.util.SplittableRandom;

/**
 * Where the random values of a test input come from: a range, a range mirrored around zero, or
 * integers. Values are rounded to the input's dtype after drawing.
 *
 * @param lo lower bound
 * @param hi upper bound
 * @param mirrored if true, a random sign is applied (so the range excludes {@code (-lo, lo)})
 * @param integral if true, values are whole numbers in {@code [lo, hi)}
 */
public record Domain(double lo, double hi, boolean mirrored, boolean integral) {
  /** {@code [-2, 2)}, or {@code [-50, 50)} for integers, {@code [0, 100)} for uint8. */
  public static final Domain ANY = new Domain(-2, 2, false, false);

  /** {@code [0.1, 3)}, away from log's and sqrt's singularity. */
  public static final Domain POSITIVE = new Domain(0.1, 3, false, false);

  /** {@code ±[0.5, 2)}, away from zero, for divisors. */
  public static final Domain NONZERO = new Domain(0.5, 2, true, false);

  /** Whole numbers in {@code [-3, 3)}, so comparisons and extremes meet ties. */
  public static final Domain COARSE = new Domain(-3, 3, false, true);

  /** Whole numbers in {@code [lo, hi)}. */
  public static Domain ints(int lo, int hi) {
    return new Domain(lo, hi, false, true);
  }

  /** {@code [lo, hi)}. */
  public static Domain range(double lo, double hi) {
    return new Domain(lo, hi, false, false);
  }

  /** A random tensor of {@code type} drawn from this domain. */
  public HostTensor sample(TensorType type, SplittableRandom rnd) {
    HostTensor t = HostTensor.zeros(type.dtype(), type.shape());
    DType d = type.dtype();
    for (int i = 0; i < t.size(); i++) {
      double v;
      if (d.isBool()) {
        v = rnd.nextBoolean() ? 1 : 0;
      } else if (d.isInteger() && !integral) {
        Domain m = integerDomain(d);
        v = Math.floor(m.lo + rnd.nextDouble() * (m.hi - m.lo));
        if (mirrored && rnd.nextBoolean()) {
          v = -v;
        }
      } else {
        v = lo + rnd.nextDouble() * (hi - lo);
        if (integral) {
          v = Math.floor(v);
        }
        if (mirrored && rnd.nextBoolean()) {
          v = -v;
        }
      }
      t.setDouble(i, v);
    }
    return t;
  }

  /** The integer counterpart of a float domain, valid for the dtype. */
  private Domain integerDomain(DType d) {
    boolean unsigned = d == DType.UINT8;
    if (this == POSITIVE) {
      return new Domain(1, 20, false, true);
    }
    if (mirrored) {
      return new Domain(1, 9, true, true);
    }
    return unsigned ? new Domain(0, 100, false, true) : new Domain(-50, 50, false, true);
  }
}
