package dev.kiln.api.optimizers;

import dev.kiln.api.optimizers.schedules.LearningRateSchedule;
import dev.kiln.api.registry.KerasClass;

/** Adam with decoupled weight decay (default 0.004, and never null), as Keras's AdamW. */
public final class AdamW extends Adam {
  /** Keras's {@code AdamW}. */
  public static final KerasClass<AdamW> KERAS =
      declare(
              "AdamW",
              AdamW.class,
              a -> new AdamW(),
              0.001,
              0.004,
              BETA_1,
              BETA_2,
              EPSILON,
              AMSGRAD)
          .aliases("adamw");

  /** AdamW with Keras's defaults (lr 0.001, weight decay 0.004). */
  public AdamW() {
    super("adamw", KERAS);
  }

  /**
   * AdamW with this learning rate and weight decay.
   *
   * @throws IllegalArgumentException for a negative learning rate or weight decay
   */
  public AdamW(double learningRate, double weightDecay) {
    this();
    setLearningRate(learningRate);
    weightDecay(weightDecay);
  }

  /** AdamW on a schedule, with weight decay 0.004. */
  public AdamW(LearningRateSchedule schedule) {
    this();
    setLearningRate(schedule);
  }
}
