package dev.kiln.api.constraints;

import dev.kiln.api.KerasObjects;
import dev.kiln.api.KilnException;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keras's weight constraints. Norms are taken over {@code axis} (default 0: each column of a Dense
 * kernel, each filter of a conv kernel's leading axes when given {@code [0, 1, 2]}).
 *
 * {@snippet :
 * new Dense(64).kernelConstraint(Constraints.maxNorm(3, 0));
 * }
 */
public final class Constraints {
  private Constraints() {}

  private static final double EPSILON = 1e-7;

  /** Rescales columns whose norm exceeds {@code maxValue} down to it. */
  public static Constraint maxNorm(double maxValue, int... axis) {
    int[] ax = axis.length == 0 ? new int[] {0} : axis;
    return new Norm("MaxNorm", 0, maxValue, 1, ax, cfg("max_value", maxValue, "axis", ax));
  }

  /** Keeps column norms in {@code [min, max]}, moving them by {@code rate} (1 = all the way). */
  public static Constraint minMaxNorm(double minValue, double maxValue, double rate, int... axis) {
    int[] ax = axis.length == 0 ? new int[] {0} : axis;
    return new Norm(
        "MinMaxNorm",
        minValue,
        maxValue,
        rate,
        ax,
        cfg("min_value", minValue, "max_value", maxValue, "rate", rate, "axis", ax));
  }

  /** Makes columns unit norm. */
  public static Constraint unitNorm(int... axis) {
    int[] ax = axis.length == 0 ? new int[] {0} : axis;
    return new Norm("UnitNorm", 1, 1, 1, ax, cfg("axis", ax));
  }

  /** Sets negative entries to 0. */
  public static Constraint nonNeg() {
    return new Constraint() {
      @Override
      public Value apply(Ops ops, Value w) {
        return ops.mul(
            w,
            ops.cast(
                ops.compare(dev.kiln.spi.ir.CompareFn.GREATER_EQUAL, w, ops.scalarLike(0, w)),
                w.dtype()));
      }

      @Override
      public String className() {
        return "NonNeg";
      }
    };
  }

  /**
   * A constraint by Keras name ({@code "non_neg"}, {@code "unit_norm"}, {@code "max_norm"}) or
   * serialized map.
   *
   * @throws KilnException for an unknown name
   */
  public static Constraint deserialize(Object spec) {
    if (spec == null || spec instanceof Constraint) {
      return (Constraint) spec;
    }
    KerasObjects.Spec parsed = KerasObjects.parse(spec);
    String name = parsed.name();
    Map<String, Object> c = parsed.config();
    int[] axis = axis(c.get("axis"));
    return switch (name) {
      case "non_neg", "NonNeg" -> nonNeg();
      case "unit_norm", "UnitNorm" -> unitNorm(axis);
      case "max_norm", "MaxNorm" -> maxNorm(num(c, "max_value", 2), axis);
      case "min_max_norm", "MinMaxNorm" ->
          minMaxNorm(num(c, "min_value", 0), num(c, "max_value", 1), num(c, "rate", 1), axis);
      default ->
          throw new KilnException(
              "Unknown constraint: '"
                  + name
                  + "'. Known constraints: max_norm, min_max_norm, non_neg, unit_norm");
    };
  }

  /** The serialized form. */
  public static Map<String, Object> serialize(Constraint c) {
    if (c == null) {
      return null;
    }
    return KerasObjects.serialize("keras.constraints", c.className(), c.config());
  }

  private record Norm(
      String className, double min, double max, double rate, int[] axis, Map<String, Object> config)
      implements Constraint {
    @Override
    public Value apply(Ops ops, Value w) {
      Value norms = ops.sqrt(ops.sum(ops.square(w), true, axis));
      Value desired;
      if (className.equals("UnitNorm")) {
        desired = ops.fillLike(1, norms);
      } else if (className.equals("MaxNorm")) {
        desired = ops.clip(norms, 0, max);
      } else {
        desired = ops.add(ops.mul(ops.clip(norms, min, max), rate), ops.mul(norms, 1 - rate));
      }
      return ops.mul(w, ops.div(desired, ops.add(norms, EPSILON)));
    }
  }

  private static int[] axis(Object v) {
    if (v == null) {
      return new int[] {0};
    }
    if (v instanceof Number n) {
      return new int[] {n.intValue()};
    }
    if (v instanceof int[] a) {
      return a;
    }
    return ((java.util.List<?>) v).stream().mapToInt(o -> ((Number) o).intValue()).toArray();
  }

  private static double num(Map<String, Object> c, String k, double d) {
    return c.get(k) == null ? d : ((Number) c.get(k)).doubleValue();
  }

  private static Map<String, Object> cfg(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      Object v = kv[i + 1];
      if (v instanceof int[] a) {
        v = a.length == 1 ? (Object) a[0] : java.util.Arrays.stream(a).boxed().toList();
      }
      m.put((String) kv[i], v);
    }
    return m;
  }
}
