package dev.kiln.api.regularizers;

import dev.kiln.api.KilnException;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * Keras's L1, L2 and L1L2 penalties, {@code l1 * sum(|w|) + l2 * sum(w^2)}, with Keras 3's
 * defaults: {@code L1()} and {@code L2()} take 0.01, {@code L1L2()} takes 0 for both.
 *
 * {@snippet :
 * new Dense(64).kernelRegularizer(Regularizers.l2(1e-4));
 * Regularizer r = Regularizers.deserialize(Map.of("class_name", "L1L2", "config", Map.of("l1", 0.001)));
 * }
 */
public final class Regularizers {
  private Regularizers() {}

  /** {@code l1 * sum(|w|)}. */
  public static Regularizer l1(double l1) {
    return new L1(l1);
  }

  /** {@code l2 * sum(w^2)}. */
  public static Regularizer l2(double l2) {
    return new L2(l2);
  }

  /** Both penalties. */
  public static Regularizer l1l2(double l1, double l2) {
    return new L1L2(l1, l2);
  }

  /**
   * The regularizer of this class name or alias ({@code "l2"}, {@code "L1L2"}) with these Keras
   * arguments.
   *
   * @throws KilnException for an unknown name
   * @throws dev.kiln.api.registry.ArgumentException for an argument the class does not take
   */
  public static Regularizer fromConfig(String name, Map<String, Object> config) {
    return Registry.fromConfig(Kind.REGULARIZER, name, config);
  }

  /**
   * A regularizer by name ({@code "l1"}, {@code "l2"}, {@code "l1_l2"}, with Keras 3's defaults), a
   * serialized map, or a regularizer (returned as it is); null stays null.
   *
   * @throws KilnException for an unknown name
   */
  public static Regularizer deserialize(Object spec) {
    return Registry.deserialize(Kind.REGULARIZER, spec);
  }

  /** Keras's serialized form; a lambda is written with its own class name and config. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> serialize(Regularizer r) {
    return (Map<String, Object>) Registry.write(Kind.REGULARIZER, r);
  }

  /**
   * A regularizer with declared Keras arguments: the base of the built-in ones and of users' own
   * registered ones. Its config is its arguments.
   */
  public abstract static class Declared extends dev.kiln.api.registry.Declared
      implements Regularizer {
    /** A regularizer with the defaults of {@code keras}. */
    protected Declared(KerasClass<?> keras) {
      super(keras);
    }

    @Override
    public Map<String, Object> config() {
      return getConfig();
    }
  }

  /** {@code l1 * sum(|w|)}, default 0.01. */
  public static final class L1 extends Declared {
    /** The factor, {@code >= 0}. */
    public static final Arg<Double> L1 = Arg.nonNegative("l1", 0.01);

    /** Keras's {@code L1}. */
    public static final KerasClass<L1> KERAS =
        KerasClass.of(Kind.REGULARIZER, "L1", L1.class, a -> new L1(), L1).aliases("l1");

    /** Factor 0.01. */
    public L1() {
      super(KERAS);
    }

    /** This factor. */
    public L1(double l1) {
      this();
      args().set(L1, l1);
    }

    @Override
    public Value penalty(Ops ops, Value w) {
      return Regularizers.penalty(ops, w, args().get(L1), 0);
    }
  }

  /** {@code l2 * sum(w^2)}, default 0.01. */
  public static final class L2 extends Declared {
    /** The factor, {@code >= 0}. */
    public static final Arg<Double> L2 = Arg.nonNegative("l2", 0.01);

    /** Keras's {@code L2}. */
    public static final KerasClass<L2> KERAS =
        KerasClass.of(Kind.REGULARIZER, "L2", L2.class, a -> new L2(), L2).aliases("l2");

    /** Factor 0.01. */
    public L2() {
      super(KERAS);
    }

    /** This factor. */
    public L2(double l2) {
      this();
      args().set(L2, l2);
    }

    @Override
    public Value penalty(Ops ops, Value w) {
      return Regularizers.penalty(ops, w, 0, args().get(L2));
    }
  }

  /** {@code l1 * sum(|w|) + l2 * sum(w^2)}, both 0 by default. */
  public static final class L1L2 extends Declared {
    /** The L1 factor, {@code >= 0}. */
    public static final Arg<Double> L1 = Arg.nonNegative("l1", 0.0);

    /** The L2 factor, {@code >= 0}. */
    public static final Arg<Double> L2 = Arg.nonNegative("l2", 0.0);

    /** Keras's {@code L1L2}. */
    public static final KerasClass<L1L2> KERAS =
        KerasClass.of(Kind.REGULARIZER, "L1L2", L1L2.class, a -> new L1L2(), L1, L2)
            .aliases("l1_l2", "l1l2");

    /** Both factors 0. */
    public L1L2() {
      super(KERAS);
    }

    /** These factors. */
    public L1L2(double l1, double l2) {
      this();
      args().set(L1, l1).set(L2, l2);
    }

    @Override
    public Value penalty(Ops ops, Value w) {
      return Regularizers.penalty(ops, w, args().get(L1), args().get(L2));
    }
  }

  private static Value penalty(Ops ops, Value w, double l1, double l2) {
    Value p = null;
    if (l1 > 0) {
      p = ops.mul(ops.sumAll(ops.abs(w)), l1);
    }
    if (l2 > 0) {
      Value q = ops.mul(ops.sumAll(ops.square(w)), l2);
      p = p == null ? q : ops.add(p, q);
    }
    return p == null ? ops.scalarLike(0, w) : p;
  }
}
