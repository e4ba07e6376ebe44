package dev.kiln.spi.ir;

import static dev.kiln.spi.ir.Rules.dimsAgree;
import static dev.kiln.spi.ir.Rules.str;

import dev.kiln.spi.Shape;
import java.util.Arrays;

/**
 * The geometry of an N-D convolution, shared by the forward op and its two backward ops.
 *
 * @param strides per spatial axis, each ≥ 1
 * @param padding spatial padding
 * @param dilations per spatial axis, each ≥ 1
 * @param groups number of channel groups (depthwise when it equals the input channels)
 */
public record ConvSpec(int[] strides, Padding padding, int[] dilations, int groups) {
  /** Validates the spec on its own. */
  public ConvSpec {
    strides = strides.clone();
    dilations = dilations.clone();
    if (strides.length != dilations.length) {
      throw new IllegalArgumentException(
          "strides " + str(strides) + " and dilations " + str(dilations) + " differ in length");
    }
    for (int i = 0; i < strides.length; i++) {
      if (strides[i] < 1 || dilations[i] < 1) {
        throw new IllegalArgumentException(
            "strides and dilations must be >= 1; received strides="
                + str(strides)
                + " dilations="
                + str(dilations));
      }
    }
    if (groups < 1) {
      throw new IllegalArgumentException("groups must be >= 1; received groups=" + groups);
    }
  }

  /** A spec with stride and dilation 1 on each of {@code rank} spatial axes and one group. */
  public static ConvSpec simple(int rank, Padding padding) {
    int[] ones = new int[rank];
    Arrays.fill(ones, 1);
    return new ConvSpec(ones, padding, ones, 1);
  }

  /** The number of spatial axes. */
  public int spatialRank() {
    return strides.length;
  }

  /** The output shape, after checking input and kernel. */
  Shape outputShape(String op, Shape x, Shape w) {
    int r = spatialRank();
    if (x.rank() != r + 2 || w.rank() != r + 2) {
      throw new ShapeError(
          op,
          "a "
              + r
              + "-D convolution expects input of rank "
              + (r + 2)
              + " and kernel of rank "
              + (r + 2)
              + "; received input "
              + x
              + " and kernel "
              + w);
    }
    if (padding.mode() == Padding.Mode.EXPLICIT && padding.low().length != r) {
      throw new ShapeError(op, "explicit padding needs " + r + " pairs, got " + padding);
    }
    int cin = x.dim(-1);
    int cout = w.dim(-1);
    if (cin != Shape.UNKNOWN && (cin % groups != 0 || !dimsAgree(w.dim(-2) * groups, cin))) {
      throw new ShapeError(
          op,
          "input channels "
              + cin
              + " must equal kernel input channels "
              + w.dim(-2)
              + " times groups "
              + groups
              + "; received input "
              + x
              + " and kernel "
              + w);
    }
    if (cout % groups != 0) {
      throw new ShapeError(
          op,
          "output channels "
              + cout
              + " must be divisible by groups "
              + groups
              + " (kernel "
              + w
              + ")");
    }
    int[] out = new int[r + 2];
    out[0] = x.dim(0);
    out[r + 1] = cout;
    for (int i = 0; i < r; i++) {
      int in = x.dim(i + 1);
      if (in == Shape.UNKNOWN) {
        out[i + 1] = Shape.UNKNOWN;
        continue;
      }
      int o = padding.outputSize(i, in, w.dim(i), strides[i], dilations[i]);
      if (o <= 0) {
        throw new ShapeError(
            op,
            "the kernel "
                + w
                + " with dilation "
                + str(dilations)
                + " does not fit the input "
                + x
                + " with padding "
                + padding
                + " on spatial axis "
                + i);
      }
      out[i + 1] = o;
    }
    return Shape.of(out);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConvSpec c
        && Arrays.equals(c.strides, strides)
        && c.padding.equals(padding)
        && Arrays.equals(c.dilations, dilations)
        && c.groups == groups;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(strides) ^ padding.hashCode() ^ Arrays.hashCode(dilations) ^ groups;
  }

  @Override
  public String toString() {
    return "strides="
        + str(strides)
        + ", padding="
        + padding
        + ", dilations="
        + str(dilations)
        + ", groups="
        + groups;
  }
}
