package dev.kiln.api.losses;

import dev.kiln.api.KilnException;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.Args;
import dev.kiln.api.registry.ArgumentException;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.KerasObject;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A loss: per-sample values from {@link #call}, then sample weights, the mask and a reduction
 * ({@code sum_over_batch_size} by default, as Keras) in {@link #compute}. Every loss has a {@code
 * name} and a {@code reduction}; a class declares its other Keras arguments in its {@code KERAS}
 * declaration, which its config is written from and read back through the {@link Registry}.
 *
 * {@snippet :
 * public final class Scaled extends Loss {
 *   public static final Arg<Double> FACTOR = Arg.number("factor", 1.0);
 *   public static final KerasClass<Scaled> KERAS =
 *       KerasClass.of(Kind.LOSS, "Scaled", Scaled.class, a -> new Scaled(), FACTOR);
 *   public Scaled() { super("scaled", KERAS); }
 *   public Value call(Ops o, Value t, Value p) {
 *     return o.mul(o.mean(o.square(o.sub(p, t)), false, -1), args().get(FACTOR));
 *   }
 * }
 * Registry.register(Scaled.KERAS); // now Losses.get("Scaled") and configs find it
 * }
 */
public abstract class Loss implements KerasObject {
  /**
   * How per-sample values are reduced: {@code sum_over_batch_size} (mean over all values), {@code
   * mean} (the same), {@code sum}, {@code mean_with_sample_weight} (sum divided by the sum of the
   * weights) or {@code none} (null is read as {@code none}).
   */
  public static final Arg<String> REDUCTION =
      Arg.choice(
              "reduction",
              "sum_over_batch_size",
              "sum_over_batch_size",
              "sum",
              "mean",
              "mean_with_sample_weight",
              "none")
          .nullable();

  private static final Arg<String> NAME = Arg.string("name", null);

  private String name;
  private String reduction = "sum_over_batch_size";
  private final Args args;

  /**
   * A loss logged under {@code name}, with the declared arguments of {@code keras} at their
   * defaults.
   */
  protected Loss(String name, KerasClass<? extends Loss> keras) {
    this.name = name;
    this.args = Args.defaults(keras, this::owner);
  }

  /**
   * A loss logged under {@code name}, declared by its class's {@code KERAS} field if it has one;
   * otherwise it has no arguments besides the name and reduction, and configs cannot rebuild it.
   */
  protected Loss(String name) {
    this.name = name;
    this.args = Args.defaults(Registry.declarationOrBare(Kind.LOSS, getClass()), this::owner);
  }

  private String owner() {
    return "loss '" + name + "'";
  }

  /** The name ({@code categorical_crossentropy}). */
  public String name() {
    return name;
  }

  @Override
  public Args args() {
    return args;
  }

  @Override
  public String className() {
    return args.declaration().className();
  }

  /** The reduction. */
  public String reduction() {
    return reduction;
  }

  /**
   * Sets the reduction: {@code sum_over_batch_size} (mean over all values), {@code mean} (the
   * same), {@code sum}, {@code mean_with_sample_weight} (sum divided by the sum of the weights) or
   * {@code none} (also null).
   *
   * @throws IllegalArgumentException for another name
   */
  public Loss reduction(String r) {
    String v = REDUCTION.check(r, owner());
    this.reduction = v == null ? "none" : v;
    return this;
  }

  /** Keras's configuration: {@code name}, {@code reduction}, then the declared arguments. */
  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("name", name);
    c.put("reduction", reduction);
    c.putAll(args.toConfig());
    return c;
  }

  /**
   * Reads {@code name} and {@code reduction}; {@code dtype} is accepted (losses compute in their
   * inputs' dtype).
   *
   * @throws dev.kiln.api.registry.ArgumentException for a value of the wrong type
   */
  @Override
  public void readCommonConfig(Map<String, Object> config) {
    if (config.get("name") != null) {
      name = NAME.read(config.get("name"), owner());
    }
    if (config.containsKey("reduction")) {
      String r = REDUCTION.read(config.get("reduction"), owner());
      reduction = r == null ? "none" : r;
    }
    Object dtype = config.get("dtype");
    if (dtype != null && !(dtype instanceof String) && !(dtype instanceof Map)) {
      throw new ArgumentException(
          owner() + ": `dtype` must be a dtype name or a dtype policy, got " + dtype);
    }
  }

  @Override
  public String toString() {
    return className() + getConfig();
  }

  /**
   * The unreduced loss, usually one value per sample ({@code yPred}'s shape without the last axis).
   */
  public abstract Value call(Ops ops, Value yTrue, Value yPred);

  /**
   * The reduced loss, in float32 for float16 or bfloat16 predictions (which are cast first, as
   * Keras's losses compute in float32 under mixed precision).
   *
   * @param sampleWeight per-sample weights broadcastable to the values, or null
   * @param mask a bool mask of the values' shape, or null
   * @throws KilnException if the labels do not fit the predictions
   */
  public Value compute(Ops ops, Value yTrue, Value yPred, Value sampleWeight, Value mask) {
    // As Keras, a loss computes in float32: a mixed precision model's 16-bit outputs are widened.
    Value values = call(ops, yTrue, ops.widenHalf(yPred));
    Value weights = null;
    if (sampleWeight != null) {
      weights = ops.toFloat(sampleWeight);
      while (weights.rank() < values.rank()) {
        weights = ops.expandDims(weights, -1);
      }
      while (weights.rank() > values.rank() && weights.shape().dim(-1) == 1) {
        weights = ops.squeeze(weights, -1);
      }
    }
    if (mask != null && mask.rank() == values.rank()) {
      Value m = ops.toFloat(mask);
      if (reduction.equals("sum_over_batch_size") || reduction.equals("mean")) {
        // Rescale so that dividing by the number of values averages over the unmasked ones only.
        Value valid = ops.maximum(ops.sumAll(m), 1);
        double total = values.shape().size();
        m = ops.mul(m, ops.div(ops.scalar(total), valid));
      }
      weights = weights == null ? m : ops.mul(weights, m);
    }
    if (weights != null) {
      values = ops.mul(values, weights);
    }
    return switch (reduction) {
      case "none" -> values;
      case "sum" -> ops.sumAll(values);
      case "mean_with_sample_weight" ->
          weights == null
              ? ops.meanAll(values)
              : ops.div(ops.sumAll(values), ops.maximum(ops.sumAll(weights), 1e-7));
      default -> ops.meanAll(values);
    };
  }

  /** {@code yTrue} as {@code yPred}'s dtype, expanded by a trailing axis if one short. */
  protected static Value matchRank(Ops ops, Value yTrue, Value yPred, String loss) {
    Value t = ops.cast(yTrue, yPred.dtype());
    if (t.rank() == yPred.rank() - 1) {
      t = ops.expandDims(t, -1);
    } else if (t.rank() == yPred.rank() + 1 && t.shape().dim(-1) == 1) {
      t = ops.squeeze(t, -1);
    }
    checkSameShape(t.shape(), yPred.shape(), loss);
    return t;
  }

  /**
   * Checks that labels and predictions have one shape (an unknown axis matches anything).
   *
   * @throws KilnException naming the loss and both shapes
   */
  protected static void checkSameShape(Shape t, Shape p, String loss) {
    boolean ok = t.rank() == p.rank();
    for (int i = 0; ok && i < t.rank(); i++) {
      ok = t.dim(i) == p.dim(i) || t.dim(i) == Shape.UNKNOWN || p.dim(i) == Shape.UNKNOWN;
    }
    if (!ok) {
      throw new KilnException(
          "Loss "
              + loss
              + ": arguments `target` and `output` must have the same shape. Received:"
              + " target.shape="
              + t
              + ", output.shape="
              + p);
    }
  }
}
