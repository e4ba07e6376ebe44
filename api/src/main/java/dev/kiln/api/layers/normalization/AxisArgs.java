package dev.kiln.api.layers.normalization;

import dev.kiln.api.registry.Arg;
import dev.kiln.spi.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code axis} argument of the normalization and softmax layers: an integer or a list of
 * integers, written back to a config in the form it was given ({@code -1} stays {@code -1}, {@code
 * [1, 2]} stays a list), as Keras writes it.
 */
public final class AxisArgs {
  private AxisArgs() {}

  /** An axis argument: an integer or a list of integers, default {@code defaultAxis}. */
  public static Arg<Object> axis(String key, int defaultAxis) {
    return Arg.<Object>of(
            key, "an integer or a list of integers", defaultAxis, AxisArgs::read, v -> v)
        .checked(
            "an integer or a non-empty list of distinct integers",
            v -> !(v instanceof List<?> l) || !l.isEmpty() && distinct(l))
        .schema(
            java.util.Map.of(
                "type",
                List.of("integer", "array"),
                "items",
                java.util.Map.of("type", "integer"),
                "minItems",
                1,
                "uniqueItems",
                true));
  }

  private static boolean distinct(List<?> l) {
    return l.stream().distinct().count() == l.size();
  }

  // Integral numbers only (8.0 is 8): Keras configs come from JSON, where Python ints may be read
  // back as longs or doubles.
  private static Object read(Object v) {
    if (v instanceof Number n) {
      return intOf(n);
    }
    if (v instanceof int[] a) {
      List<Integer> out = new ArrayList<>();
      for (int x : a) {
        out.add(x);
      }
      return out;
    }
    if (v instanceof List<?> l) {
      List<Integer> out = new ArrayList<>();
      for (Object o : l) {
        if (!(o instanceof Number n)) {
          return null;
        }
        out.add(intOf(n));
      }
      return List.copyOf(out);
    }
    return null;
  }

  private static Integer intOf(Number n) {
    double d = n.doubleValue();
    if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("not an integer: " + n);
    }
    return (int) d;
  }

  /** The axes of an axis argument's value, as given (possibly negative). */
  public static int[] toArray(Object value) {
    if (value instanceof Integer i) {
      return new int[] {i};
    }
    List<?> l = (List<?>) value;
    int[] out = new int[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (Integer) l.get(i);
    }
    return out;
  }

  /**
   * The axes made non-negative for an input of {@code shape}, in the order given.
   *
   * @throws IllegalArgumentException if an axis is out of range, a repeat, or the batch axis when
   *     {@code allowBatch} is false, naming the layer, the axis and the shape
   */
  public static int[] resolve(int[] axes, Shape shape, boolean allowBatch, String layer) {
    int rank = shape.rank();
    int[] out = new int[axes.length];
    for (int i = 0; i < axes.length; i++) {
      int a = axes[i] < 0 ? axes[i] + rank : axes[i];
      if (a < 0 || a >= rank || (!allowBatch && a == 0)) {
        throw new IllegalArgumentException(
            "layer '"
                + layer
                + "': invalid axis "
                + axes[i]
                + " for an input of shape "
                + shape
                + (allowBatch ? "" : " (the batch axis 0 cannot be normalized)"));
      }
      for (int j = 0; j < i; j++) {
        if (out[j] == a) {
          throw new IllegalArgumentException(
              "layer '" + layer + "': axis " + axes[i] + " is repeated for shape " + shape);
        }
      }
      out[i] = a;
    }
    return out;
  }

  /** The sizes of {@code shape} on {@code axes}, which must be known. */
  public static int[] sizes(Shape shape, int[] axes, String layer) {
    int[] out = new int[axes.length];
    for (int i = 0; i < axes.length; i++) {
      out[i] = shape.dim(axes[i]);
      if (out[i] == Shape.UNKNOWN) {
        throw new IllegalArgumentException(
            "layer '"
                + layer
                + "': axis "
                + axes[i]
                + " of the input must have a known size, but the input shape is "
                + shape);
      }
    }
    return out;
  }

  /** A shape of 1s of {@code rank} with {@code sizes} on {@code axes}: the broadcast form. */
  public static int[] broadcastShape(int rank, int[] axes, int[] sizes) {
    int[] out = new int[rank];
    java.util.Arrays.fill(out, 1);
    for (int i = 0; i < axes.length; i++) {
      out[axes[i]] = sizes[i];
    }
    return out;
  }
}
