package dev.kiln.api.optimizers.schedules;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongToDoubleFunction;

/**
 * Keras's learning-rate schedules with Keras's formulas.
 *
 * {@snippet :
 * Adam adam = new Adam(Schedules.exponentialDecay(1e-3, 1000, 0.9, false));
 * }
 */
public final class Schedules {
  private Schedules() {}

  private record Fn(String className, Map<String, Object> config, LongToDoubleFunction f)
      implements LearningRateSchedule {
    @Override
    public double at(long step) {
      return f.applyAsDouble(step);
    }
  }

  private static Map<String, Object> cfg(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  private static void positive(String name, double v) {
    if (!(v > 0)) {
      throw new IllegalArgumentException(
          "Argument `" + name + "` must be > 0. Received: " + name + "=" + v);
    }
  }

  /** {@code initial * rate^(step / decaySteps)}, the exponent floored when {@code staircase}. */
  public static LearningRateSchedule exponentialDecay(
      double initial, long decaySteps, double rate, boolean staircase) {
    positive("decay_steps", decaySteps);
    return new Fn(
        "ExponentialDecay",
        cfg(
            "initial_learning_rate", initial,
            "decay_steps", decaySteps,
            "decay_rate", rate,
            "staircase", staircase),
        s -> {
          double p = (double) s / decaySteps;
          return initial * Math.pow(rate, staircase ? Math.floor(p) : p);
        });
  }

  /**
   * {@code values[0]} up to and including {@code boundaries[0]}, {@code values[1]} up to {@code
   * boundaries[1]}, ..., the last value after the last boundary.
   *
   * @throws IllegalArgumentException unless there is one more value than boundaries
   */
  public static LearningRateSchedule piecewiseConstantDecay(long[] boundaries, double[] values) {
    if (values.length != boundaries.length + 1) {
      throw new IllegalArgumentException(
          "The length of boundaries should be 1 less than the length of values. Received:"
              + " boundaries="
              + Arrays.toString(boundaries)
              + ", values="
              + Arrays.toString(values));
    }
    return new Fn(
        "PiecewiseConstantDecay",
        cfg(
            "boundaries", Arrays.stream(boundaries).boxed().toList(),
            "values", Arrays.stream(values).boxed().toList()),
        s -> {
          for (int i = 0; i < boundaries.length; i++) {
            if (s <= boundaries[i]) {
              return values[i];
            }
          }
          return values[values.length - 1];
        });
  }

  /**
   * {@code (initial - end) * (1 - step / decaySteps)^power + end}, the step capped at {@code
   * decaySteps}; with {@code cycle}, the horizon grows to the next multiple of {@code decaySteps}.
   */
  public static LearningRateSchedule polynomialDecay(
      double initial, long decaySteps, double end, double power, boolean cycle) {
    positive("decay_steps", decaySteps);
    return new Fn(
        "PolynomialDecay",
        cfg(
            "initial_learning_rate", initial,
            "decay_steps", decaySteps,
            "end_learning_rate", end,
            "power", power,
            "cycle", cycle),
        s -> {
          double steps = decaySteps;
          double step = s;
          if (cycle) {
            double mult = s == 0 ? 1 : Math.ceil(step / decaySteps);
            steps = decaySteps * mult;
          } else {
            step = Math.min(step, decaySteps);
          }
          return (initial - end) * Math.pow(1 - step / steps, power) + end;
        });
  }

  /** {@code initial / (1 + rate * step / decaySteps)}, the ratio floored when {@code staircase}. */
  public static LearningRateSchedule inverseTimeDecay(
      double initial, long decaySteps, double rate, boolean staircase) {
    positive("decay_steps", decaySteps);
    return new Fn(
        "InverseTimeDecay",
        cfg(
            "initial_learning_rate", initial,
            "decay_steps", decaySteps,
            "decay_rate", rate,
            "staircase", staircase),
        s -> {
          double p = (double) s / decaySteps;
          return initial / (1 + rate * (staircase ? Math.floor(p) : p));
        });
  }

  /**
   * Cosine decay from {@code initial} to {@code alpha * initial} over {@code decaySteps}, with an
   * optional linear warmup from {@code initial} to {@code warmupTarget} over {@code warmupSteps}
   * first (then decaying from the target).
   */
  public static LearningRateSchedule cosineDecay(
      double initial, long decaySteps, double alpha, Double warmupTarget, long warmupSteps) {
    return new Fn(
        "CosineDecay",
        cfg(
            "initial_learning_rate", initial,
            "decay_steps", decaySteps,
            "alpha", alpha,
            "warmup_target", warmupTarget,
            "warmup_steps", warmupSteps),
        s -> {
          if (warmupTarget != null && s < warmupSteps) {
            return initial + (warmupTarget - initial) * ((double) s / warmupSteps);
          }
          double from = warmupTarget == null ? initial : warmupTarget;
          double step = Math.min(s - (warmupTarget == null ? 0 : warmupSteps), decaySteps);
          double cosine = 0.5 * (1 + Math.cos(Math.PI * step / decaySteps));
          return from * ((1 - alpha) * cosine + alpha);
        });
  }

  /** Cosine decay without warmup. */
  public static LearningRateSchedule cosineDecay(double initial, long decaySteps, double alpha) {
    return cosineDecay(initial, decaySteps, alpha, null, 0);
  }

  /**
   * Cosine decay with warm restarts (SGDR): periods of {@code firstDecaySteps}, each {@code tMul}
   * times longer than the last and starting from {@code mMul} times the last peak.
   */
  public static LearningRateSchedule cosineDecayRestarts(
      double initial, long firstDecaySteps, double tMul, double mMul, double alpha) {
    return new Fn(
        "CosineDecayRestarts",
        cfg(
            "initial_learning_rate", initial,
            "first_decay_steps", firstDecaySteps,
            "t_mul", tMul,
            "m_mul", mMul,
            "alpha", alpha),
        s -> {
          double fraction = (double) s / firstDecaySteps;
          double restart;
          if (tMul == 1.0) {
            restart = Math.floor(fraction);
            fraction -= restart;
          } else {
            restart = Math.floor(Math.log(1 - fraction * (1 - tMul)) / Math.log(tMul));
            double sumR = (1 - Math.pow(tMul, restart)) / (1 - tMul);
            fraction = (fraction - sumR) / Math.pow(tMul, restart);
          }
          double mFac = Math.pow(mMul, restart);
          double cosine = 0.5 * mFac * (1 + Math.cos(Math.PI * fraction));
          return initial * ((1 - alpha) * cosine + alpha);
        });
  }
}
