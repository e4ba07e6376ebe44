package dev.kiln.api.metrics;

import dev.kiln.api.KilnException;
import dev.kiln.api.losses.Loss;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.Value;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Keras's metrics by class and by name: {@code accuracy} (resolved against the loss), {@code
 * binary_accuracy}, {@code categorical_accuracy}, {@code sparse_categorical_accuracy}, {@code
 * top_k_categorical_accuracy}, {@code sparse_top_k_categorical_accuracy}, {@code precision}, {@code
 * recall}, {@code f1_score}, {@code auc}, {@code mse}, {@code mae}, {@code rmse}, {@code r2_score},
 * and any loss name as a mean metric.
 */
public final class Metrics {
  private Metrics() {}

  /**
   * The metric of this name. {@code "accuracy"} (or {@code "acc"}) picks binary, categorical or
   * sparse categorical accuracy from the loss, as Keras does.
   *
   * @param loss the compiled loss, to resolve {@code accuracy}; may be null
   * @throws KilnException for an unknown name
   */
  public static Metric get(String name, Loss loss) {
    switch (name) {
      case "accuracy", "acc" -> {
        String l = loss == null ? "" : loss.name();
        if (l.equals("binary_crossentropy") || l.equals("binary_focal_crossentropy")) {
          return new BinaryAccuracy(name, 0.5);
        }
        if (l.equals("sparse_categorical_crossentropy")) {
          return new SparseCategoricalAccuracy(name);
        }
        return new CategoricalAccuracy(name);
      }
      case "binary_accuracy" -> {
        return new BinaryAccuracy(name, 0.5);
      }
      case "categorical_accuracy" -> {
        return new CategoricalAccuracy(name);
      }
      case "sparse_categorical_accuracy" -> {
        return new SparseCategoricalAccuracy(name);
      }
      case "top_k_categorical_accuracy" -> {
        return new TopKCategoricalAccuracy(name, 5, false);
      }
      case "sparse_top_k_categorical_accuracy" -> {
        return new TopKCategoricalAccuracy(name, 5, true);
      }
      case "precision" -> {
        return new Precision(name);
      }
      case "recall" -> {
        return new Recall(name);
      }
      case "f1_score" -> {
        return new F1Score(name, "macro", null);
      }
      case "auc" -> {
        return new Auc(name, 200, "ROC");
      }
      case "rmse", "root_mean_squared_error" -> {
        return new RootMeanSquaredError(name);
      }
      case "r2_score" -> {
        return new R2Score(name);
      }
      default -> {
        try {
          return new MeanMetricWrapper(name, Losses.get(name)::call);
        } catch (KilnException e) {
          throw new KilnException(
              "Unknown metric: '"
                  + name
                  + "'. Known metrics: accuracy, binary_accuracy, categorical_accuracy,"
                  + " sparse_categorical_accuracy, top_k_categorical_accuracy,"
                  + " sparse_top_k_categorical_accuracy, precision, recall, f1_score, auc, rmse,"
                  + " r2_score, and every loss name (mse, mae, ...)");
        }
      }
    }
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

  /** The running weighted mean of a per-sample function. */
  public static class MeanMetricWrapper extends Metric {
    private final BiFunction<Ops, Value[], Value> fn;
    private dev.kiln.api.layers.Weight total;
    private dev.kiln.api.layers.Weight count;

    /** A mean of {@code fn(yTrue, yPred)}. */
    public MeanMetricWrapper(String name, TriFunction fn) {
      super(name);
      this.fn = (o, a) -> fn.apply(o, a[0], a[1]);
      total = addState("total");
      count = addState("count");
    }

    /** A per-sample function of labels and predictions. */
    @FunctionalInterface
    public interface TriFunction {
      /** The values. */
      Value apply(Ops ops, Value yTrue, Value yPred);
    }

    @Override
    protected void updateState(Ops o, Value t, Value p, Value sw) {
      Value v = o.toFloat(fn.apply(o, new Value[] {t, p}));
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
    /** A mean metric. */
    public Mean(String name) {
      super(name, (o, t, p) -> p);
    }
  }

  private static Value matchLabels(Ops o, Value t, Value p) {
    Value tt = o.cast(t, p.dtype());
    if (tt.rank() == p.rank() - 1) {
      tt = o.expandDims(tt, -1);
    }
    return tt;
  }

  /** The fraction of predictions on the right side of {@code threshold}. */
  public static final class BinaryAccuracy extends MeanMetricWrapper {
    /** Accuracy with this threshold. */
    public BinaryAccuracy(String name, double threshold) {
      super(
          name,
          (o, t, p) -> {
            Value tt = matchLabels(o, t, p);
            Value pred = o.toFloat(o.greater(p, threshold));
            return o.mean(o.toFloat(o.equal(pred, o.toFloat(tt))), false, -1);
          });
    }
  }

  /** The fraction of samples whose largest prediction is the one-hot label's class. */
  public static final class CategoricalAccuracy extends MeanMetricWrapper {
    /** The metric. */
    public CategoricalAccuracy(String name) {
      super(
          name,
          (o, t, p) -> {
            if (t.rank() != p.rank()) {
              throw new KilnException(
                  "categorical accuracy needs one-hot labels of shape "
                      + p.shape()
                      + " but received labels of shape "
                      + t.shape()
                      + "; integer class ids need sparse_categorical_accuracy");
            }
            return o.toFloat(o.equal(o.argmax(t, -1), o.argmax(p, -1)));
          });
    }
  }

  /** The fraction of samples whose largest prediction is the integer label. */
  public static final class SparseCategoricalAccuracy extends MeanMetricWrapper {
    /** The metric. */
    public SparseCategoricalAccuracy(String name) {
      super(
          name,
          (o, t, p) -> {
            Value ids = t;
            if (ids.rank() == p.rank() && ids.shape().dim(-1) == 1) {
              ids = o.squeeze(ids, -1);
            }
            Value pred = o.argmax(p, -1);
            return o.toFloat(o.equal(o.cast(ids, pred.dtype()), pred));
          });
    }
  }

  /** The fraction of samples whose label is among the {@code k} largest predictions. */
  public static final class TopKCategoricalAccuracy extends MeanMetricWrapper {
    /** Top-k accuracy; {@code sparse} for integer labels. */
    public TopKCategoricalAccuracy(String name, int k, boolean sparse) {
      super(
          name,
          (o, t, p) -> {
            Value ids;
            if (sparse) {
              ids = t.rank() == p.rank() ? o.squeeze(t, -1) : t;
              ids = o.cast(ids, DType.INT32);
            } else {
              ids = o.argmax(t, -1);
            }
            // The label is in the top k when fewer than k classes score strictly higher.
            Value labelScore = o.sum(o.mul(p, o.oneHot(ids, p.shape().dim(-1))), true, -1);
            Value higher = o.sum(o.toFloat(o.compare(CompareFn.GREATER, p, labelScore)), false, -1);
            return o.toFloat(o.compare(CompareFn.LESS, higher, o.scalar(k)));
          });
    }
  }

  /** {@code sqrt(mean((yPred - yTrue)^2))} over everything seen. */
  public static final class RootMeanSquaredError extends MeanMetricWrapper {
    /** The metric. */
    public RootMeanSquaredError(String name) {
      super(name, (o, t, p) -> o.square(o.sub(p, matchLabels(o, t, p))));
    }

    @Override
    protected double result(List<double[]> s) {
      return Math.sqrt(super.result(s));
    }
  }

  /** Counts of true/false positives and negatives at one threshold: the base of P, R and F1. */
  abstract static class Confusion extends Metric {
    final double threshold;
    dev.kiln.api.layers.Weight tp;
    dev.kiln.api.layers.Weight fp;
    dev.kiln.api.layers.Weight fn;

    Confusion(String name, double threshold) {
      super(name);
      this.threshold = threshold;
      tp = addState("true_positives");
      fp = addState("false_positives");
      fn = addState("false_negatives");
    }

    @Override
    protected void updateState(Ops o, Value t, Value p, Value sw) {
      Value tt = o.toFloat(matchLabels(o, t, p));
      Value pred = o.toFloat(o.greater(p, threshold));
      Value w = weightsFor(o, pred, sw);
      Value pos = o.mul(tt, w);
      Value neg = o.mul(o.sub(1, tt), w);
      o.assign(tp, o.add(o.read(tp), o.sumAll(o.mul(pred, pos))));
      o.assign(fp, o.add(o.read(fp), o.sumAll(o.mul(pred, neg))));
      o.assign(fn, o.add(o.read(fn), o.sumAll(o.mul(o.sub(1, pred), pos))));
    }
  }

  /** {@code tp / (tp + fp)} at threshold 0.5. */
  public static final class Precision extends Confusion {
    /** The metric. */
    public Precision(String name) {
      super(name, 0.5);
    }

    @Override
    protected double result(List<double[]> s) {
      double d = s.get(0)[0] + s.get(1)[0];
      return d == 0 ? 0 : s.get(0)[0] / d;
    }
  }

  /** {@code tp / (tp + fn)} at threshold 0.5. */
  public static final class Recall extends Confusion {
    /** The metric. */
    public Recall(String name) {
      super(name, 0.5);
    }

    @Override
    protected double result(List<double[]> s) {
      double d = s.get(0)[0] + s.get(2)[0];
      return d == 0 ? 0 : s.get(0)[0] / d;
    }
  }

  /**
   * The F1 score per class, averaged: {@code "micro"} (global counts), {@code "macro"} (mean of the
   * classes), {@code "weighted"} (by support). Without a threshold the largest prediction of each
   * row is the positive class, as Keras's.
   */
  public static final class F1Score extends Metric {
    private final String average;
    private final Double threshold;
    private dev.kiln.api.layers.Weight tp;
    private dev.kiln.api.layers.Weight fp;
    private dev.kiln.api.layers.Weight fn;

    /** F1 with this averaging and threshold (null: argmax). */
    public F1Score(String name, String average, Double threshold) {
      super(name);
      if (average != null
          && !average.equals("micro")
          && !average.equals("macro")
          && !average.equals("weighted")) {
        throw new IllegalArgumentException(
            "Invalid `average` argument value. Expected one of: {None, 'micro', 'macro',"
                + " 'weighted'}. Received: average="
                + average);
      }
      this.average = average;
      this.threshold = threshold;
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
   * Area under the ROC (or precision-recall) curve from confusion counts at {@code numThresholds}
   * evenly spaced thresholds in [0, 1], summed by the trapezoid rule (ROC) or Davis-Goadrich
   * interpolation (PR), as Keras's AUC.
   */
  public static final class Auc extends Metric {
    private final int numThresholds;
    private final String curve;
    private final double[] thresholds;
    private dev.kiln.api.layers.Weight tp;
    private dev.kiln.api.layers.Weight fp;
    private dev.kiln.api.layers.Weight tn;
    private dev.kiln.api.layers.Weight fn;

    /** AUC with these thresholds and curve ({@code ROC} or {@code PR}). */
    public Auc(String name, int numThresholds, String curve) {
      super(name);
      if (numThresholds <= 1) {
        throw new IllegalArgumentException(
            "Argument `num_thresholds` must be an integer > 1. Received: num_thresholds="
                + numThresholds);
      }
      this.numThresholds = numThresholds;
      this.curve = curve;
      this.thresholds = new double[numThresholds];
      double eps = 1e-7;
      for (int i = 0; i < numThresholds; i++) {
        thresholds[i] = (double) i / (numThresholds - 1);
      }
      thresholds[0] = -eps;
      thresholds[numThresholds - 1] = 1 + eps;
      tp = addState("true_positives", numThresholds);
      fp = addState("false_positives", numThresholds);
      tn = addState("true_negatives", numThresholds);
      fn = addState("false_negatives", numThresholds);
    }

    @Override
    protected void updateState(Ops o, Value t, Value p, Value sw) {
      float[] th = new float[numThresholds];
      for (int i = 0; i < th.length; i++) {
        th[i] = (float) thresholds[i];
      }
      Value flatP = o.reshape(o.toFloat(p), -1, 1);
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
      int n = numThresholds;
      double area = 0;
      if (curve.equals("PR")) {
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

  /** The coefficient of determination {@code 1 - SS_res / SS_tot} over everything seen. */
  public static final class R2Score extends Metric {
    private dev.kiln.api.layers.Weight sum;
    private dev.kiln.api.layers.Weight squares;
    private dev.kiln.api.layers.Weight residual;
    private dev.kiln.api.layers.Weight count;

    /** The metric (uniform average over outputs). */
    public R2Score(String name) {
      super(name);
    }

    @Override
    protected void build(Shape t, Shape p) {
      int k = p.rank() < 2 ? 1 : p.dim(-1);
      sum = addState("sum", k);
      squares = addState("squared_sum", k);
      residual = addState("total_mse", k);
      count = addState("count", k);
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
    }

    @Override
    protected double result(List<double[]> s) {
      double total = 0;
      int k = s.get(0).length;
      for (int i = 0; i < k; i++) {
        double n = s.get(3)[i];
        double mean = s.get(0)[i] / n;
        double ssTot = s.get(1)[i] - n * mean * mean;
        double ssRes = s.get(2)[i];
        total += ssTot == 0 ? 0 : 1 - ssRes / ssTot;
      }
      return total / k;
    }
  }
}
