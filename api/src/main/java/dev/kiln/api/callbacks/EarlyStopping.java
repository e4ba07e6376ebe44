package dev.kiln.api.callbacks;

import dev.kiln.api.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Stops training when a monitored value ({@code val_loss} by default) has not improved by more than
 * {@code minDelta} for {@code patience} epochs; optionally restores the weights of the best epoch.
 * Mode {@code auto} minimizes, except for names containing {@code acc}, {@code auc}, {@code
 * precision}, {@code recall} or {@code f1}, which it maximizes.
 */
public final class EarlyStopping extends Callback {
  private final String monitor;
  private final int patience;
  private final double minDelta;
  private final boolean restoreBestWeights;
  private final int startFromEpoch;
  private boolean maximize;
  private double best;
  private int wait;
  private int bestEpoch = -1;
  private int stoppedEpoch = -1;
  private List<Tensor> bestWeights;

  /** Watches {@code monitor} with this patience, without restoring weights. */
  public EarlyStopping(String monitor, int patience) {
    this(monitor, patience, 0, "auto", false, 0);
  }

  /**
   * Full control.
   *
   * @param mode {@code min}, {@code max} or {@code auto}
   */
  public EarlyStopping(
      String monitor,
      int patience,
      double minDelta,
      String mode,
      boolean restoreBestWeights,
      int startFromEpoch) {
    this.monitor = monitor;
    this.patience = patience;
    this.minDelta = Math.abs(minDelta);
    this.restoreBestWeights = restoreBestWeights;
    this.startFromEpoch = startFromEpoch;
    this.maximize = Monitor.maximize(monitor, mode);
  }

  @Override
  public void onTrainBegin(Map<String, Double> logs) {
    wait = 0;
    best = maximize ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    bestWeights = null;
    bestEpoch = -1;
    stoppedEpoch = -1;
  }

  @Override
  public void onEpochEnd(int epoch, Map<String, Double> logs) {
    Double v = Monitor.value(logs, monitor, "EarlyStopping");
    if (v == null || epoch < startFromEpoch) {
      return;
    }
    if (restoreBestWeights && bestWeights == null) {
      bestWeights = model.getWeights();
    }
    wait++;
    if (Monitor.improved(v, best, minDelta, maximize)) {
      best = v;
      bestEpoch = epoch;
      wait = 0;
      if (restoreBestWeights) {
        bestWeights = model.getWeights();
      }
    }
    if (wait >= patience && epoch > 0) {
      stoppedEpoch = epoch;
      model.stopTraining();
      if (restoreBestWeights && bestWeights != null) {
        model.setWeights(bestWeights);
      }
    }
  }

  /** The epoch training stopped at, or -1. */
  public int stoppedEpoch() {
    return stoppedEpoch;
  }

  /** The best epoch seen, or -1. */
  public int bestEpoch() {
    return bestEpoch;
  }

  /** The best value seen. */
  public double best() {
    return best;
  }
}
