package dev.kiln.api.constraints;

import dev.kiln.api.KilnException;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Keras's weight constraints. Norms are taken over {@code axis} (default 0: each column of a Dense
 * kernel, each filter of a conv kernel's leading axes when given {@code [0, 1, 2]}).
 *
 * {@snippet :
 * new Dense(64).kernelConstraint(Constraints.maxNorm(3, 0));
 * Constraint c = Constraints.deserialize("non_neg");
 * }
 */
public final class Constraints {
  private Constraints() {}

  private static final double EPSILON = 1e-7;

  /**
   * The axes over which norms are taken: an integer or a list of integers, written back as an
   * integer when there is one, as Keras writes its default {@code 0}.
   */
  static final Arg<int[]> AXIS =
      Arg.of(
              "axis",
              "an integer or a list of integers",
              new int[] {0},
              Constraints::readAxis,
              a -> a.length == 1 ? (Object) a[0] : java.util.Arrays.stream(a).boxed().toList())
          .schema(
              java.util.Map.of(
                  "type",
                  java.util.List.of("integer", "array"),
                  "items",
                  java.util.Map.of("type", "integer")));

  /** Rescales columns whose norm exceeds {@code maxValue} down to it. */
  public static Constraint maxNorm(double maxValue, int... axis) {
    return new MaxNorm(maxValue, axis);
  }

  /** Keeps column norms in {@code [min, max]}, moving them by {@code rate} (1 = all the way). */
  public static Constraint minMaxNorm(double minValue, double maxValue, double rate, int... axis) {
    return new MinMaxNorm(minValue, maxValue, rate, axis);
  }

  /** Makes columns unit norm. */
  public static Constraint unitNorm(int... axis) {
    return new UnitNorm(axis);
  }

  /** Sets negative entries to 0. */
  public static Constraint nonNeg() {
    return new NonNeg();
  }

  /**
   * The constraint of this class name or alias ({@code "max_norm"}, {@code "MaxNorm"}) with these
   * Keras arguments.
   *
   * @throws KilnException for an unknown name
   * @throws dev.kiln.api.registry.ArgumentException for an argument the class does not take
   */
  public static Constraint fromConfig(String name, Map<String, Object> config) {
    return Registry.fromConfig(Kind.CONSTRAINT, name, config);
  }

  /**
   * A constraint by name ({@code "non_neg"}, {@code "unit_norm"}, {@code "max_norm"}, {@code
   * "min_max_norm"}), a serialized map, or a constraint (returned as it is); null stays null.
   *
   * @throws KilnException for an unknown name
   */
  public static Constraint deserialize(Object spec) {
    return Registry.deserialize(Kind.CONSTRAINT, spec);
  }

  /** Keras's serialized form; a lambda is written with its own class name and config. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> serialize(Constraint c) {
    return (Map<String, Object>) Registry.write(Kind.CONSTRAINT, c);
  }

  /**
   * A constraint with declared Keras arguments: the base of the built-in ones and of users' own
   * registered ones. Its config is its arguments.
   */
  public abstract static class Declared extends dev.kiln.api.registry.Declared
      implements Constraint {
    /** A constraint with the defaults of {@code keras}. */
    protected Declared(KerasClass<?> keras) {
      super(keras);
    }

    @Override
    public Map<String, Object> config() {
      return getConfig();
    }

    /** The norms of {@code w} over {@code axis}, kept as size-1 axes. */
    static Value norms(Ops ops, Value w, int[] axis) {
      return ops.sqrt(ops.sum(ops.square(w), true, axis));
    }

    /** {@code w} rescaled from norms {@code norms} to {@code desired}. */
    static Value rescale(Ops ops, Value w, Value norms, Value desired) {
      return ops.mul(w, ops.div(desired, ops.add(norms, EPSILON)));
    }
  }

  /** Rescales columns whose norm exceeds {@code max_value} (default 2) down to it. */
  public static final class MaxNorm extends Declared {
    /** The largest norm. */
    public static final Arg<Double> MAX_VALUE = Arg.nonNegative("max_value", 2.0);

    /** Keras's {@code MaxNorm}. */
    public static final KerasClass<MaxNorm> KERAS =
        KerasClass.of(
                Kind.CONSTRAINT, "MaxNorm", MaxNorm.class, a -> new MaxNorm(), MAX_VALUE, AXIS)
            .aliases("max_norm");

    /** Max norm 2 over axis 0. */
    public MaxNorm() {
      super(KERAS);
    }

    /** This max norm over {@code axis} (default 0). */
    public MaxNorm(double maxValue, int... axis) {
      this();
      args().set(MAX_VALUE, maxValue);
      if (axis.length > 0) {
        args().set(AXIS, axis.clone());
      }
    }

    @Override
    public Value apply(Ops ops, Value w) {
      Value norms = norms(ops, w, args().get(AXIS));
      return rescale(ops, w, norms, ops.clip(norms, 0, args().get(MAX_VALUE)));
    }
  }

  /**
   * Keeps column norms in {@code [min_value, max_value]} (default [0, 1]), moving them by {@code
   * rate} (default 1: all the way).
   */
  public static final class MinMaxNorm extends Declared {
    /** The smallest norm. */
    public static final Arg<Double> MIN_VALUE = Arg.nonNegative("min_value", 0.0);

    /** The largest norm. */
    public static final Arg<Double> MAX_VALUE = Arg.nonNegative("max_value", 1.0);

    /** How far toward the range each update moves the norms. */
    public static final Arg<Double> RATE = Arg.fraction("rate", 1.0);

    /** Keras's {@code MinMaxNorm}. */
    public static final KerasClass<MinMaxNorm> KERAS =
        KerasClass.of(
                Kind.CONSTRAINT,
                "MinMaxNorm",
                MinMaxNorm.class,
                a -> new MinMaxNorm(),
                MIN_VALUE,
                MAX_VALUE,
                RATE,
                AXIS)
            .aliases("min_max_norm");

    /** Norms in [0, 1], rate 1, axis 0. */
    public MinMaxNorm() {
      super(KERAS);
    }

    /** These bounds and rate over {@code axis} (default 0). */
    public MinMaxNorm(double minValue, double maxValue, double rate, int... axis) {
      this();
      args().set(MIN_VALUE, minValue).set(MAX_VALUE, maxValue).set(RATE, rate);
      if (axis.length > 0) {
        args().set(AXIS, axis.clone());
      }
    }

    @Override
    public Value apply(Ops ops, Value w) {
      double rate = args().get(RATE);
      Value norms = norms(ops, w, args().get(AXIS));
      Value clipped = ops.clip(norms, args().get(MIN_VALUE), args().get(MAX_VALUE));
      Value desired = ops.add(ops.mul(clipped, rate), ops.mul(norms, 1 - rate));
      return rescale(ops, w, norms, desired);
    }
  }

  /** Makes columns unit norm. */
  public static final class UnitNorm extends Declared {
    /** Keras's {@code UnitNorm}. */
    public static final KerasClass<UnitNorm> KERAS =
        KerasClass.of(Kind.CONSTRAINT, "UnitNorm", UnitNorm.class, a -> new UnitNorm(), AXIS)
            .aliases("unit_norm");

    /** Unit norm over {@code axis} (default 0). */
    public UnitNorm(int... axis) {
      super(KERAS);
      if (axis.length > 0) {
        args().set(AXIS, axis.clone());
      }
    }

    @Override
    public Value apply(Ops ops, Value w) {
      Value norms = norms(ops, w, args().get(AXIS));
      return rescale(ops, w, norms, ops.fillLike(1, norms));
    }
  }

  /** Sets negative entries to 0. */
  public static final class NonNeg extends Declared {
    /** Keras's {@code NonNeg}. */
    public static final KerasClass<NonNeg> KERAS =
        KerasClass.of(Kind.CONSTRAINT, "NonNeg", NonNeg.class, a -> new NonNeg())
            .aliases("non_neg");

    /** The constraint. */
    public NonNeg() {
      super(KERAS);
    }

    @Override
    public Value apply(Ops ops, Value w) {
      Value keep = ops.compare(CompareFn.GREATER_EQUAL, w, ops.scalarLike(0, w));
      return ops.mul(w, ops.cast(keep, w.dtype()));
    }
  }

  private static int[] readAxis(Object v) {
    if (v instanceof Number n && !(v instanceof Boolean)) {
      return new int[] {integer(n)};
    }
    if (v instanceof int[] a) {
      return a.clone();
    }
    if (v instanceof List<?> list) {
      List<Integer> out = new ArrayList<>();
      for (Object o : list) {
        if (!(o instanceof Number n) || o instanceof Boolean) {
          return null;
        }
        out.add(integer(n));
      }
      return out.stream().mapToInt(Integer::intValue).toArray();
    }
    return null;
  }

  private static int integer(Number n) {
    double d = n.doubleValue();
    if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("not an integer");
    }
    return (int) d;
  }
}
