package dev.kiln.spi.ir;

import static dev.kiln.spi.ir.Rules.str;

import dev.kiln.spi.Shape;
import java.util.Arrays;

/**
 * The geometry of N-D pooling over {@code [N, spatial..., C]}.
 *
 * @param window window size per spatial axis
 * @param strides stride per spatial axis
 * @param padding spatial padding
 */
public record PoolSpec(int[] window, int[] strides, Padding padding) {
  /** Validates the spec on its own. */
  public PoolSpec {
    window = window.clone();
    strides = strides.clone();
    if (window.length != strides.length) {
      throw new IllegalArgumentException(
          "window " + str(window) + " and strides " + str(strides) + " differ in length");
    }
    for (int i = 0; i < window.length; i++) {
      if (window[i] < 1 || strides[i] < 1) {
        throw new IllegalArgumentException(
            "window and strides must be >= 1; received window="
                + str(window)
                + " strides="
                + str(strides));
      }
    }
  }

  Shape outputShape(String op, Shape x) {
    int r = window.length;
    if (x.rank() != r + 2) {
      throw new ShapeError(
          op, "a " + r + "-D pooling expects input of rank " + (r + 2) + " but received " + x);
    }
    int[] out = x.dims();
    for (int i = 0; i < r; i++) {
      int in = x.dim(i + 1);
      if (in == Shape.UNKNOWN) {
        continue;
      }
      int o = padding.outputSize(i, in, window[i], strides[i], 1);
      if (o <= 0) {
        throw new ShapeError(
            op,
            "the window "
                + str(window)
                + " does not fit the input "
                + x
                + " with padding "
                + padding);
      }
      out[i + 1] = o;
    }
    return Shape.of(out);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PoolSpec p
        && Arrays.equals(p.window, window)
        && Arrays.equals(p.strides, strides)
        && p.padding.equals(padding);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(window) ^ Arrays.hashCode(strides) ^ padding.hashCode();
  }

  @Override
  public String toString() {
    return "window=" + str(window) + ", strides=" + str(strides) + ", padding=" + padding;
  }
}
