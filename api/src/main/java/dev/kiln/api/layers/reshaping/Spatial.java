package dev.kiln.api.layers.reshaping;

import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.ArgumentException;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** What the padding, cropping and upsampling layers share: per-side amounts and data formats. */
final class Spatial {
  private Spatial() {}

  /** Keras's {@code data_format}, resolved as Keras writes it (never null). */
  static Arg<String> dataFormat() {
    return Arg.choice("data_format", "channels_last", "channels_last", "channels_first");
  }

  /**
   * Per-side amounts for {@code rank} spatial axes, as Keras reads {@code padding} and {@code
   * cropping}: one integer for every side, {@code rank} integers (symmetric per axis) or {@code
   * rank} pairs {@code (before, after)}; for one axis, a pair is {@code (before, after)}. Written
   * as Keras writes it: a pair for one axis, a list of pairs otherwise.
   */
  static Arg<int[][]> sides(String key, int rank, int[][] defaultValue) {
    return Arg.<int[][]>of(
            key,
            rank == 1
                ? "an integer or a pair of integers"
                : "an integer, " + rank + " integers or " + rank + " pairs of integers",
            defaultValue,
            v -> read(v, rank),
            v -> write(v, rank))
        .checked("non-negative amounts, one pair per spatial axis", v -> valid(v, rank))
        .schema(
            java.util.Map.of(
                "type",
                java.util.List.of("integer", "array"),
                "minimum",
                0,
                "items",
                java.util.Map.of(
                    "type",
                    java.util.List.of("integer", "array"),
                    "minimum",
                    0,
                    "items",
                    java.util.Map.of("type", "integer", "minimum", 0))));
  }

  private static boolean valid(int[][] v, int rank) {
    if (v.length != rank) {
      return false;
    }
    for (int[] p : v) {
      if (p == null || p.length != 2 || p[0] < 0 || p[1] < 0) {
        return false;
      }
    }
    return true;
  }

  private static Integer intOf(Object o) {
    if (o instanceof Number n && !(o instanceof Boolean)) {
      double d = n.doubleValue();
      if (d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE) {
        return (int) d;
      }
    }
    return null;
  }

  private static int[][] read(Object v, int rank) {
    if (v instanceof int[][] a) {
      int[][] out = new int[a.length][];
      for (int i = 0; i < a.length; i++) {
        out[i] = a[i].clone();
      }
      return out;
    }
    Integer one = intOf(v);
    if (one != null) {
      return same(rank, one, one);
    }
    if (!(v instanceof List<?> list)) {
      return null;
    }
    if (rank == 1) {
      if (list.size() != 2 || intOf(list.get(0)) == null || intOf(list.get(1)) == null) {
        return null;
      }
      return new int[][] {{intOf(list.get(0)), intOf(list.get(1))}};
    }
    if (list.size() != rank) {
      return null;
    }
    int[][] out = new int[rank][2];
    for (int i = 0; i < rank; i++) {
      Object e = list.get(i);
      Integer s = intOf(e);
      if (s != null) {
        out[i] = new int[] {s, s};
      } else if (e instanceof List<?> pair
          && pair.size() == 2
          && intOf(pair.get(0)) != null
          && intOf(pair.get(1)) != null) {
        out[i] = new int[] {intOf(pair.get(0)), intOf(pair.get(1))};
      } else {
        return null;
      }
    }
    return out;
  }

  private static Object write(int[][] v, int rank) {
    if (rank == 1) {
      return List.of(v[0][0], v[0][1]);
    }
    List<Object> out = new ArrayList<>();
    for (int[] p : v) {
      out.add(List.of(p[0], p[1]));
    }
    return out;
  }

  /** {@code rank} pairs of {@code (before, after)}. */
  static int[][] same(int rank, int before, int after) {
    int[][] out = new int[rank][];
    for (int i = 0; i < rank; i++) {
      out[i] = new int[] {before, after};
    }
    return out;
  }

  /** Symmetric pairs from one amount per axis. */
  static int[][] symmetric(int... perAxis) {
    int[][] out = new int[perAxis.length][];
    for (int i = 0; i < perAxis.length; i++) {
      out[i] = new int[] {perAxis[i], perAxis[i]};
    }
    return out;
  }

  /**
   * A checked deep copy of {@code (before, after)} pairs given in Java, so a bad value is named
   * readably and a caller's array never aliases the layer's argument.
   *
   * @throws ArgumentException unless there are {@code rank} pairs of non-negative amounts
   */
  static int[][] given(int[][] v, int rank, String layer, String key) {
    if (v == null || !valid(v, rank)) {
      throw new ArgumentException(
          layer
              + ": `"
              + key
              + "` must be "
              + rank
              + " pairs (before, after) of non-negative integers, got "
              + Arrays.deepToString(v));
    }
    return copy(v);
  }

  /** A deep copy, so a caller's array never aliases a layer's argument. */
  static int[][] copy(int[][] v) {
    int[][] out = new int[v.length][];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i] == null ? null : v[i].clone();
    }
    return out;
  }

  /** The axes of the spatial dims in an input of {@code rank + 2} axes. */
  static int[] axes(int rank, String dataFormat) {
    int[] out = new int[rank];
    for (int i = 0; i < rank; i++) {
      out[i] = dataFormat.equals("channels_first") ? i + 2 : i + 1;
    }
    return out;
  }

  /** Pads the spatial axes with zeros. */
  static Value pad(Ops ops, Value x, int[][] sides, int[] axes) {
    int[][] all = new int[x.rank()][2];
    for (int i = 0; i < axes.length; i++) {
      all[axes[i]] = sides[i].clone();
    }
    return ops.pad(x, all);
  }

  /**
   * Cuts {@code sides} off the spatial axes.
   *
   * @throws IllegalArgumentException if an axis is not longer than what is cut off it
   */
  static Value crop(Ops ops, Value x, int[][] sides, int[] axes, String layer) {
    int[] begin = new int[x.rank()];
    int[] size = new int[x.rank()];
    Arrays.fill(size, -1);
    for (int i = 0; i < axes.length; i++) {
      int d = x.shape().dim(axes[i]);
      int keep = d - sides[i][0] - sides[i][1];
      if (d == Shape.UNKNOWN) {
        throw new IllegalArgumentException(
            layer + ": axis " + axes[i] + " of the input " + x.shape() + " must have a known size");
      }
      if (keep <= 0) {
        throw new IllegalArgumentException(
            layer
                + ": cropping "
                + Arrays.toString(sides[i])
                + " leaves nothing of axis "
                + axes[i]
                + " (size "
                + d
                + ") of the input "
                + x.shape());
      }
      begin[axes[i]] = sides[i][0];
      size[axes[i]] = keep;
    }
    return ops.slice(x, begin, size);
  }

  /** Integer factors for {@code rank} axes: one value for all, or one per axis. */
  static int[] factors(int[] given, int rank) {
    if (given.length == 1) {
      int[] out = new int[rank];
      Arrays.fill(out, given[0]);
      return out;
    }
    return given.clone();
  }

  /** An Arg of {@code rank} positive integers (a single integer counts for every axis). */
  static Arg<int[]> sizes(String key, int rank, int[] defaultValue) {
    return Arg.ints(key, defaultValue)
        .checked(
            rank + " positive integers",
            v -> (v.length == 1 || v.length == rank) && Arrays.stream(v).allMatch(s -> s > 0));
  }
}
