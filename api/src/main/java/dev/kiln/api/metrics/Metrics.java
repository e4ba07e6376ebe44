package dev.kiln.api.metrics;

import dev.kiln.api.KilnException;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.losses.Loss;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.Args;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.Value;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keras's metrics, as classes with Keras's arguments and by name through the {@link Registry}:
 * {@code accuracy} (resolved against the loss), {@code binary_accuracy}, {@code
 * categorical_accuracy}, {@code sparse_categorical_accuracy}, {@code top_k_categorical_accuracy},
 * {@code sparse_top_k_categorical_accuracy}, {@code precision}, {@code recall}, {@code f1_score},
 * {@code auc}, {@code rmse}, {@code r2_score}, the loss-like metrics ({@code mse}, {@code mae},
 * {@code binary_crossentropy}, ...) and any other loss name as the mean of that loss.
 *
 * {@snippet :
 * Metric a = Metrics.get("accuracy", Losses.get("sparse_categorical_crossentropy"));
 * Metric b = Metrics.deserialize(Map.of("class_name", "AUC", "config", Map.of("curve", "PR")));
 * }
 */
public final class Metrics {
  private Metrics() {}

  /**
   * The metric of this name, logged under that name. {@code "accuracy"} (or {@code "acc"}) picks
   * binary, categorical or sparse categorical accuracy from the loss, and {@code "crossentropy"}
   * (or {@code "ce"}) the matching cross-entropy, as Keras's {@code compile} does; a loss name that
   * is no metric's gives the running mean of that loss.
   *
   * @param loss the compiled loss, to resolve {@code accuracy}; may be null
   * @throws KilnException for an unknown name, naming the nearest known ones
   */
  public static Metric get(String name, Loss loss) {
    boolean binary =
        loss instanceof Losses.BinaryCrossentropy || loss instanceof Losses.BinaryFocalCrossentropy;
    boolean sparse = loss instanceof Losses.SparseCategoricalCrossentropy;
    switch (name) {
      case "accuracy", "acc" -> {
        return binary
            ? new BinaryAccuracy(name, 0.5)
            : sparse ? new SparseCategoricalAccuracy(name) : new CategoricalAccuracy(name);
      }
      case "crossentropy", "ce" -> {
        String cls =
            binary
                ? "BinaryCrossentropy"
                : sparse ? "SparseCategoricalCrossentropy" : "CategoricalCrossentropy";
        return Registry.fromConfig(Kind.METRIC, cls, Map.of("name", name));
      }
      default -> {}
    }
    try {
      Registry.declaration(Kind.METRIC, name);
    } catch (KilnException unknown) {
      Loss l;
      try {
        l = Losses.get(name);
      } catch (KilnException notALoss) {
        throw unknown;
      }
      return new MeanMetricWrapper(name, l);
    }
    return Registry.fromConfig(Kind.METRIC, name, Map.of("name", name));
  }

  /**
   * The metric of this class name or alias with this Keras config, every value checked.
   *
   * @throws KilnException for an unknown name
   * @throws dev.kiln.api.registry.ArgumentException for a config the class does not take
   */
  public static Metric fromConfig(String name, Map<String, Object> config) {
    return Registry.fromConfig(Kind.METRIC, name, config);
  }

  /**
   * The metric a config names: a name, a {@code {"class_name", "config"}} map, or a metric
   * (returned as it is); null stays null.
   *
   * @throws KilnException for an unknown class or anything else
   */
  public static Metric deserialize(Object spec) {
    return Registry.deserialize(Kind.METRIC, spec);
  }

  /** Keras's serialized form: {@code {"module", "class_name", "config", "registered_name"}}. */
  public static Map<String, Object> serialize(Metric metric) {
    return Registry.serialize(Kind.METRIC, metric);
  }

  /** Weights for a per-sample value tensor: {@code sampleWeight} broadcast, or ones. */
  static Value weightsFor(Ops o, Value values, Value sampleWeight) {
    if (sampleWeight == null) {
      return o.fillLike(1, values);
    }
    Value w = o.toFloat(sampleWeight);
    while (w.rank() < values.rank()) {
      w = o.expandDims(w, -1);
    }
    return o.mul(w, o.fillLike(1, values));
  }

  /**
   * The running weighted mean of a per-sample function: a lambda, or a loss given as {@code fn}
   * (Keras's {@code MeanMetricWrapper(fn=...)}, which is what a config can rebuild).
   */
  public static class MeanMetricWrapper extends Metric {
    /** The loss whose per-sample values are averaged. */
    public static final Arg<Loss> FN = Arg.object(Kind.LOSS, Loss.class, "fn", null).required();

    /** Keras's {@code MeanMetricWrapper}. */
    public static final KerasClass<MeanMetricWrapper> KERAS =
        KerasClass.of(
            Kind.METRIC,
            "MeanMetricWrapper",
            MeanMetricWrapper.class,
            a -> new MeanMetricWrapper("mean_metric_wrapper", a.get(FN)),
            FN);

    private final TriFunction fn;
    private Weight total;
    private Weight count;

    /** A mean of {@code fn(yTrue, yPred)}; its config has no {@code fn}. */
    public MeanMetricWrapper(String name, TriFunction fn) {
      super(name, KERAS);
      this.fn = fn;
    }

    /** A mean of the per-sample values of {@code loss}. */
    public MeanMetricWrapper(String name, Loss loss) {
      super(name, KERAS);
      this.fn = null;
      args().set(FN, loss);
    }

    /** For subclasses, which compute their values in {@link #values}. */
    protected MeanMetricWrapper(String name, KerasClass<? extends MeanMetricWrapper> keras) {
      super(name, keras);
      this.fn = null;
    }

    /** A per-sample function of labels and predictions. */
    @FunctionalInterface
    public interface TriFunction {
      /** The values. */
      Value apply(Ops ops, Value yTrue, Value yPred);
    }

    /** The per-sample values whose mean this metric keeps. */
    protected Value values(Ops o, Value t, Value p) {
      if (fn != null) {
        return fn.apply(o, t, p);
      }
      Loss loss = args().get(FN);
      if (loss == null) {
        throw new KilnException(owner() + " has no `fn` to average");
      }
      return loss.call(o, t, p);
    }

    @Override
    protected void build(Shape yTrue, Shape yPred) {
      total = addState("total");
      count = addState("count");
    }

    @Override
    protected void updateState(Ops o, Value t, Value p, Value sw) {
      Value v = o.toFloat(values(o, t, p));
      Value w = weightsFor(o, v, sw);
      o.assign(total, o.add(o.read(total), o.sumAll(o.mul(v, w))));
      o.assign(count, o.add(o.read(count), o.sumAll(w)));
    }

    @Override
    protected double result(List<double[]> s) {
      return s.get(1)[0] == 0 ? 0 : s.get(0)[0] / s.get(1)[0];
    }
  }

  /** The weighted mean of whatever is passed as predictions (labels are ignored). */
  public static final class Mean extends MeanMetricWrapper {
    /** Keras's {@code Mean}. */
    public static final KerasClass<Mean> KERAS =
        KerasClass.of(Kind.METRIC, "Mean", Mean.class, a -> new Mean()).aliases("mean");

    /** A mean metric named {@code mean}. */
    public Mean() {
      this("mean");
    }

    /** A mean metric. */
    public Mean(String name) {
      super(name, KERAS);
    }

    @Override
    protected Value values(Ops o, Value t, Value p) {
      return p;
    }
  }

  private static Value matchLabels(Ops o, Value t, Value p) {
    Value tt = o.cast(t, p.dtype());
    if (tt.rank() == p.rank() - 1) {
      tt = o.expandDims(tt, -1);
    }
    return tt;
  }

  /** The fraction of predictions equal to the labels. */
  public static final class Accuracy extends MeanMetricWrapper {
    /** Keras's {@code Accuracy}. */
    public static final KerasClass<Accuracy> KERAS =
        KerasClass.of(Kind.METRIC, "Accuracy", Accuracy.class, a -> new Accuracy())
            .aliases("accuracy");

    /** The metric, named {@code accuracy}. */
    public Accuracy() {
      this("accuracy");
    }

    /** The metric. */
    public Accuracy(String name) {
      super(name, KERAS);
    }

    @Override
    protected Value values(Ops o, Value t, Value p) {
      return o.mean(o.toFloat(o.equal(matchLabels(o, t, p), p)), false, -1);
    }
  }

  /** The fraction of predictions on the right side of {@code threshold} (default 0.5). */
  public static final class BinaryAccuracy extends MeanMetricWrapper {
    /** The threshold, strictly between 0 and 1. */
    public static final Arg<Double> THRESHOLD =
        Arg.number("threshold", 0.5)
            .checked("a number strictly between 0 and 1", v -> v > 0 && v < 1);

    /** Keras's {@code BinaryAccuracy}. */
    public static final KerasClass<BinaryAccuracy> KERAS =
        KerasClass.of(
                Kind.METRIC,
                "BinaryAccuracy",
                BinaryAccuracy.class,
                a -> new BinaryAccuracy(),
                THRESHOLD)
            .aliases("binary_accuracy");

    /** Threshold 0.5, named {@code binary_accuracy}. */
    public BinaryAccuracy() {
      this("binary_accuracy", 0.5);
    }

    /**
     * Accuracy with this threshold.
     *
     * @throws IllegalArgumentException unless 0 < threshold < 1
     */
    public BinaryAccuracy(String name, double threshold) {
      super(name, KERAS);
      args().set(THRESHOLD, threshold);
    }

    @Override
    protected Value values(Ops o, Value t, Value p) {
      Value tt = matchLabels(o, t, p);
      Value pred = o.toFloat(o.greater(p, args().get(THRESHOLD)));
      return o.mean(o.toFloat(o.equal(pred, o.toFloat(tt))), false, -1);
    }
  }

  /** The fraction of samples whose largest prediction is the one-hot label's class. */
  public static final class CategoricalAccuracy extends MeanMetricWrapper {
    /** Keras's {@code CategoricalAccuracy}. */
    public static final KerasClass<CategoricalAccuracy> KERAS =
        KerasClass.of(
                Kind.METRIC,
                "CategoricalAccuracy",
                CategoricalAccuracy.class,
                a -> new CategoricalAccuracy())
            .aliases("categorical_accuracy");

    /** The metric, named {@code categorical_accuracy}. */
    public CategoricalAccuracy() {
      this("categorical_accuracy");
    }

    /** The metric. */
    public CategoricalAccuracy(String name) {
      super(name, KERAS);
    }

    @Override
    protected Value values(Ops o, Value t, Value p) {
      if (t.rank() != p.rank()) {
        throw new KilnException(
            "categorical accuracy needs one-hot labels of shape "
                + p.shape()
                + " but received labels of shape "
                + t.shape()
                + "; integer class ids need sparse_categorical_accuracy");
      }
      return o.toFloat(o.equal(o.argmax(t, -1), o.argmax(p, -1)));
    }
  }

  /** The fraction of samples whose largest prediction is the integer label. */
  public static final class SparseCategoricalAccuracy extends MeanMetricWrapper {
    /** Keras's {@code SparseCategoricalAccuracy}. */
    public static final KerasClass<SparseCategoricalAccuracy> KERAS =
        KerasClass.of(
                Kind.METRIC,
                "SparseCategoricalAccuracy",
                SparseCategoricalAccuracy.class,
                a -> new SparseCategoricalAccuracy())
            .aliases("sparse_categorical_accuracy");

    /** The metric, named {@code sparse_categorical_accuracy}. */
    public SparseCategoricalAccuracy() {
      this("sparse_categorical_accuracy");
    }

    /** The metric. */
    public SparseCategoricalAccuracy(String name) {
      super(name, KERAS);
    }

    @Override
    protected Value values(Ops o, Value t, Value p) {
      Value ids = t;
      if (ids.rank() == p.rank() && ids.shape().dim(-1) == 1) {
        ids = o.squeeze(ids, -1);
      }
      Value pred = o.argmax(p, -1);
      return o.toFloat(o.equal(o.cast(ids, pred.dtype()), pred));
    }
  }

  /** The fraction of samples whose one-hot label is among the {@code k} (default 5) largest. */
  public static class TopKCategoricalAccuracy extends MeanMetricWrapper {
    /** How many of the largest predictions count. */
    public static final Arg<Integer> K = Arg.positiveInt("k").defaultTo(5);

    /** Keras's {@code TopKCategoricalAccuracy}. */
    public static final KerasClass<TopKCategoricalAccuracy> KERAS =
        KerasClass.of(
                Kind.METRIC,
                "TopKCategoricalAccuracy",
                TopKCategoricalAccuracy.class,
                a -> new TopKCategoricalAccuracy(),
                K)
            .aliases("top_k_categorical_accuracy");

    /** Top-5, named {@code top_k_categorical_accuracy}. */
    public TopKCategoricalAccuracy() {
      this("top_k_categorical_accuracy", 5);
    }

    /** Top-k accuracy for one-hot labels. */
    public TopKCategoricalAccuracy(String name, int k) {
      this(name, KERAS);
      args().set(K, k);
    }

    /**
     * Top-k accuracy; {@code sparse} for integer labels, the same as {@link
     * SparseTopKCategoricalAccuracy}.
     */
    public TopKCategoricalAccuracy(String name, int k, boolean sparse) {
      this(name, sparse ? SparseTopKCategoricalAccuracy.KERAS : KERAS);
      args().set(K, k);
    }

    TopKCategoricalAccuracy(String name, KerasClass<? extends TopKCategoricalAccuracy> keras) {
      super(name, keras);
    }

    private boolean sparse() {
      return args().declaration() == SparseTopKCategoricalAccuracy.KERAS;
    }

    @Override
    protected Value values(Ops o, Value t, Value p) {
      Value ids;
      if (sparse()) {
        ids = t.rank() == p.rank() ? o.squeeze(t, -1) : t;
        ids = o.cast(ids, DType.INT32);
      } else {
        ids = o.argmax(t, -1);
      }
      // The label is in the top k when fewer than k classes score strictly higher.
      Value labelScore = o.sum(o.mul(p, o.oneHot(ids, p.shape().dim(-1))), true, -1);
      Value higher = o.sum(o.toFloat(o.compare(CompareFn.GREATER, p, labelScore)), false, -1);
      return o.toFloat(o.compare(CompareFn.LESS, higher, o.scalar(args().get(K))));
    }
  }

  /** The fraction of samples whose integer label is among the {@code k} (default 5) largest. */
  public static final class SparseTopKCategoricalAccuracy extends TopKCategoricalAccuracy {
    /** Keras's {@code SparseTopKCategoricalAccuracy}. */
    public static final KerasClass<SparseTopKCategoricalAccuracy> KERAS =
        KerasClass.of(
                Kind.METRIC,
                "SparseTopKCategoricalAccuracy",
                SparseTopKCategoricalAccuracy.class,
                a -> new SparseTopKCategoricalAccuracy(),
                K)
            .aliases("sparse_top_k_categorical_accuracy");

    /** Top-5, named {@code sparse_top_k_categorical_accuracy}. */
    public SparseTopKCategoricalAccuracy() {
      this("sparse_top_k_categorical_accuracy", 5);
    }

    /** Top-k accuracy for integer labels. */
    public SparseTopKCategoricalAccuracy(String name, int k) {
      super(name, KERAS);
      args().set(K, k);
    }
  }

  /** {@code sqrt(mean((yPred - yTrue)^2))} over everything seen. */
  public static final class RootMeanSquaredError extends MeanMetricWrapper {
    /** Keras's {@code RootMeanSquaredError}. */
    public static final KerasClass<RootMeanSquaredError> KERAS =
        KerasClass.of(
                Kind.METRIC,
                "RootMeanSquaredError",
                RootMeanSquaredError.class,
                a -> new RootMeanSquaredError())
            .aliases("root_mean_squared_error", "rmse");

    /** The metric, named {@code root_mean_squared_error}. */
    public RootMeanSquaredError() {
      this("root_mean_squared_error");
    }

    /** The metric. */
    public RootMeanSquaredError(String name) {
      super(name, KERAS);
    }

    @Override
    protected Value values(Ops o, Value t, Value p) {
      return o.square(o.sub(p, matchLabels(o, t, p)));
    }

    @Override
    protected double result(List<double[]> s) {
      return Math.sqrt(super.result(s));
    }
  }

  /**
   * The mean of a loss's per-sample values, as Keras's loss-like metrics ({@code MeanSquaredError},
   * {@code BinaryCrossentropy}, ...): each is declared below with the loss it averages and the
   * loss's arguments it takes.
   */
  public static final class LossMetric extends MeanMetricWrapper {
    private final KerasClass<? extends Loss> loss;
    private final double sign;
    private Loss averaged;

    private LossMetric(
        String name, KerasClass<LossMetric> keras, KerasClass<? extends Loss> loss, double sign) {
      super(name, keras);
      this.loss = loss;
      this.sign = sign;
    }

    /** Keras's loss-like metrics. */
    public static final List<KerasClass<LossMetric>> KERAS =
        List.of(
            declare("MeanSquaredError", "mean_squared_error", Losses.MeanSquaredError.KERAS, 1)
                .aliases("mean_squared_error", "mse", "MSE"),
            declare("MeanAbsoluteError", "mean_absolute_error", Losses.MeanAbsoluteError.KERAS, 1)
                .aliases("mean_absolute_error", "mae", "MAE"),
            declare(
                    "MeanAbsolutePercentageError",
                    "mean_absolute_percentage_error",
                    Losses.MeanAbsolutePercentageError.KERAS,
                    1)
                .aliases("mean_absolute_percentage_error", "mape", "MAPE"),
            declare(
                    "MeanSquaredLogarithmicError",
                    "mean_squared_logarithmic_error",
                    Losses.MeanSquaredLogarithmicError.KERAS,
                    1)
                .aliases("mean_squared_logarithmic_error", "msle", "MSLE"),
            declare("LogCoshError", "logcosh", Losses.LogCosh.KERAS, 1)
                .aliases("log_cosh_error", "logcosh"),
            // The metric is the similarity itself; the loss is its negative.
            declare(
                    "CosineSimilarity",
                    "cosine_similarity",
                    Losses.CosineSimilarity.KERAS,
                    -1,
                    Losses.CosineSimilarity.AXIS)
                .aliases("cosine_similarity"),
            declare(
                    "BinaryCrossentropy",
                    "binary_crossentropy",
                    Losses.BinaryCrossentropy.KERAS,
                    1,
                    Losses.CrossEntropy.FROM_LOGITS,
                    Losses.CrossEntropy.LABEL_SMOOTHING)
                .aliases("binary_crossentropy", "bce", "BCE"),
            declare(
                    "CategoricalCrossentropy",
                    "categorical_crossentropy",
                    Losses.CategoricalCrossentropy.KERAS,
                    1,
                    Losses.CrossEntropy.FROM_LOGITS,
                    Losses.CrossEntropy.LABEL_SMOOTHING,
                    Losses.CrossEntropy.AXIS)
                .aliases("categorical_crossentropy"),
            declare(
                    "SparseCategoricalCrossentropy",
                    "sparse_categorical_crossentropy",
                    Losses.SparseCategoricalCrossentropy.KERAS,
                    1,
                    Losses.CrossEntropy.FROM_LOGITS,
                    Losses.CrossEntropy.AXIS)
                .aliases("sparse_categorical_crossentropy"),
            declare("KLDivergence", "kl_divergence", Losses.KLDivergence.KERAS, 1)
                .aliases("kl_divergence"),
            declare("Poisson", "poisson", Losses.Poisson.KERAS, 1).aliases("poisson"),
            declare("Hinge", "hinge", Losses.Hinge.KERAS, 1).aliases("hinge"),
            declare("SquaredHinge", "squared_hinge", Losses.SquaredHinge.KERAS, 1)
                .aliases("squared_hinge"),
            declare("CategoricalHinge", "categorical_hinge", Losses.CategoricalHinge.KERAS, 1)
                .aliases("categorical_hinge"));

    private static KerasClass<LossMetric> declare(
        String className,
        String name,
        KerasClass<? extends Loss> loss,
        double sign,
        Arg<?>... args) {
      return KerasClass.of(
          Kind.METRIC,
          className,
          LossMetric.class,
          a -> new LossMetric(name, own(a), loss, sign),
          args);
    }

    @SuppressWarnings("unchecked")
    private static KerasClass<LossMetric> own(Args a) {
      return (KerasClass<LossMetric>) a.declaration();
    }

    /** The loss averaged, with this metric's arguments that the loss declares. */
    private Loss loss() {
      if (averaged == null) {
        Map<String, Object> c = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : args().toConfig().entrySet()) {
          if (loss.arg(e.getKey()) != null) {
            c.put(e.getKey(), e.getValue());
          }
        }
        averaged = loss.fromConfig(c);
      }
      return averaged;
    }

    @Override
    protected Value values(Ops o, Value t, Value p) {
      Value v = loss().call(o, t, p);
      return sign == 1 ? v : o.mul(v, sign);
    }
  }

  /** Counts of true/false positives and negatives at one threshold: the base of P and R. */
  abstract static class Confusion extends Metric {
    /** The threshold above which a prediction is positive; null means 0.5. */
    static final Arg<Double> THRESHOLDS =
        Arg.number("thresholds", null)
            .checked(
                "a number between 0 and 1 or null (lists of thresholds are not supported)",
                v -> v >= 0 && v <= 1);

    /** Unsupported; must be null. */
    static final Arg<Integer> TOP_K =
        Arg.integer("top_k", null).checked("null (top_k is not supported)", v -> false);

    /** Unsupported; must be null. */
    static final Arg<Integer> CLASS_ID =
        Arg.integer("class_id", null).checked("null (class_id is not supported)", v -> false);

    Weight tp;
    Weight fp;
    Weight fn;

    Confusion(String name, KerasClass<? extends Confusion> keras) {
      super(name, keras);
    }

    double threshold() {
      Double t = args().get(THRESHOLDS);
      return t == null ? 0.5 : t;
    }

    @Override
    protected void build(Shape yTrue, Shape yPred) {
      tp = addState("true_positives");
      fp = addState("false_positives");
      fn = addState("false_negatives");
    }

    @Override
    protected void updateState(Ops o, Value t, Value p, Value sw) {
      Value tt = o.toFloat(matchLabels(o, t, p));
      Value pred = o.toFloat(o.greater(p, threshold()));
      Value w = weightsFor(o, pred, sw);
      Value pos = o.mul(tt, w);
      Value neg = o.mul(o.sub(1, tt), w);
      o.assign(tp, o.add(o.read(tp), o.sumAll(o.mul(pred, pos))));
      o.assign(fp, o.add(o.read(fp), o.sumAll(o.mul(pred, neg))));
      o.assign(fn, o.add(o.read(fn), o.sumAll(o.mul(o.sub(1, pred), pos))));
    }
  }

  /** {@code tp / (tp + fp)} at {@code thresholds} (default 0.5). */
  public static final class Precision extends Confusion {
    /** Keras's {@code Precision}. */
    public static final KerasClass<Precision> KERAS =
        KerasClass.of(
                Kind.METRIC,
                "Precision",
                Precision.class,
                a -> new Precision(),
                THRESHOLDS,
                TOP_K,
                CLASS_ID)
            .aliases("precision");

    /** The metric, named {@code precision}. */
    public Precision() {
      this("precision");
    }

    /** The metric at threshold 0.5. */
    public Precision(String name) {
      super(name, KERAS);
    }

    /** The metric at this threshold. */
    public Precision(String name, double threshold) {
      this(name);
      args().set(THRESHOLDS, threshold);
    }

    @Override
    protected double result(List<double[]> s) {
      double d = s.get(0)[0] + s.get(1)[0];
      return d == 0 ? 0 : s.get(0)[0] / d;
    }
  }

  /** {@code tp / (tp + fn)} at {@code thresholds} (default 0.5). */
  public static final class Recall extends Confusion {
    /** Keras's {@code Recall}. */
    public static final KerasClass<Recall> KERAS =
        KerasClass.of(
                Kind.METRIC, "Recall", Recall.class, a -> new Recall(), THRESHOLDS, TOP_K, CLASS_ID)
            .aliases("recall");

    /** The metric, named {@code recall}. */
    public Recall() {
      this("recall");
    }

    /** The metric at threshold 0.5. */
    public Recall(String name) {
      super(name, KERAS);
    }

    /** The metric at this threshold. */
    public Recall(String name, double threshold) {
      this(name);
      args().set(THRESHOLDS, threshold);
    }

    @Override
    protected double result(List<double[]> s) {
      double d = s.get(0)[0] + s.get(2)[0];
      return d == 0 ? 0 : s.get(0)[0] / d;
    }
  }

  /**
   * The F1 score per class, averaged: {@code "micro"} (global counts), {@code "macro"} (mean of the
   * classes), {@code "weighted"} (by support); with Keras's default null, the per-class scores'
   * mean is reported (Keras returns the vector). Without a threshold the largest prediction of each
   * row is the positive class, as Keras's.
   */
  public static final class F1Score extends Metric {
    /** How the per-class scores are combined. */
    public static final Arg<String> AVERAGE =
        Arg.choice("average", null, "micro", "macro", "weighted").nullable();

    /** Predictions above it are positive; null: the row's largest. In (0, 1]. */
    public static final Arg<Double> THRESHOLD =
        Arg.number("threshold", null).checked("a number in (0, 1] or null", v -> v > 0 && v <= 1);

    /** Keras's {@code F1Score}. */
    public static final KerasClass<F1Score> KERAS =
        KerasClass.of(Kind.METRIC, "F1Score", F1Score.class, a -> new F1Score(), AVERAGE, THRESHOLD)
            .aliases("f1_score");

    private Weight tp;
    private Weight fp;
    private Weight fn;

    /** Keras's defaults, named {@code f1_score}. */
    public F1Score() {
      super("f1_score", KERAS);
    }

    /**
     * F1 with this averaging and threshold (null: argmax).
     *
     * @throws IllegalArgumentException for another average or a threshold outside (0, 1]
     */
    public F1Score(String name, String average, Double threshold) {
      super(name, KERAS);
      args().set(AVERAGE, average).set(THRESHOLD, threshold);
    }

    @Override
    protected void build(Shape t, Shape p) {
      int k = p.dim(-1);
      tp = addState("true_positives", k);
      fp = addState("false_positives", k);
      fn = addState("false_negatives", k);
    }

    @Override
    protected void updateState(Ops o, Value t, Value p, Value sw) {
      Value tt = o.toFloat(t);
      Double threshold = args().get(THRESHOLD);
      Value pred;
      if (threshold == null) {
        pred = o.oneHot(o.argmax(p, -1), p.shape().dim(-1));
      } else {
        pred = o.toFloat(o.greater(p, threshold));
      }
      Value w = weightsFor(o, pred, sw);
      Value pos = o.mul(tt, w);
      o.assign(tp, o.add(o.read(tp), o.sum(o.mul(pred, pos), false, 0)));
      o.assign(fp, o.add(o.read(fp), o.sum(o.mul(pred, o.mul(o.sub(1, tt), w)), false, 0)));
      o.assign(fn, o.add(o.read(fn), o.sum(o.mul(o.sub(1, pred), pos), false, 0)));
    }

    @Override
    protected double result(List<double[]> s) {
      double[] tps = s.get(0);
      double[] fps = s.get(1);
      double[] fns = s.get(2);
      String average = args().get(AVERAGE);
      if ("micro".equals(average)) {
        double a = 0;
        double b = 0;
        double c = 0;
        for (int i = 0; i < tps.length; i++) {
          a += tps[i];
          b += fps[i];
          c += fns[i];
        }
        return f1(a, b, c);
      }
      double sum = 0;
      double weights = 0;
      for (int i = 0; i < tps.length; i++) {
        double w = "weighted".equals(average) ? tps[i] + fns[i] : 1;
        sum += w * f1(tps[i], fps[i], fns[i]);
        weights += w;
      }
      return weights == 0 ? 0 : sum / weights;
    }

    private static double f1(double tp, double fp, double fn) {
      double p = tp + fp == 0 ? 0 : tp / (tp + fp);
      double r = tp + fn == 0 ? 0 : tp / (tp + fn);
      return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }
  }

  /**
   * Area under the ROC (or precision-recall) curve from confusion counts at {@code num_thresholds}
   * evenly spaced thresholds in [0, 1], summed by the trapezoid rule (ROC) or Davis-Goadrich
   * interpolation (PR), as Keras's {@code AUC} with {@code summation_method="interpolation"}.
   */
  public static final class Auc extends Metric {
    /** How many thresholds, {@code > 1}. */
    public static final Arg<Integer> NUM_THRESHOLDS =
        Arg.integer("num_thresholds", 200).checked("an integer > 1", v -> v > 1);

    /** {@code ROC} or {@code PR}. */
    public static final Arg<String> CURVE = Arg.choice("curve", "ROC", "ROC", "PR");

    /** Only Keras's default, {@code interpolation}. */
    public static final Arg<String> SUMMATION_METHOD =
        Arg.string("summation_method", "interpolation")
            .checked(
                "\"interpolation\" (minoring and majoring are not supported)",
                "interpolation"::equals);

    /** Only false: one curve over all labels. */
    public static final Arg<Boolean> MULTI_LABEL =
        Arg.bool("multi_label", false).checked("false (multi-label AUC is not supported)", v -> !v);

    /** Unsupported; must be null. */
    public static final Arg<Integer> NUM_LABELS =
        Arg.integer("num_labels", null)
            .checked("null (multi-label AUC is not supported)", v -> false);

    /** Unsupported; must be null. */
    public static final Arg<Object> LABEL_WEIGHTS =
        Arg.json("label_weights", null)
            .checked("null (multi-label AUC is not supported)", v -> false);

    /** Whether predictions are logits (a sigmoid is applied first). */
    public static final Arg<Boolean> FROM_LOGITS = Arg.bool("from_logits", false);

    /** Unsupported; must be null (evenly spaced thresholds). */
    public static final Arg<Object> THRESHOLDS =
        Arg.json("thresholds", null)
            .checked("null (explicit thresholds are not supported)", v -> false);

    /** Keras's {@code AUC}. */
    public static final KerasClass<Auc> KERAS =
        KerasClass.of(
                Kind.METRIC,
                "AUC",
                Auc.class,
                a -> new Auc(),
                NUM_THRESHOLDS,
                CURVE,
                SUMMATION_METHOD,
                MULTI_LABEL,
                NUM_LABELS,
                LABEL_WEIGHTS,
                FROM_LOGITS,
                THRESHOLDS)
            .aliases("auc");

    private double[] thresholds;
    private Weight tp;
    private Weight fp;
    private Weight tn;
    private Weight fn;

    /** ROC AUC at 200 thresholds, named {@code auc}. */
    public Auc() {
      super("auc", KERAS);
    }

    /**
     * AUC with these thresholds and curve ({@code ROC} or {@code PR}).
     *
     * @throws IllegalArgumentException for numThresholds <= 1 or another curve
     */
    public Auc(String name, int numThresholds, String curve) {
      super(name, KERAS);
      args().set(NUM_THRESHOLDS, numThresholds).set(CURVE, curve);
    }

    @Override
    protected void build(Shape yTrue, Shape yPred) {
      int n = args().get(NUM_THRESHOLDS);
      thresholds = new double[n];
      double eps = 1e-7;
      for (int i = 0; i < n; i++) {
        thresholds[i] = (double) i / (n - 1);
      }
      thresholds[0] = -eps;
      thresholds[n - 1] = 1 + eps;
      tp = addState("true_positives", n);
      fp = addState("false_positives", n);
      tn = addState("true_negatives", n);
      fn = addState("false_negatives", n);
    }

    @Override
    protected void updateState(Ops o, Value t, Value p, Value sw) {
      float[] th = new float[thresholds.length];
      for (int i = 0; i < th.length; i++) {
        th[i] = (float) thresholds[i];
      }
      Value probs = args().get(FROM_LOGITS) ? o.sigmoid(o.toFloat(p)) : o.toFloat(p);
      Value flatP = o.reshape(probs, -1, 1);
      Value flatT = o.reshape(o.toFloat(matchLabels(o, t, p)), -1, 1);
      Value w = o.reshape(weightsFor(o, o.toFloat(p), sw), -1, 1);
      Value above =
          o.toFloat(
              o.compare(
                  CompareFn.GREATER, flatP, o.constant(dev.kiln.api.Tensor.of(th, 1, th.length))));
      Value pos = o.mul(flatT, w);
      Value neg = o.mul(o.sub(1, flatT), w);
      Value below = o.sub(1, above);
      o.assign(tp, o.add(o.read(tp), o.sum(o.mul(above, pos), false, 0)));
      o.assign(fp, o.add(o.read(fp), o.sum(o.mul(above, neg), false, 0)));
      o.assign(tn, o.add(o.read(tn), o.sum(o.mul(below, neg), false, 0)));
      o.assign(fn, o.add(o.read(fn), o.sum(o.mul(below, pos), false, 0)));
    }

    @Override
    protected double result(List<double[]> s) {
      double[] tps = s.get(0);
      double[] fps = s.get(1);
      double[] tns = s.get(2);
      double[] fns = s.get(3);
      int n = tps.length;
      double area = 0;
      if (args().get(CURVE).equals("PR")) {
        // Davis & Goadrich interpolation between thresholds, as Keras's interpolate_pr_auc.
        for (int i = 0; i < n - 1; i++) {
          double dtp = tps[i] - tps[i + 1];
          double p0 = tps[i] + fps[i];
          double p1 = tps[i + 1] + fps[i + 1];
          double dp = p0 - p1;
          double slope = dp > 0 ? dtp / dp : 0;
          double intercept = tps[i + 1] - slope * p1;
          double ratio = p0 > 0 && p1 > 0 ? p0 / p1 : 1;
          double denom = tps[i + 1] + fns[i + 1];
          if (denom > 0) {
            area += slope * (dtp + intercept * Math.log(ratio)) / denom;
          }
        }
        return area;
      }
      double[] tpr = new double[n];
      double[] fpr = new double[n];
      for (int i = 0; i < n; i++) {
        tpr[i] = tps[i] + fns[i] == 0 ? 0 : tps[i] / (tps[i] + fns[i]);
        fpr[i] = fps[i] + tns[i] == 0 ? 0 : fps[i] / (fps[i] + tns[i]);
      }
      for (int i = 0; i < n - 1; i++) {
        area += (fpr[i] - fpr[i + 1]) * (tpr[i] + tpr[i + 1]) / 2;
      }
      return area;
    }
  }

  /**
   * The coefficient of determination {@code 1 - SS_res / SS_tot} per output over everything seen,
   * averaged uniformly or weighted by each output's variance; with {@code num_regressors} p > 0,
   * the adjusted score {@code 1 - (1 - R2)(n - 1) / (n - p - 1)} (n the number of label values; the
   * plain score when {@code p >= n - 1}, as Keras).
   */
  public static final class R2Score extends Metric {
    /** How the per-output scores are combined. */
    public static final Arg<String> CLASS_AGGREGATION =
        Arg.choice(
            "class_aggregation", "uniform_average", "uniform_average", "variance_weighted_average");

    /** The number of regressors of the adjusted score (0: the plain score). */
    public static final Arg<Integer> NUM_REGRESSORS = Arg.nonNegativeInt("num_regressors", 0);

    /** Keras's {@code R2Score}. */
    public static final KerasClass<R2Score> KERAS =
        KerasClass.of(
                Kind.METRIC,
                "R2Score",
                R2Score.class,
                a -> new R2Score(),
                CLASS_AGGREGATION,
                NUM_REGRESSORS)
            .aliases("r2_score");

    private Weight sum;
    private Weight squares;
    private Weight residual;
    private Weight count;
    private Weight samples;

    /** Keras's defaults, named {@code r2_score}. */
    public R2Score() {
      this("r2_score");
    }

    /** The metric (uniform average over outputs). */
    public R2Score(String name) {
      super(name, KERAS);
    }

    /** Sets the aggregation: {@code uniform_average} or {@code variance_weighted_average}. */
    public R2Score classAggregation(String aggregation) {
      args().set(CLASS_AGGREGATION, aggregation);
      return this;
    }

    /** Sets the number of regressors of the adjusted score. */
    public R2Score numRegressors(int p) {
      args().set(NUM_REGRESSORS, p);
      return this;
    }

    @Override
    protected void build(Shape t, Shape p) {
      int k = p.rank() < 2 ? 1 : p.dim(-1);
      sum = addState("sum", k);
      squares = addState("squared_sum", k);
      residual = addState("total_mse", k);
      count = addState("count", k);
      samples = addState("num_samples");
    }

    @Override
    protected void updateState(Ops o, Value t, Value p, Value sw) {
      Value pp = p.rank() < 2 ? o.expandDims(p, -1) : p;
      Value tt = o.cast(t, pp.dtype());
      if (tt.rank() < pp.rank()) {
        tt = o.expandDims(tt, -1);
      }
      Value w = weightsFor(o, tt, sw);
      o.assign(sum, o.add(o.read(sum), o.sum(o.mul(tt, w), false, 0)));
      o.assign(squares, o.add(o.read(squares), o.sum(o.mul(o.square(tt), w), false, 0)));
      o.assign(
          residual, o.add(o.read(residual), o.sum(o.mul(o.square(o.sub(tt, pp)), w), false, 0)));
      o.assign(count, o.add(o.read(count), o.sum(w, false, 0)));
      o.assign(samples, o.add(o.read(samples), o.sumAll(o.fillLike(1, tt))));
    }

    @Override
    protected double result(List<double[]> s) {
      int k = s.get(0).length;
      boolean weighted = args().get(CLASS_AGGREGATION).equals("variance_weighted_average");
      double total = 0;
      double weights = 0;
      for (int i = 0; i < k; i++) {
        double n = s.get(3)[i];
        double mean = s.get(0)[i] / n;
        double ssTot = s.get(1)[i] - n * mean * mean;
        double ssRes = s.get(2)[i];
        double r2 = ssTot == 0 ? 0 : 1 - ssRes / ssTot;
        double w = weighted ? ssTot : 1;
        total += w * r2;
        weights += w;
      }
      double r2 = weights == 0 ? 0 : total / weights;
      int p = args().get(NUM_REGRESSORS);
      double n = s.get(4)[0];
      if (p > 0 && p < n - 1) {
        r2 = 1 - (1 - r2) * (n - 1) / (n - p - 1);
      }
      return r2;
    }
  }
}
