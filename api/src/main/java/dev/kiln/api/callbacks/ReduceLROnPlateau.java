package dev.kiln.api.callbacks;

import java.util.Map;

/**
 * Multiplies the learning rate by {@code factor} when {@code monitor} has not improved for {@code
 * patience} epochs, then waits {@code cooldown} epochs; never below {@code minLr}.
 */
public final class ReduceLROnPlateau extends Callback {
  private final String monitor;
  private final double factor;
  private final int patience;
  private final double minDelta;
  private final int cooldown;
  private final double minLr;
  private final boolean maximize;
  private double best;
  private int wait;
  private int cooldownLeft;

  /** Keras's defaults: val_loss, factor 0.1, patience 10, min_delta 1e-4, cooldown 0, min_lr 0. */
  public ReduceLROnPlateau() {
    this("val_loss", 0.1, 10, 1e-4, 0, 0);
  }

  /**
   * Full control.
   *
   * @throws IllegalArgumentException if {@code factor >= 1}
   */
  public ReduceLROnPlateau(
      String monitor, double factor, int patience, double minDelta, int cooldown, double minLr) {
    if (factor >= 1) {
      throw new IllegalArgumentException(
          "ReduceLROnPlateau does not support a factor >= 1.0. Received factor=" + factor);
    }
    this.monitor = monitor;
    this.factor = factor;
    this.patience = patience;
    this.minDelta = minDelta;
    this.cooldown = cooldown;
    this.minLr = minLr;
    this.maximize = Monitor.maximize(monitor, "auto");
  }

  @Override
  public void onTrainBegin(Map<String, Double> logs) {
    best = maximize ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    wait = 0;
    cooldownLeft = 0;
  }

  @Override
  public void onEpochEnd(int epoch, Map<String, Double> logs) {
    logs.put("learning_rate", model.optimizer().learningRate());
    Double v = Monitor.value(logs, monitor, "ReduceLROnPlateau");
    if (v == null) {
      return;
    }
    if (cooldownLeft > 0) {
      cooldownLeft--;
      wait = 0;
    }
    if (Monitor.improved(v, best, minDelta, maximize)) {
      best = v;
      wait = 0;
    } else if (cooldownLeft <= 0) {
      wait++;
      if (wait >= patience) {
        double lr = model.optimizer().learningRate();
        if (lr > minLr) {
          model.optimizer().setLearningRate(Math.max(lr * factor, minLr));
          cooldownLeft = cooldown;
          wait = 0;
        }
      }
    }
  }
}
