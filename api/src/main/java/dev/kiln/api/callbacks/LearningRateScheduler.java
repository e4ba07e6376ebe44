package dev.kiln.api.callbacks;

import java.util.Map;

/** Sets the learning rate at the start of each epoch from {@code schedule(epoch, currentLr)}. */
public final class LearningRateScheduler extends Callback {
  /** The schedule: epoch (0-based) and current learning rate to the new one. */
  @FunctionalInterface
  public interface Schedule {
    /** The learning rate for {@code epoch}. */
    double apply(int epoch, double lr);
  }

  private final Schedule schedule;

  /** A scheduler. */
  public LearningRateScheduler(Schedule schedule) {
    this.schedule = schedule;
  }

  @Override
  public void onEpochBegin(int epoch, Map<String, Double> logs) {
    double lr = schedule.apply(epoch, model.optimizer().learningRate());
    if (!Double.isFinite(lr)) {
      throw new IllegalArgumentException(
          "The output of the `schedule` function should be a float. Got: " + lr);
    }
    model.optimizer().setLearningRate(lr);
  }

  @Override
  public void onEpochEnd(int epoch, Map<String, Double> logs) {
    logs.put("learning_rate", model.optimizer().learningRate());
  }
}
