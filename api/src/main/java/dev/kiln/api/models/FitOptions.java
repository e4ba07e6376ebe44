package dev.kiln.api.models;

import dev.kiln.api.Tensor;
import dev.kiln.api.callbacks.Callback;
import dev.kiln.api.data.Dataset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The keyword arguments of {@code fit}, {@code evaluate} and {@code predict}, with Keras's defaults
 * (batch size 32, 1 epoch, shuffle on, verbose 1). The calls only read it, so one instance can be
 * passed to many of them.
 *
 * {@snippet :
 * model.fit(x, y, new FitOptions().epochs(10).batchSize(128).validationSplit(0.1));
 * }
 */
public final class FitOptions {
  int epochs = 1;
  int batchSize = 32;
  int initialEpoch;
  int stepsPerEpoch = -1;
  int verbose = 1;
  boolean shuffle = true;
  Long seed;
  double validationSplit;
  Dataset validationData;
  List<Tensor> validationX;
  List<Tensor> validationY;
  Tensor sampleWeight;
  Map<Integer, Double> classWeight;
  final List<Callback> callbacks = new ArrayList<>();

  /** Number of epochs (default 1). */
  public FitOptions epochs(int n) {
    this.epochs = n;
    return this;
  }

  /** Samples per batch when fitting arrays (default 32). */
  public FitOptions batchSize(int n) {
    if (n <= 0) {
      throw new IllegalArgumentException("batch_size must be positive. Received: batch_size=" + n);
    }
    this.batchSize = n;
    return this;
  }

  /** The epoch to start at (for resuming); epochs counts from 0 still. */
  public FitOptions initialEpoch(int n) {
    this.initialEpoch = n;
    return this;
  }

  /** Batches per epoch; the dataset's iterator continues across epochs when set. */
  public FitOptions stepsPerEpoch(int n) {
    this.stepsPerEpoch = n;
    return this;
  }

  /** 0 silent, 1 progress bar, 2 one line per epoch. */
  public FitOptions verbose(int v) {
    this.verbose = v;
    return this;
  }

  /** Whether to shuffle arrays before each epoch (default true). */
  public FitOptions shuffle(boolean s) {
    this.shuffle = s;
    return this;
  }

  /** The shuffle seed (default: from {@code Kiln.setRandomSeed}). */
  public FitOptions seed(long s) {
    this.seed = s;
    return this;
  }

  /** Holds out the last fraction of the arrays (before shuffling) for validation. */
  public FitOptions validationSplit(double f) {
    if (f < 0 || f >= 1) {
      throw new IllegalArgumentException(
          "validation_split must be in [0, 1). Received: validation_split=" + f);
    }
    this.validationSplit = f;
    return this;
  }

  /** Validation batches evaluated after each epoch. */
  public FitOptions validationData(Dataset d) {
    this.validationData = d;
    return this;
  }

  /** Validation arrays (one input, one target) evaluated after each epoch. */
  public FitOptions validationData(Tensor x, Tensor y) {
    return validationData(List.of(x), List.of(y));
  }

  /** Validation arrays, one per input and one per output, evaluated after each epoch. */
  public FitOptions validationData(List<Tensor> x, List<Tensor> y) {
    this.validationX = List.copyOf(x);
    this.validationY = List.copyOf(y);
    return this;
  }

  /** Per-sample weights for array training. */
  public FitOptions sampleWeight(Tensor w) {
    this.sampleWeight = w;
    return this;
  }

  /** Weights per class id, turned into sample weights from the labels. */
  public FitOptions classWeight(Map<Integer, Double> w) {
    this.classWeight = w;
    return this;
  }

  /** Adds callbacks. */
  public FitOptions callbacks(Callback... cs) {
    callbacks.addAll(List.of(cs));
    return this;
  }
}
