package dev.kiln.api.losses;

import dev.kiln.api.KilnException;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A loss: per-sample values from {@link #call}, then sample weights, the mask and a reduction
 * ({@code sum_over_batch_size} by default, as Keras) in {@link #compute}.
 */
public abstract class Loss {
  private final String name;
  private String reduction = "sum_over_batch_size";

  /** A loss logged under {@code name}. */
  protected Loss(String name) {
    this.name = name;
  }

  /** The name ({@code categorical_crossentropy}). */
  public String name() {
    return name;
  }

  /** The reduction. */
  public String reduction() {
    return reduction;
  }

  /**
   * Sets the reduction: {@code sum_over_batch_size} (mean over all values), {@code sum}, {@code
   * mean_with_sample_weight} (sum divided by the sum of the weights) or {@code none}.
   *
   * @throws IllegalArgumentException for another name
   */
  public Loss reduction(String r) {
    String v = r == null ? "none" : r;
    switch (v) {
      case "sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight" -> {}
      default ->
          throw new IllegalArgumentException(
              "Invalid value for argument `reduction`. Expected one of {'sum_over_batch_size',"
                  + " 'sum', 'mean', 'mean_with_sample_weight', 'none'}. Received: reduction="
                  + r);
    }
    this.reduction = v;
    return this;
  }

  /**
   * The unreduced loss, usually one value per sample ({@code yPred}'s shape without the last axis).
   */
  public abstract Value call(Ops ops, Value yTrue, Value yPred);

  /** Keras's configuration of the loss. */
  public Map<String, Object> getConfig() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("name", name);
    c.put("reduction", reduction);
    return c;
  }

  /**
   * The reduced loss.
   *
   * @param sampleWeight per-sample weights broadcastable to the values, or null
   * @param mask a bool mask of the values' shape, or null
   * @throws KilnException if the labels do not fit the predictions
   */
  public Value compute(Ops ops, Value yTrue, Value yPred, Value sampleWeight, Value mask) {
    Value values = call(ops, yTrue, yPred);
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
