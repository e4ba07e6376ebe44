package dev.kiln.api.optimizers.schedules;

import java.util.Map;

/**
 * A learning rate as a function of the optimizer's step count (0 on the first update), as Keras's
 * {@code LearningRateSchedule}. The optimizer evaluates it before each step. The built-in ones
 * ({@link Schedules}) carry their Keras arguments ({@link Schedules.Declared}).
 */
public interface LearningRateSchedule {
  /** The learning rate at {@code step}. */
  double at(long step);

  /** Keras's class name. */
  String className();

  /** The arguments with Keras's keys. */
  Map<String, Object> config();
}
