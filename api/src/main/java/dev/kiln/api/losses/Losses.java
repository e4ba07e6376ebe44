package dev.kiln.api.losses;

import dev.kiln.api.KilnException;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * Keras's losses, by class and by name through the {@link Registry} (class names, Keras's function
 * names such as {@code "categorical_crossentropy"} and its short names such as {@code "mse"}), with
 * Keras's formulas, arguments and defaults. Probabilities are clipped to {@code [1e-7, 1 - 1e-7]}
 * as Keras clips them.
 *
 * {@snippet :
 * Loss a = Losses.get("sparse_categorical_crossentropy");
 * Loss b = new Losses.CategoricalCrossentropy().fromLogits(true).labelSmoothing(0.1);
 * Loss c = Losses.deserialize(Map.of("class_name", "Huber", "config", Map.of("delta", 2.0)));
 * }
 */
public final class Losses {
  private Losses() {}

  /** Keras's fuzz factor. */
  public static final double EPSILON = 1e-7;

  /**
   * A new loss of this class name or alias ({@code "mse"}, {@code "MeanSquaredError"}, {@code
   * "categorical_crossentropy"}), with default arguments.
   *
   * @throws KilnException for an unknown name, naming the nearest known ones
   */
  public static Loss get(String name) {
    return Registry.get(Kind.LOSS, name);
  }

  /**
   * A new loss of this class name or alias with this Keras config, every value checked.
   *
   * @throws KilnException for an unknown name
   * @throws dev.kiln.api.registry.ArgumentException for a config the class does not take
   */
  public static Loss fromConfig(String name, Map<String, Object> config) {
    return Registry.fromConfig(Kind.LOSS, name, config);
  }

  /**
   * The loss a config names: a name, a {@code {"class_name", "config"}} map, or a loss (returned as
   * it is); null stays null.
   *
   * @throws KilnException for an unknown class or anything else
   */
  public static Loss deserialize(Object spec) {
    return Registry.deserialize(Kind.LOSS, spec);
  }

  /** Keras's serialized form: {@code {"module", "class_name", "config", "registered_name"}}. */
  public static Map<String, Object> serialize(Loss loss) {
    return Registry.serialize(Kind.LOSS, loss);
  }

  private static Value l2Normalize(Ops o, Value x, int axis) {
    Value sq = o.sum(o.square(x), true, axis);
    return o.mul(x, o.rsqrt(o.maximum(sq, 1e-12)));
  }

  /** {@code mean((yPred - yTrue)^2)} over the last axis. */
  public static final class MeanSquaredError extends Loss {
    /** Keras's {@code MeanSquaredError}. */
    public static final KerasClass<MeanSquaredError> KERAS =
        KerasClass.of(
                Kind.LOSS, "MeanSquaredError", MeanSquaredError.class, a -> new MeanSquaredError())
            .aliases("mean_squared_error", "mse", "MSE");

    /** The loss. */
    public MeanSquaredError() {
      super("mean_squared_error", KERAS);
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = matchRank(o, t, p, name());
      return o.mean(o.square(o.sub(p, t)), false, -1);
    }
  }

  /** {@code mean(|yPred - yTrue|)} over the last axis. */
  public static final class MeanAbsoluteError extends Loss {
    /** Keras's {@code MeanAbsoluteError}. */
    public static final KerasClass<MeanAbsoluteError> KERAS =
        KerasClass.of(
                Kind.LOSS,
                "MeanAbsoluteError",
                MeanAbsoluteError.class,
                a -> new MeanAbsoluteError())
            .aliases("mean_absolute_error", "mae", "MAE");

    /** The loss. */
    public MeanAbsoluteError() {
      super("mean_absolute_error", KERAS);
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = matchRank(o, t, p, name());
      return o.mean(o.abs(o.sub(p, t)), false, -1);
    }
  }

  /** {@code 100 * mean(|(yTrue - yPred) / max(|yTrue|, eps)|)}. */
  public static final class MeanAbsolutePercentageError extends Loss {
    /** Keras's {@code MeanAbsolutePercentageError}. */
    public static final KerasClass<MeanAbsolutePercentageError> KERAS =
        KerasClass.of(
                Kind.LOSS,
                "MeanAbsolutePercentageError",
                MeanAbsolutePercentageError.class,
                a -> new MeanAbsolutePercentageError())
            .aliases("mean_absolute_percentage_error", "mape", "MAPE");

    /** The loss. */
    public MeanAbsolutePercentageError() {
      super("mean_absolute_percentage_error", KERAS);
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = matchRank(o, t, p, name());
      Value d = o.abs(o.div(o.sub(t, p), o.maximum(o.abs(t), EPSILON)));
      return o.mul(o.mean(d, false, -1), 100);
    }
  }

  /** {@code mean((log(max(yPred, eps) + 1) - log(max(yTrue, eps) + 1))^2)}. */
  public static final class MeanSquaredLogarithmicError extends Loss {
    /** Keras's {@code MeanSquaredLogarithmicError}. */
    public static final KerasClass<MeanSquaredLogarithmicError> KERAS =
        KerasClass.of(
                Kind.LOSS,
                "MeanSquaredLogarithmicError",
                MeanSquaredLogarithmicError.class,
                a -> new MeanSquaredLogarithmicError())
            .aliases("mean_squared_logarithmic_error", "msle", "MSLE");

    /** The loss. */
    public MeanSquaredLogarithmicError() {
      super("mean_squared_logarithmic_error", KERAS);
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = matchRank(o, t, p, name());
      Value a = o.log(o.add(o.maximum(p, EPSILON), 1));
      Value b = o.log(o.add(o.maximum(t, EPSILON), 1));
      return o.mean(o.square(o.sub(a, b)), false, -1);
    }
  }

  /**
   * What the cross-entropies share: predictions as probabilities or logits, and label smoothing.
   *
   * @param <T> the concrete loss, so the setters chain
   */
  public abstract static class CrossEntropy<T extends CrossEntropy<T>> extends Loss {
    /** Whether predictions are logits (default false: probabilities). */
    public static final Arg<Boolean> FROM_LOGITS = Arg.bool("from_logits", false);

    /** The fraction by which labels move toward the uniform distribution, in [0, 1]. */
    public static final Arg<Double> LABEL_SMOOTHING = Arg.fraction("label_smoothing", 0.0);

    /** The class axis; only the last one ({@code -1}, Keras's default) is supported. */
    public static final Arg<Integer> AXIS =
        Arg.integer("axis", -1)
            .checked("-1 (the last axis; other class axes are not supported)", v -> v == -1);

    CrossEntropy(String name, KerasClass<? extends Loss> keras) {
      super(name, keras);
    }

    @SuppressWarnings("unchecked")
    private T self() {
      return (T) this;
    }

    /** Whether predictions are logits (default false: probabilities). */
    public T fromLogits(boolean f) {
      args().set(FROM_LOGITS, f);
      return self();
    }

    /**
     * Moves labels toward the uniform distribution by this fraction.
     *
     * @throws IllegalArgumentException outside [0, 1]
     */
    public T labelSmoothing(double s) {
      args().set(LABEL_SMOOTHING, s);
      return self();
    }

    /** Whether predictions are logits. */
    protected boolean logits() {
      return args().get(FROM_LOGITS);
    }

    /** The smoothing fraction. */
    protected double smoothing() {
      return args().get(LABEL_SMOOTHING);
    }
  }

  /** Cross-entropy of 0/1 labels against probabilities (or logits), mean over the last axis. */
  public static final class BinaryCrossentropy extends CrossEntropy<BinaryCrossentropy> {
    /** Keras's {@code BinaryCrossentropy}. */
    public static final KerasClass<BinaryCrossentropy> KERAS =
        KerasClass.of(
                Kind.LOSS,
                "BinaryCrossentropy",
                BinaryCrossentropy.class,
                a -> new BinaryCrossentropy(),
                FROM_LOGITS,
                LABEL_SMOOTHING,
                AXIS)
            .aliases("binary_crossentropy", "bce", "BCE");

    /** The loss on probabilities. */
    public BinaryCrossentropy() {
      super("binary_crossentropy", KERAS);
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = matchRank(o, t, p, name());
      double labelSmoothing = smoothing();
      if (labelSmoothing > 0) {
        t = o.add(o.mul(t, 1 - labelSmoothing), 0.5 * labelSmoothing);
      }
      return o.mean(elementwise(o, t, p, logits()), false, -1);
    }

    static Value elementwise(Ops o, Value t, Value p, boolean logits) {
      if (logits) {
        return o.sigmoidCrossEntropy(p, t);
      }
      Value q = o.clip(p, EPSILON, 1 - EPSILON);
      Value a = o.mul(t, o.log(q));
      Value b = o.mul(o.sub(1, t), o.log(o.sub(1, q)));
      return o.neg(o.add(a, b));
    }
  }

  /** Cross-entropy of one-hot labels against class probabilities (or logits) on the last axis. */
  public static final class CategoricalCrossentropy extends CrossEntropy<CategoricalCrossentropy> {
    /** Keras's {@code CategoricalCrossentropy}. */
    public static final KerasClass<CategoricalCrossentropy> KERAS =
        KerasClass.of(
                Kind.LOSS,
                "CategoricalCrossentropy",
                CategoricalCrossentropy.class,
                a -> new CategoricalCrossentropy(),
                FROM_LOGITS,
                LABEL_SMOOTHING,
                AXIS)
            .aliases("categorical_crossentropy");

    /** The loss on probabilities. */
    public CategoricalCrossentropy() {
      super("categorical_crossentropy", KERAS);
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = o.cast(t, p.dtype());
      checkSameShape(t.shape(), p.shape(), name());
      double labelSmoothing = smoothing();
      if (labelSmoothing > 0) {
        int k = p.shape().dim(-1);
        t = o.add(o.mul(t, 1 - labelSmoothing), labelSmoothing / k);
      }
      return crossEntropy(o, t, p, logits());
    }

    static Value crossEntropy(Ops o, Value t, Value p, boolean logits) {
      if (logits) {
        return o.softmaxCrossEntropy(p, t, -1);
      }
      Value q = o.div(p, o.sum(p, true, -1));
      q = o.clip(q, EPSILON, 1 - EPSILON);
      return o.neg(o.sum(o.mul(t, o.log(q)), false, -1));
    }
  }

  /**
   * Cross-entropy of integer class ids against class probabilities (or logits). Labels equal to
   * {@code ignore_class} (if set) count 0 and are left out of the mean, as Keras's.
   */
  public static final class SparseCategoricalCrossentropy extends Loss {
    /** A class id whose labels are ignored, or null. */
    public static final Arg<Integer> IGNORE_CLASS = Arg.integer("ignore_class", null);

    /** Keras's {@code SparseCategoricalCrossentropy}. */
    public static final KerasClass<SparseCategoricalCrossentropy> KERAS =
        KerasClass.of(
                Kind.LOSS,
                "SparseCategoricalCrossentropy",
                SparseCategoricalCrossentropy.class,
                a -> new SparseCategoricalCrossentropy(),
                CrossEntropy.FROM_LOGITS,
                IGNORE_CLASS)
            .aliases("sparse_categorical_crossentropy");

    /** The loss on probabilities. */
    public SparseCategoricalCrossentropy() {
      super("sparse_categorical_crossentropy", KERAS);
    }

    /** Whether predictions are logits. */
    public SparseCategoricalCrossentropy fromLogits(boolean f) {
      args().set(CrossEntropy.FROM_LOGITS, f);
      return this;
    }

    /** Ignores labels equal to {@code classId} (null: none). */
    public SparseCategoricalCrossentropy ignoreClass(Integer classId) {
      args().set(IGNORE_CLASS, classId);
      return this;
    }

    private static Value ids(Ops o, Value t, Value p) {
      return t.rank() == p.rank() && t.shape().dim(-1) == 1 ? o.squeeze(t, -1) : t;
    }

    /** Where the labels are not {@code ignore_class}, or null when there is none. */
    private Value valid(Ops o, Value ids) {
      Integer ignore = args().get(IGNORE_CLASS);
      return ignore == null ? null : o.compare(CompareFn.NOT_EQUAL, ids, o.scalarLike(ignore, ids));
    }

    @Override
    public Value compute(Ops ops, Value yTrue, Value yPred, Value sampleWeight, Value mask) {
      Value valid = valid(ops, ids(ops, yTrue, yPred));
      if (valid != null) {
        mask = mask == null ? valid : ops.mul(ops.toFloat(mask), ops.toFloat(valid));
      }
      return super.compute(ops, yTrue, yPred, sampleWeight, mask);
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      Value ids = ids(o, t, p);
      Value valid = valid(o, ids);
      if (valid != null) {
        ids = o.where(valid, ids, o.scalarLike(0, ids));
      }
      Shape ts = ids.shape();
      Shape ps = p.shape();
      boolean ok = ts.rank() == ps.rank() - 1;
      for (int i = 0; ok && i < ts.rank(); i++) {
        ok = ts.dim(i) == ps.dim(i) || ts.dim(i) == Shape.UNKNOWN || ps.dim(i) == Shape.UNKNOWN;
      }
      if (!ok) {
        throw new KilnException(
            "Loss sparse_categorical_crossentropy: the labels must be class ids of shape "
                + "(batch,) or (batch, 1) for predictions of shape (batch, classes), but received"
                + " target.shape="
                + t.shape()
                + ", output.shape="
                + ps
                + (t.rank() == p.rank() && t.shape().dim(-1) == ps.dim(-1)
                    ? "; one-hot labels need categorical_crossentropy"
                    : ""));
      }
      Value onehot = o.oneHot(o.cast(ids, DType.INT32), ps.dim(-1));
      Value ce =
          CategoricalCrossentropy.crossEntropy(
              o, o.cast(onehot, p.dtype()), p, args().get(CrossEntropy.FROM_LOGITS));
      return valid == null ? ce : o.mul(ce, o.cast(valid, ce.dtype()));
    }
  }

  /**
   * Binary cross-entropy scaled by {@code (1 - p_t)^gamma} to focus on hard examples; with class
   * balancing, weighted by {@code alpha} for positives and {@code 1 - alpha} for negatives.
   */
  public static final class BinaryFocalCrossentropy extends CrossEntropy<BinaryFocalCrossentropy> {
    /** Whether positives are weighted by {@code alpha} and negatives by {@code 1 - alpha}. */
    public static final Arg<Boolean> APPLY_CLASS_BALANCING =
        Arg.bool("apply_class_balancing", false);

    /** The weight of positives when balancing, in [0, 1]. */
    public static final Arg<Double> ALPHA = Arg.fraction("alpha", 0.25);

    /** The focusing exponent, {@code >= 0} (0 gives plain binary cross-entropy). */
    public static final Arg<Double> GAMMA = Arg.nonNegative("gamma", 2.0);

    /** Keras's {@code BinaryFocalCrossentropy}. */
    public static final KerasClass<BinaryFocalCrossentropy> KERAS =
        KerasClass.of(
                Kind.LOSS,
                "BinaryFocalCrossentropy",
                BinaryFocalCrossentropy.class,
                a -> new BinaryFocalCrossentropy(),
                FROM_LOGITS,
                LABEL_SMOOTHING,
                AXIS,
                APPLY_CLASS_BALANCING,
                ALPHA,
                GAMMA)
            .aliases("binary_focal_crossentropy");

    /** The loss with gamma 2, no class balancing. */
    public BinaryFocalCrossentropy() {
      super("binary_focal_crossentropy", KERAS);
    }

    /** Sets gamma. */
    public BinaryFocalCrossentropy gamma(double g) {
      args().set(GAMMA, g);
      return this;
    }

    /** Sets alpha (used with class balancing). */
    public BinaryFocalCrossentropy alpha(double a) {
      args().set(ALPHA, a);
      return this;
    }

    /** Turns class balancing on or off. */
    public BinaryFocalCrossentropy applyClassBalancing(boolean b) {
      args().set(APPLY_CLASS_BALANCING, b);
      return this;
    }

    /** Turns on class balancing with this alpha. */
    public BinaryFocalCrossentropy classBalancing(double a) {
      return alpha(a).applyClassBalancing(true);
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = matchRank(o, t, p, name());
      double labelSmoothing = smoothing();
      if (labelSmoothing > 0) {
        t = o.add(o.mul(t, 1 - labelSmoothing), 0.5 * labelSmoothing);
      }
      boolean fromLogits = logits();
      Value bce = BinaryCrossentropy.elementwise(o, t, p, fromLogits);
      Value q = fromLogits ? o.sigmoid(p) : p;
      Value pt = o.add(o.mul(t, q), o.mul(o.sub(1, t), o.sub(1, q)));
      Value focal = o.mul(o.pow(o.sub(1, pt), args().get(GAMMA)), bce);
      if (args().get(APPLY_CLASS_BALANCING)) {
        double alpha = args().get(ALPHA);
        Value w = o.add(o.mul(t, alpha), o.mul(o.sub(1, t), 1 - alpha));
        focal = o.mul(w, focal);
      }
      return o.mean(focal, false, -1);
    }
  }

  /** Quadratic below {@code delta}, linear above (default delta 1). */
  public static final class Huber extends Loss {
    /** Where the loss turns from quadratic to linear, {@code > 0}. */
    public static final Arg<Double> DELTA = Arg.positive("delta", 1.0);

    /** Keras's {@code Huber}. */
    public static final KerasClass<Huber> KERAS =
        KerasClass.of(Kind.LOSS, "Huber", Huber.class, a -> new Huber(), DELTA)
            .aliases("huber", "huber_loss");

    /** The loss with delta 1. */
    public Huber() {
      super("huber_loss", KERAS);
    }

    /** Sets delta. */
    public Huber delta(double d) {
      args().set(DELTA, d);
      return this;
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = matchRank(o, t, p, name());
      double delta = args().get(DELTA);
      Value err = o.sub(p, t);
      Value abs = o.abs(err);
      Value quad = o.mul(o.square(err), 0.5);
      Value lin = o.sub(o.mul(abs, delta), 0.5 * delta * delta);
      Value cond = o.compare(CompareFn.LESS_EQUAL, abs, o.scalarLike(delta, abs));
      return o.mean(o.where(cond, quad, lin), false, -1);
    }
  }

  /** {@code mean(log(cosh(yPred - yTrue)))}, computed as {@code x + softplus(-2x) - log 2}. */
  public static final class LogCosh extends Loss {
    /** Keras's {@code LogCosh}. */
    public static final KerasClass<LogCosh> KERAS =
        KerasClass.of(Kind.LOSS, "LogCosh", LogCosh.class, a -> new LogCosh())
            .aliases("log_cosh", "logcosh");

    /** The loss. */
    public LogCosh() {
      super("log_cosh", KERAS);
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = matchRank(o, t, p, name());
      Value x = o.sub(p, t);
      Value lc = o.sub(o.add(x, o.softplus(o.mul(x, -2))), Math.log(2));
      return o.mean(lc, false, -1);
    }
  }

  private static Value hingeLabels(Ops o, Value t) {
    // Keras maps 0/1 labels to -1/1; -1/1 labels pass unchanged (2t - 1 would break them), so
    // convert only where the label is 0 or 1 and leave -1 as -1.
    Value isNegOne = o.compare(CompareFn.EQUAL, t, o.scalarLike(-1, t));
    return o.where(isNegOne, t, o.sub(o.mul(t, 2), 1));
  }

  /** {@code mean(max(1 - yTrue * yPred, 0))}; 0/1 labels are taken as -1/1. */
  public static final class Hinge extends Loss {
    /** Keras's {@code Hinge}. */
    public static final KerasClass<Hinge> KERAS =
        KerasClass.of(Kind.LOSS, "Hinge", Hinge.class, a -> new Hinge()).aliases("hinge");

    /** The loss. */
    public Hinge() {
      super("hinge", KERAS);
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = hingeLabels(o, matchRank(o, t, p, name()));
      return o.mean(o.relu(o.sub(1, o.mul(t, p))), false, -1);
    }
  }

  /** {@code mean(max(1 - yTrue * yPred, 0)^2)}; 0/1 labels are taken as -1/1. */
  public static final class SquaredHinge extends Loss {
    /** Keras's {@code SquaredHinge}. */
    public static final KerasClass<SquaredHinge> KERAS =
        KerasClass.of(Kind.LOSS, "SquaredHinge", SquaredHinge.class, a -> new SquaredHinge())
            .aliases("squared_hinge");

    /** The loss. */
    public SquaredHinge() {
      super("squared_hinge", KERAS);
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = hingeLabels(o, matchRank(o, t, p, name()));
      return o.mean(o.square(o.relu(o.sub(1, o.mul(t, p)))), false, -1);
    }
  }

  /** {@code max(max((1 - yTrue) * yPred) - sum(yTrue * yPred) + 1, 0)} for one-hot labels. */
  public static final class CategoricalHinge extends Loss {
    /** Keras's {@code CategoricalHinge}. */
    public static final KerasClass<CategoricalHinge> KERAS =
        KerasClass.of(
                Kind.LOSS, "CategoricalHinge", CategoricalHinge.class, a -> new CategoricalHinge())
            .aliases("categorical_hinge");

    /** The loss. */
    public CategoricalHinge() {
      super("categorical_hinge", KERAS);
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = matchRank(o, t, p, name());
      Value pos = o.sum(o.mul(t, p), false, -1);
      Value neg = o.max(o.mul(o.sub(1, t), p), false, -1);
      return o.relu(o.add(o.sub(neg, pos), 1));
    }
  }

  /** {@code sum(yTrue * log(yTrue / yPred))} with both clipped to {@code [eps, 1]}. */
  public static final class KLDivergence extends Loss {
    /** Keras's {@code KLDivergence}. */
    public static final KerasClass<KLDivergence> KERAS =
        KerasClass.of(Kind.LOSS, "KLDivergence", KLDivergence.class, a -> new KLDivergence())
            .aliases("kl_divergence", "kld", "KLD", "kullback_leibler_divergence");

    /** The loss. */
    public KLDivergence() {
      super("kl_divergence", KERAS);
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = o.clip(matchRank(o, t, p, name()), EPSILON, 1);
      Value q = o.clip(p, EPSILON, 1);
      return o.sum(o.mul(t, o.log(o.div(t, q))), false, -1);
    }
  }

  /** {@code mean(yPred - yTrue * log(yPred + eps))}. */
  public static final class Poisson extends Loss {
    /** Keras's {@code Poisson}. */
    public static final KerasClass<Poisson> KERAS =
        KerasClass.of(Kind.LOSS, "Poisson", Poisson.class, a -> new Poisson()).aliases("poisson");

    /** The loss. */
    public Poisson() {
      super("poisson", KERAS);
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = matchRank(o, t, p, name());
      return o.mean(o.sub(p, o.mul(t, o.log(o.add(p, EPSILON)))), false, -1);
    }
  }

  /** The negative cosine similarity of the L2-normalized vectors on {@code axis} (default -1). */
  public static final class CosineSimilarity extends Loss {
    /** The axis of the vectors. */
    public static final Arg<Integer> AXIS = Arg.integer("axis", -1);

    /** Keras's {@code CosineSimilarity}. */
    public static final KerasClass<CosineSimilarity> KERAS =
        KerasClass.of(
                Kind.LOSS,
                "CosineSimilarity",
                CosineSimilarity.class,
                a -> new CosineSimilarity(),
                AXIS)
            .aliases("cosine_similarity");

    /** The loss on the last axis. */
    public CosineSimilarity() {
      super("cosine_similarity", KERAS);
    }

    /** Sets the axis of the vectors. */
    public CosineSimilarity axis(int axis) {
      args().set(AXIS, axis);
      return this;
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = matchRank(o, t, p, name());
      int axis = args().get(AXIS);
      return o.neg(o.sum(o.mul(l2Normalize(o, t, axis), l2Normalize(o, p, axis)), false, axis));
    }
  }
}
