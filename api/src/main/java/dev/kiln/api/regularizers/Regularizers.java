package dev.kiln.api.regularizers;

import dev.kiln.api.KerasObjects;
import dev.kiln.api.KilnException;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keras's L1, L2 and L1L2 penalties: {@code l1 * sum(|w|) + l2 * sum(w^2)}.
 *
 * {@snippet :
 * new Dense(64).kernelRegularizer(Regularizers.l2(1e-4));
 * }
 */
public final class Regularizers {
  private Regularizers() {}

  /** {@code l1 * sum(|w|)}. */
  public static Regularizer l1(double l1) {
    return new L1L2("L1", l1, 0);
  }

  /** {@code l2 * sum(w^2)}. */
  public static Regularizer l2(double l2) {
    return new L1L2("L2", 0, l2);
  }

  /** Both penalties. */
  public static Regularizer l1l2(double l1, double l2) {
    return new L1L2("L1L2", l1, l2);
  }

  /**
   * A regularizer by Keras name ({@code "l1"}, {@code "l2"} with default 0.01, {@code "l1_l2"}) or
   * serialized map.
   *
   * @throws KilnException for an unknown name
   */
  public static Regularizer deserialize(Object spec) {
    if (spec == null || spec instanceof Regularizer) {
      return (Regularizer) spec;
    }
    KerasObjects.Spec parsed = KerasObjects.parse(spec);
    String name = parsed.name();
    Map<String, Object> c = parsed.config();
    double l1 = c.get("l1") == null ? 0.01 : ((Number) c.get("l1")).doubleValue();
    double l2 = c.get("l2") == null ? 0.01 : ((Number) c.get("l2")).doubleValue();
    return switch (name) {
      case "l1", "L1" -> l1(l1);
      case "l2", "L2" -> l2(l2);
      case "l1_l2", "L1L2" ->
          l1l2(c.get("l1") == null ? 0 : l1, c.get("l2") == null && !c.isEmpty() ? 0 : l2);
      default ->
          throw new KilnException(
              "Unknown regularizer: '" + name + "'. Known regularizers: l1, l2, l1_l2");
    };
  }

  /** The serialized form. */
  public static Map<String, Object> serialize(Regularizer r) {
    if (r == null) {
      return null;
    }
    return KerasObjects.serialize("keras.regularizers", r.className(), r.config());
  }

  private record L1L2(String className, double l1, double l2) implements Regularizer {
    L1L2 {
      if (l1 < 0 || l2 < 0) {
        throw new IllegalArgumentException(
            "regularization factors must be >= 0. Received: l1=" + l1 + ", l2=" + l2);
      }
    }

    @Override
    public Value penalty(Ops ops, Value w) {
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

    @Override
    public Map<String, Object> config() {
      Map<String, Object> m = new LinkedHashMap<>();
      if (!className.equals("L2")) {
        m.put("l1", l1);
      }
      if (!className.equals("L1")) {
        m.put("l2", l2);
      }
      return m;
    }
  }
}
