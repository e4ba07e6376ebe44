package dev.kiln.api.callbacks;

import dev.kiln.api.models.Model;
import java.util.Map;

/**
 * Hooks into {@code fit}, {@code evaluate} and {@code predict}, as Keras's {@code Callback}. Logs
 * map metric names ({@code loss}, {@code accuracy}, {@code val_loss}) to values; epoch logs hold
 * the epoch's averages, batch logs the running averages so far.
 */
public abstract class Callback {
  /** The model being trained; set before {@link #onTrainBegin}. */
  protected Model model;

  /** Set by the training loop. */
  public void setModel(Model m) {
    this.model = m;
  }

  /** Before the first epoch. */
  public void onTrainBegin(Map<String, Double> logs) {}

  /** After the last epoch. */
  public void onTrainEnd(Map<String, Double> logs) {}

  /** Before each epoch (0-based). */
  public void onEpochBegin(int epoch, Map<String, Double> logs) {}

  /** After each epoch, with the training and validation results. */
  public void onEpochEnd(int epoch, Map<String, Double> logs) {}

  /** Before each training batch. */
  public void onTrainBatchBegin(int batch, Map<String, Double> logs) {}

  /** After each training batch; {@code logs} has at least {@code loss} for this batch. */
  public void onTrainBatchEnd(int batch, Map<String, Double> logs) {}

  /** Before evaluation. */
  public void onTestBegin(Map<String, Double> logs) {}

  /** After evaluation, with its results. */
  public void onTestEnd(Map<String, Double> logs) {}

  /** After each evaluation batch. */
  public void onTestBatchEnd(int batch, Map<String, Double> logs) {}

  /** Before prediction. */
  public void onPredictBegin(Map<String, Double> logs) {}

  /** After prediction. */
  public void onPredictEnd(Map<String, Double> logs) {}

  /** Whether this callback wants the running metric values after each batch (costs a read). */
  public boolean needsBatchMetrics() {
    return false;
  }
}
