package dev.kiln.api.losses;

import dev.kiln.api.KilnException;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Keras's losses, by class and by name ({@code "mse"}, {@code "categorical_crossentropy"}, ...),
 * with Keras's formulas and defaults. Probabilities are clipped to {@code [1e-7, 1 - 1e-7]} as
 * Keras clips them.
 *
 * {@snippet :
 * Loss a = Losses.get("sparse_categorical_crossentropy");
 * Loss b = new Losses.CategoricalCrossentropy().fromLogits(true).labelSmoothing(0.1);
 * }
 */
public final class Losses {
  private Losses() {}

  /** Keras's fuzz factor. */
  public static final double EPSILON = 1e-7;

  private static final Map<String, Supplier<Loss>> BY_NAME = new LinkedHashMap<>();

  static {
    BY_NAME.put("mean_squared_error", MeanSquaredError::new);
    BY_NAME.put("mean_absolute_error", MeanAbsoluteError::new);
    BY_NAME.put("mean_absolute_percentage_error", MeanAbsolutePercentageError::new);
    BY_NAME.put("mean_squared_logarithmic_error", MeanSquaredLogarithmicError::new);
    BY_NAME.put("binary_crossentropy", BinaryCrossentropy::new);
    BY_NAME.put("categorical_crossentropy", CategoricalCrossentropy::new);
    BY_NAME.put("sparse_categorical_crossentropy", SparseCategoricalCrossentropy::new);
    BY_NAME.put("binary_focal_crossentropy", BinaryFocalCrossentropy::new);
    BY_NAME.put("huber", Huber::new);
    BY_NAME.put("log_cosh", LogCosh::new);
    BY_NAME.put("hinge", Hinge::new);
    BY_NAME.put("squared_hinge", SquaredHinge::new);
    BY_NAME.put("categorical_hinge", CategoricalHinge::new);
    BY_NAME.put("kl_divergence", KLDivergence::new);
    BY_NAME.put("poisson", Poisson::new);
    BY_NAME.put("cosine_similarity", CosineSimilarity::new);
  }

  private static final Map<String, String> ALIASES =
      Map.of(
          "mse", "mean_squared_error",
          "mae", "mean_absolute_error",
          "mape", "mean_absolute_percentage_error",
          "msle", "mean_squared_logarithmic_error",
          "kld", "kl_divergence",
          "kullback_leibler_divergence", "kl_divergence",
          "logcosh", "log_cosh",
          "huber_loss", "huber");

  /**
   * The loss of this Keras name, alias ({@code mse}) or class name ({@code MeanSquaredError}).
   *
   * @throws KilnException for an unknown name, listing the known ones
   */
  public static Loss get(String name) {
    String key = ALIASES.getOrDefault(name, name);
    Supplier<Loss> s = BY_NAME.get(key);
    if (s == null) {
      for (Map.Entry<String, Supplier<Loss>> e : BY_NAME.entrySet()) {
        Loss l = e.getValue().get();
        if (l.getClass().getSimpleName().equals(name)) {
          return l;
        }
      }
      throw new KilnException(
          "Could not interpret loss identifier: '"
              + name
              + "'. Known losses: "
              + String.join(", ", BY_NAME.keySet())
              + " (aliases "
              + String.join(", ", ALIASES.keySet())
              + ")");
    }
    return s.get();
  }

  private static Value l2Normalize(Ops o, Value x, int axis) {
    Value sq = o.sum(o.square(x), true, axis);
    return o.mul(x, o.graph().rsqrt(o.maximum(sq, 1e-12)));
  }

  /** {@code mean((yPred - yTrue)^2)} over the last axis. */
  public static final class MeanSquaredError extends Loss {
    /** The loss. */
    public MeanSquaredError() {
      super("mean_squared_error");
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = matchRank(o, t, p, name());
      return o.mean(o.square(o.sub(p, t)), false, -1);
    }
  }

  /** {@code mean(|yPred - yTrue|)} over the last axis. */
  public static final class MeanAbsoluteError extends Loss {
    /** The loss. */
    public MeanAbsoluteError() {
      super("mean_absolute_error");
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = matchRank(o, t, p, name());
      return o.mean(o.abs(o.sub(p, t)), false, -1);
    }
  }

  /** {@code 100 * mean(|(yTrue - yPred) / max(|yTrue|, eps)|)}. */
  public static final class MeanAbsolutePercentageError extends Loss {
    /** The loss. */
    public MeanAbsolutePercentageError() {
      super("mean_absolute_percentage_error");
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
    /** The loss. */
    public MeanSquaredLogarithmicError() {
      super("mean_squared_logarithmic_error");
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
    /** Whether predictions are logits. */
    protected boolean fromLogits;

    /** The smoothing fraction. */
    protected double labelSmoothing;

    CrossEntropy(String name) {
      super(name);
    }

    @SuppressWarnings("unchecked")
    private T self() {
      return (T) this;
    }

    /** Whether predictions are logits (default false: probabilities). */
    public T fromLogits(boolean f) {
      this.fromLogits = f;
      return self();
    }

    /** Moves labels toward the uniform distribution by this fraction. */
    public T labelSmoothing(double s) {
      if (s < 0 || s > 1) {
        throw new IllegalArgumentException(
            "label_smoothing must be in [0, 1]. Received: label_smoothing=" + s);
      }
      this.labelSmoothing = s;
      return self();
    }

    @Override
    public Map<String, Object> getConfig() {
      Map<String, Object> c = super.getConfig();
      c.put("from_logits", fromLogits);
      c.put("label_smoothing", labelSmoothing);
      c.put("axis", -1);
      return c;
    }
  }

  /** Cross-entropy of 0/1 labels against probabilities (or logits), mean over the last axis. */
  public static final class BinaryCrossentropy extends CrossEntropy<BinaryCrossentropy> {
    /** The loss on probabilities. */
    public BinaryCrossentropy() {
      super("binary_crossentropy");
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = matchRank(o, t, p, name());
      if (labelSmoothing > 0) {
        t = o.add(o.mul(t, 1 - labelSmoothing), 0.5 * labelSmoothing);
      }
      return o.mean(elementwise(o, t, p, fromLogits), false, -1);
    }

    static Value elementwise(Ops o, Value t, Value p, boolean logits) {
      if (logits) {
        return o.graph().sigmoidCrossEntropy(p, t);
      }
      Value q = o.clip(p, EPSILON, 1 - EPSILON);
      Value a = o.mul(t, o.log(q));
      Value b = o.mul(o.sub(1, t), o.log(o.sub(1, q)));
      return o.neg(o.add(a, b));
    }
  }

  /** Cross-entropy of one-hot labels against class probabilities (or logits) on the last axis. */
  public static final class CategoricalCrossentropy extends CrossEntropy<CategoricalCrossentropy> {
    /** The loss on probabilities. */
    public CategoricalCrossentropy() {
      super("categorical_crossentropy");
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = o.cast(t, p.dtype());
      checkSameShape(t.shape(), p.shape(), name());
      if (labelSmoothing > 0) {
        int k = p.shape().dim(-1);
        t = o.add(o.mul(t, 1 - labelSmoothing), labelSmoothing / k);
      }
      return crossEntropy(o, t, p, fromLogits);
    }

    static Value crossEntropy(Ops o, Value t, Value p, boolean logits) {
      if (logits) {
        return o.graph().softmaxCrossEntropy(p, t, -1);
      }
      Value q = o.div(p, o.sum(p, true, -1));
      q = o.clip(q, EPSILON, 1 - EPSILON);
      return o.neg(o.sum(o.mul(t, o.log(q)), false, -1));
    }
  }

  /** Cross-entropy of integer class ids against class probabilities (or logits). */
  public static final class SparseCategoricalCrossentropy extends Loss {
    private boolean fromLogits;

    /** The loss on probabilities. */
    public SparseCategoricalCrossentropy() {
      super("sparse_categorical_crossentropy");
    }

    /** Whether predictions are logits. */
    public SparseCategoricalCrossentropy fromLogits(boolean f) {
      this.fromLogits = f;
      return this;
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      Value ids = t;
      if (ids.rank() == p.rank() && ids.shape().dim(-1) == 1) {
        ids = o.squeeze(ids, -1);
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
      return CategoricalCrossentropy.crossEntropy(o, o.cast(onehot, p.dtype()), p, fromLogits);
    }

    @Override
    public Map<String, Object> getConfig() {
      Map<String, Object> c = super.getConfig();
      c.put("from_logits", fromLogits);
      c.put("ignore_class", null);
      return c;
    }
  }

  /**
   * Binary cross-entropy scaled by {@code (1 - p_t)^gamma} to focus on hard examples; with class
   * balancing, weighted by {@code alpha} for positives and {@code 1 - alpha} for negatives.
   */
  public static final class BinaryFocalCrossentropy extends CrossEntropy<BinaryFocalCrossentropy> {
    private boolean applyClassBalancing;
    private double alpha = 0.25;
    private double gamma = 2.0;

    /** The loss with gamma 2, no class balancing. */
    public BinaryFocalCrossentropy() {
      super("binary_focal_crossentropy");
    }

    /** Sets gamma. */
    public BinaryFocalCrossentropy gamma(double g) {
      this.gamma = g;
      return this;
    }

    /** Turns on class balancing with this alpha. */
    public BinaryFocalCrossentropy classBalancing(double a) {
      this.applyClassBalancing = true;
      this.alpha = a;
      return this;
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = matchRank(o, t, p, name());
      if (labelSmoothing > 0) {
        t = o.add(o.mul(t, 1 - labelSmoothing), 0.5 * labelSmoothing);
      }
      Value bce = BinaryCrossentropy.elementwise(o, t, p, fromLogits);
      Value q = fromLogits ? o.sigmoid(p) : p;
      Value pt = o.add(o.mul(t, q), o.mul(o.sub(1, t), o.sub(1, q)));
      Value focal = o.mul(o.pow(o.sub(1, pt), gamma), bce);
      if (applyClassBalancing) {
        Value w = o.add(o.mul(t, alpha), o.mul(o.sub(1, t), 1 - alpha));
        focal = o.mul(w, focal);
      }
      return o.mean(focal, false, -1);
    }

    @Override
    public Map<String, Object> getConfig() {
      Map<String, Object> c = super.getConfig();
      c.put("apply_class_balancing", applyClassBalancing);
      c.put("alpha", alpha);
      c.put("gamma", gamma);
      return c;
    }
  }

  /** Quadratic below {@code delta}, linear above (default delta 1). */
  public static final class Huber extends Loss {
    private double delta = 1.0;

    /** The loss with delta 1. */
    public Huber() {
      super("huber_loss");
    }

    /** Sets delta. */
    public Huber delta(double d) {
      this.delta = d;
      return this;
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = matchRank(o, t, p, name());
      Value err = o.sub(p, t);
      Value abs = o.abs(err);
      Value quad = o.mul(o.square(err), 0.5);
      Value lin = o.sub(o.mul(abs, delta), 0.5 * delta * delta);
      Value cond = o.compare(dev.kiln.spi.ir.CompareFn.LESS_EQUAL, abs, o.scalarLike(delta, abs));
      return o.mean(o.where(cond, quad, lin), false, -1);
    }

    @Override
    public Map<String, Object> getConfig() {
      Map<String, Object> c = super.getConfig();
      c.put("delta", delta);
      return c;
    }
  }

  /** {@code mean(log(cosh(yPred - yTrue)))}, computed as {@code x + softplus(-2x) - log 2}. */
  public static final class LogCosh extends Loss {
    /** The loss. */
    public LogCosh() {
      super("log_cosh");
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
    Value isNegOne = o.compare(dev.kiln.spi.ir.CompareFn.EQUAL, t, o.scalarLike(-1, t));
    return o.where(isNegOne, t, o.sub(o.mul(t, 2), 1));
  }

  /** {@code mean(max(1 - yTrue * yPred, 0))}; 0/1 labels are taken as -1/1. */
  public static final class Hinge extends Loss {
    /** The loss. */
    public Hinge() {
      super("hinge");
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = hingeLabels(o, matchRank(o, t, p, name()));
      return o.mean(o.relu(o.sub(1, o.mul(t, p))), false, -1);
    }
  }

  /** {@code mean(max(1 - yTrue * yPred, 0)^2)}; 0/1 labels are taken as -1/1. */
  public static final class SquaredHinge extends Loss {
    /** The loss. */
    public SquaredHinge() {
      super("squared_hinge");
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = hingeLabels(o, matchRank(o, t, p, name()));
      return o.mean(o.square(o.relu(o.sub(1, o.mul(t, p)))), false, -1);
    }
  }

  /** {@code max(max((1 - yTrue) * yPred) - sum(yTrue * yPred) + 1, 0)} for one-hot labels. */
  public static final class CategoricalHinge extends Loss {
    /** The loss. */
    public CategoricalHinge() {
      super("categorical_hinge");
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
    /** The loss. */
    public KLDivergence() {
      super("kl_divergence");
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
    /** The loss. */
    public Poisson() {
      super("poisson");
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = matchRank(o, t, p, name());
      return o.mean(o.sub(p, o.mul(t, o.log(o.add(p, EPSILON)))), false, -1);
    }
  }

  /** The negative cosine similarity of the L2-normalized vectors on the last axis. */
  public static final class CosineSimilarity extends Loss {
    /** The loss. */
    public CosineSimilarity() {
      super("cosine_similarity");
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      t = matchRank(o, t, p, name());
      return o.neg(o.sum(o.mul(l2Normalize(o, t, -1), l2Normalize(o, p, -1)), false, -1));
    }
  }
}
