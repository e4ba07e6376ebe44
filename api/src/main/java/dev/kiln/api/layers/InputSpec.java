package dev.kiln.api.layers;

import dev.kiln.api.KilnException;
import dev.kiln.spi.Shape;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a layer accepts: a rank, a minimum rank, or fixed sizes on some axes. Checked when the layer
 * is called, with Keras's wording.
 *
 * @param ndim the exact rank, or -1
 * @param minNdim the minimum rank, or -1
 * @param axes required sizes by axis (negative counts from the end)
 */
public record InputSpec(int ndim, int minNdim, Map<Integer, Integer> axes) {
  /** A spec with a minimum rank. */
  public static InputSpec minNdim(int n) {
    return new InputSpec(-1, n, Map.of());
  }

  /** A spec with an exact rank. */
  public static InputSpec ndim(int n) {
    return new InputSpec(n, -1, Map.of());
  }

  /** This spec, also requiring size {@code value} on {@code axis}. */
  public InputSpec withAxis(int axis, int value) {
    Map<Integer, Integer> m = new TreeMap<>(axes);
    m.put(axis, value);
    return new InputSpec(ndim, minNdim, m);
  }

  /**
   * Checks input {@code index} of layer {@code layer}.
   *
   * @throws KilnException in Keras's words when it does not fit
   */
  public void check(String layer, int index, Shape shape) {
    String head = "Input " + index + " of layer \"" + layer + "\" is incompatible with the layer: ";
    int r = shape.rank();
    if (ndim >= 0 && r != ndim) {
      throw new KilnException(
          head + "expected ndim=" + ndim + ", found ndim=" + r + ". Full shape received: " + shape);
    }
    if (minNdim >= 0 && r < minNdim) {
      throw new KilnException(
          head
              + "expected min_ndim="
              + minNdim
              + ", found ndim="
              + r
              + ". Full shape received: "
              + shape);
    }
    for (Map.Entry<Integer, Integer> e : axes.entrySet()) {
      int a = e.getKey() < 0 ? e.getKey() + r : e.getKey();
      int d = a >= 0 && a < r ? shape.dim(a) : Shape.UNKNOWN;
      if (d != Shape.UNKNOWN && d != e.getValue()) {
        throw new KilnException(
            head
                + "expected axis "
                + e.getKey()
                + " of input shape to have value "
                + e.getValue()
                + ", but received input with shape "
                + shape);
      }
    }
  }
}
