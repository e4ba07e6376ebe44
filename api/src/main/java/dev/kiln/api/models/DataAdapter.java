package dev.kiln.api.models;

import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.callbacks.Callback;
import dev.kiln.api.data.Dataset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns what {@code fit}, {@code evaluate} and {@code predict} receive (arrays or a dataset, and
 * {@link FitOptions}) into batches, as Keras's data adapters: it reads the options once into an
 * immutable {@link Plan} and never writes into them, so one {@code FitOptions} can serve many
 * calls. It also splits a dataset element into inputs, targets and sample weights.
 */
final class DataAdapter {
  private DataAdapter() {}

  /** One batch: the inputs, the targets (empty when predicting) and the sample weights or null. */
  record Batch(List<Tensor> x, List<Tensor> y, Tensor sampleWeight) {}

  /** Everything one {@code fit} call runs on, fixed before the first epoch. */
  record Plan(
      Dataset data,
      Dataset validation,
      int epochs,
      int initialEpoch,
      int stepsPerEpoch,
      int verbose,
      List<Callback> callbacks) {}

  /** The plan for training on a batched dataset. */
  static Plan forDataset(Dataset data, FitOptions o) {
    return new Plan(
        data,
        o.validationData != null ? o.validationData : validationArrays(o),
        o.epochs,
        o.initialEpoch,
        o.stepsPerEpoch,
        o.verbose,
        List.copyOf(o.callbacks));
  }

  /**
   * The plan for training on arrays: class weights turned into sample weights, the last {@code
   * validationSplit} of the rows held out, then shuffling and batching.
   *
   * @throws KilnException if the arrays have different numbers of rows
   */
  static Plan forArrays(List<Tensor> xs, List<Tensor> ys, FitOptions o) {
    int n = xs.get(0).length();
    Tensor sw = o.sampleWeight;
    if (o.classWeight != null) {
      sw = classWeights(ys.get(0), o.classWeight, sw);
    }
    List<Tensor> cols = columns(xs, ys, sw);
    for (int i = 1; i < cols.size(); i++) {
      if (cols.get(i).length() != n) {
        throw new KilnException(
            "Data cardinality is ambiguous: x has "
                + n
                + " samples but array "
                + i
                + " has "
                + cols.get(i).length()
                + ". Make sure all arrays contain the same number of samples.");
      }
    }
    Dataset validation = null;
    if (o.validationSplit > 0) {
      int at = (int) (n * (1 - o.validationSplit));
      List<Tensor> train = new ArrayList<>();
      List<Tensor> held = new ArrayList<>();
      for (Tensor c : cols) {
        train.add(c.slice(0, at));
        held.add(c.slice(at, n));
      }
      cols = train;
      validation = Dataset.fromTensors(held.toArray(Tensor[]::new)).batch(o.batchSize);
    }
    Dataset given = o.validationData != null ? o.validationData : validationArrays(o);
    Dataset data = Dataset.fromTensors(cols.toArray(Tensor[]::new));
    if (o.shuffle) {
      data = data.shuffle(n, o.seed != null ? o.seed : Kiln.nextSeed());
    }
    data = data.batch(o.batchSize);
    return new Plan(
        data,
        given != null ? given : validation,
        o.epochs,
        o.initialEpoch,
        o.stepsPerEpoch,
        o.verbose,
        List.copyOf(o.callbacks));
  }

  private static Dataset validationArrays(FitOptions o) {
    if (o.validationX == null) {
      return null;
    }
    return Dataset.fromTensors(columns(o.validationX, o.validationY, null).toArray(Tensor[]::new))
        .batch(o.batchSize);
  }

  /** Batches of arrays for {@code evaluate}, in order. */
  static Dataset evaluationData(List<Tensor> xs, List<Tensor> ys, FitOptions o) {
    return Dataset.fromTensors(columns(xs, ys, o.sampleWeight).toArray(Tensor[]::new))
        .batch(o.batchSize);
  }

  private static List<Tensor> columns(List<Tensor> xs, List<Tensor> ys, Tensor sw) {
    List<Tensor> cols = new ArrayList<>(xs);
    cols.addAll(ys);
    if (sw != null) {
      cols.add(sw);
    }
    return cols;
  }

  private static Tensor classWeights(Tensor y, Map<Integer, Double> cw, Tensor sw) {
    int[] ids = y.rank() >= 2 && y.shape().dim(-1) > 1 ? y.argmax() : y.toIntArray();
    float[] w = new float[ids.length];
    for (int i = 0; i < ids.length; i++) {
      w[i] =
          cw.getOrDefault(ids[i], 1.0).floatValue() * (sw == null ? 1f : (float) sw.getDouble(i));
    }
    return Tensor.of(w);
  }

  /**
   * Splits a dataset element into (inputs..., targets..., [sample weights]). A model that takes its
   * input count from the data ({@code inputs < 0}: a subclassed model not yet called) reads every
   * tensor but the targets as inputs.
   *
   * @throws KilnException if the element has the wrong number of tensors
   */
  static Batch split(List<Tensor> element, int inputs, int targets) {
    int n = inputs < 0 ? element.size() - targets : inputs;
    if (n < 1 || (element.size() != n + targets && element.size() != n + targets + 1)) {
      throw new KilnException(
          "each dataset element must hold "
              + (inputs < 0 ? "at least 1" : Integer.toString(inputs))
              + " input(s), "
              + targets
              + " target(s) and optionally sample weights, but it holds "
              + element.size()
              + " tensors");
    }
    return new Batch(
        element.subList(0, n),
        element.subList(n, n + targets),
        element.size() > n + targets ? element.get(n + targets) : null);
  }
}
