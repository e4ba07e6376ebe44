package dev.kiln.spi.ir;

import java.util.Arrays;

/**
 * Spatial padding of a convolution or pooling op: {@code VALID} (none), {@code SAME} (as
 * TensorFlow: output size {@code ceil(in / stride)}, the odd pixel at the end) or explicit {@code
 * (low, high)} pairs per spatial axis.
 *
 * @param mode how the padding is chosen
 * @param low explicit padding before each spatial axis (only for {@link Mode#EXPLICIT})
 * @param high explicit padding after each spatial axis (only for {@link Mode#EXPLICIT})
 */
public record Padding(Mode mode, int[] low, int[] high) {
  /** How padding is chosen. */
  public enum Mode {
    /** No padding. */
    VALID,
    /** Enough padding that the output size is {@code ceil(in / stride)}. */
    SAME,
    /** Given pairs. */
    EXPLICIT
  }

  /** No padding. */
  public static final Padding VALID = new Padding(Mode.VALID, new int[0], new int[0]);

  /** TensorFlow's SAME padding. */
  public static final Padding SAME = new Padding(Mode.SAME, new int[0], new int[0]);

  /** Validates and copies the arrays. */
  public Padding {
    low = low.clone();
    high = high.clone();
    if (low.length != high.length) {
      throw new IllegalArgumentException(
          "Padding needs as many low as high values; received low="
              + Arrays.toString(low)
              + " high="
              + Arrays.toString(high));
    }
    for (int i = 0; i < low.length; i++) {
      if (low[i] < 0 || high[i] < 0) {
        throw new IllegalArgumentException(
            "Padding must be >= 0; received low="
                + Arrays.toString(low)
                + " high="
                + Arrays.toString(high));
      }
    }
  }

  /** Explicit padding, one {@code {low, high}} pair per spatial axis. */
  public static Padding explicit(int[]... pairs) {
    int[] lo = new int[pairs.length];
    int[] hi = new int[pairs.length];
    for (int i = 0; i < pairs.length; i++) {
      lo[i] = pairs[i][0];
      hi[i] = pairs[i][1];
    }
    return new Padding(Mode.EXPLICIT, lo, hi);
  }

  /**
   * The {@code {low, high}} padding of spatial axis {@code axis}.
   *
   * @param axis spatial axis index
   * @param in input size along it
   * @param window kernel or window size
   * @param stride stride
   * @param dilation dilation
   */
  public int[] resolve(int axis, int in, int window, int stride, int dilation) {
    return switch (mode) {
      case VALID -> new int[] {0, 0};
      case EXPLICIT -> new int[] {low[axis], high[axis]};
      case SAME -> {
        int out = (in + stride - 1) / stride;
        int effective = (window - 1) * dilation + 1;
        int total = Math.max((out - 1) * stride + effective - in, 0);
        yield new int[] {total / 2, total - total / 2};
      }
    };
  }

  /**
   * The output size along a spatial axis, or {@code -1} when the window does not fit.
   *
   * @see #resolve
   */
  public int outputSize(int axis, int in, int window, int stride, int dilation) {
    int[] p = resolve(axis, in, window, stride, dilation);
    int effective = (window - 1) * dilation + 1;
    int span = in + p[0] + p[1] - effective;
    return span < 0 ? -1 : span / stride + 1;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Padding p
        && p.mode == mode
        && Arrays.equals(p.low, low)
        && Arrays.equals(p.high, high);
  }

  @Override
  public int hashCode() {
    return mode.hashCode() * 31 + Arrays.hashCode(low) * 7 + Arrays.hashCode(high);
  }

  @Override
  public String toString() {
    return mode == Mode.EXPLICIT
        ? "explicit(low=" + Arrays.toString(low) + ", high=" + Arrays.toString(high) + ")"
        : mode.name().toLowerCase(java.util.Locale.ROOT);
  }
}
