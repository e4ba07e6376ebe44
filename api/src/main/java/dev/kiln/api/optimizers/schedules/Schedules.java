package dev.kiln.api.optimizers.schedules;

import dev.kiln.api.KilnException;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.ArgumentException;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Keras's learning-rate schedules with Keras's formulas, arguments and configs: as classes ({@link
 * ExponentialDecay}, ...), factory methods, and by class name through the {@link Registry}.
 *
 * {@snippet :
 * Adam adam = new Adam(Schedules.exponentialDecay(1e-3, 1000, 0.9, false));
 * LearningRateSchedule s = Schedules.deserialize(
 *     Map.of("class_name", "CosineDecay", "config", Map.of("initial_learning_rate", 0.1, "decay_steps", 100)));
 * }
 */
public final class Schedules {
  private Schedules() {}

  // ---------------------------------------------------------------- by name and config

  /**
   * The schedule of this class name with this Keras config, every value checked.
   *
   * @throws KilnException for an unknown name
   * @throws ArgumentException for a config the class does not take, or a missing required value
   */
  public static LearningRateSchedule fromConfig(String name, Map<String, Object> config) {
    return Registry.fromConfig(Kind.SCHEDULE, name, config);
  }

  /**
   * The schedule a config names: a {@code {"class_name", "config"}} map, or a schedule (returned as
   * it is); null stays null.
   *
   * @throws KilnException for an unknown class or anything else
   */
  public static LearningRateSchedule deserialize(Object spec) {
    return Registry.deserialize(Kind.SCHEDULE, spec);
  }

  /** Keras's serialized form: {@code {"module", "class_name", "config", "registered_name"}}. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> serialize(LearningRateSchedule s) {
    return (Map<String, Object>) Registry.write(Kind.SCHEDULE, s);
  }

  // ---------------------------------------------------------------- factories

  /** {@code initial * rate^(step / decaySteps)}, the exponent floored when {@code staircase}. */
  public static LearningRateSchedule exponentialDecay(
      double initial, long decaySteps, double rate, boolean staircase) {
    return new ExponentialDecay(initial, decaySteps, rate, staircase);
  }

  /**
   * {@code values[0]} up to and including {@code boundaries[0]}, {@code values[1]} up to {@code
   * boundaries[1]}, ..., the last value after the last boundary.
   *
   * @throws IllegalArgumentException unless there is one more value than boundaries
   */
  public static LearningRateSchedule piecewiseConstantDecay(long[] boundaries, double[] values) {
    return new PiecewiseConstantDecay(boundaries, values);
  }

  /**
   * {@code (initial - end) * (1 - step / decaySteps)^power + end}, the step capped at {@code
   * decaySteps}; with {@code cycle}, the horizon grows to the next multiple of {@code decaySteps}.
   */
  public static LearningRateSchedule polynomialDecay(
      double initial, long decaySteps, double end, double power, boolean cycle) {
    return new PolynomialDecay(initial, decaySteps, end, power, cycle);
  }

  /** {@code initial / (1 + rate * step / decaySteps)}, the ratio floored when {@code staircase}. */
  public static LearningRateSchedule inverseTimeDecay(
      double initial, long decaySteps, double rate, boolean staircase) {
    return new InverseTimeDecay(initial, decaySteps, rate, staircase);
  }

  /**
   * Cosine decay from {@code initial} to {@code alpha * initial} over {@code decaySteps}, with an
   * optional linear warmup from {@code initial} to {@code warmupTarget} over {@code warmupSteps}
   * first (then decaying from the target).
   */
  public static LearningRateSchedule cosineDecay(
      double initial, long decaySteps, double alpha, Double warmupTarget, long warmupSteps) {
    return new CosineDecay(initial, decaySteps, alpha, warmupTarget, warmupSteps);
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
    return new CosineDecayRestarts(initial, firstDecaySteps, tMul, mMul, alpha);
  }

  // ---------------------------------------------------------------- arguments

  /** A step count {@code > 0} (a whole number, also when written as {@code 10.0}). */
  static Arg<Long> steps(String key) {
    return Arg.of(key, "an integer > 0", null, Schedules::readLong, v -> v)
        .checked("an integer > 0", v -> v > 0)
        .schema(Map.of("type", "integer", "minimum", 1));
  }

  /** A learning rate, {@code >= 0}. */
  static Arg<Double> rate(String key) {
    return Arg.nonNegative(key, null);
  }

  private static Long readLong(Object v) {
    if (!(v instanceof Number n) || v instanceof Boolean) {
      return null;
    }
    double d = n.doubleValue();
    if (d != Math.rint(d) || Math.abs(d) > 9.007199254740992e15) {
      throw new IllegalArgumentException("not an integer");
    }
    return n instanceof Double || n instanceof Float ? (long) d : n.longValue();
  }

  private static long[] readLongs(Object v) {
    if (v instanceof long[] a) {
      return a.clone();
    }
    if (!(v instanceof List<?> list)) {
      return null;
    }
    long[] out = new long[list.size()];
    for (int i = 0; i < out.length; i++) {
      Long x = readLong(list.get(i));
      if (x == null) {
        return null;
      }
      out[i] = x;
    }
    return out;
  }

  private static double[] readDoubles(Object v) {
    if (v instanceof double[] a) {
      return a.clone();
    }
    if (!(v instanceof List<?> list)) {
      return null;
    }
    double[] out = new double[list.size()];
    for (int i = 0; i < out.length; i++) {
      if (!(list.get(i) instanceof Number n) || list.get(i) instanceof Boolean) {
        return null;
      }
      out[i] = n.doubleValue();
    }
    return out;
  }

  private static Object writeLongs(long[] a) {
    List<Object> out = new ArrayList<>();
    for (long x : a) {
      out.add(x);
    }
    return out;
  }

  private static Object writeDoubles(double[] a) {
    List<Object> out = new ArrayList<>();
    for (double x : a) {
      out.add(x);
    }
    return out;
  }

  // ---------------------------------------------------------------- the classes

  /**
   * A schedule with declared Keras arguments: the base of the built-in ones and of users' own
   * registered ones. Its config is its arguments.
   */
  public abstract static class Declared extends dev.kiln.api.registry.Declared
      implements LearningRateSchedule {
    /** A schedule with the defaults of {@code keras}. */
    protected Declared(KerasClass<?> keras) {
      super(keras);
    }

    @Override
    public Map<String, Object> config() {
      return getConfig();
    }
  }

  /** {@code initial * rate^(step / decaySteps)}, the exponent floored when {@code staircase}. */
  public static final class ExponentialDecay extends Declared {
    /** The rate at step 0. */
    public static final Arg<Double> INITIAL_LEARNING_RATE =
        rate("initial_learning_rate").required();

    /** The steps over which the rate is multiplied by {@code decay_rate}. */
    public static final Arg<Long> DECAY_STEPS = steps("decay_steps").required();

    /** The factor per {@code decay_steps}. */
    public static final Arg<Double> DECAY_RATE = Arg.number("decay_rate", null).required();

    /** Whether the exponent is floored. */
    public static final Arg<Boolean> STAIRCASE = Arg.bool("staircase", false);

    /** The name. */
    public static final Arg<String> NAME = Arg.string("name", "ExponentialDecay");

    /** Keras's {@code ExponentialDecay}. */
    public static final KerasClass<ExponentialDecay> KERAS =
        KerasClass.of(
            Kind.SCHEDULE,
            "ExponentialDecay",
            ExponentialDecay.class,
            a ->
                new ExponentialDecay(
                    a.get(INITIAL_LEARNING_RATE),
                    a.get(DECAY_STEPS),
                    a.get(DECAY_RATE),
                    a.get(STAIRCASE)),
            INITIAL_LEARNING_RATE,
            DECAY_STEPS,
            DECAY_RATE,
            STAIRCASE,
            NAME);

    /**
     * The schedule.
     *
     * @throws IllegalArgumentException for decaySteps <= 0 or a negative initial rate
     */
    public ExponentialDecay(double initial, long decaySteps, double rate, boolean staircase) {
      super(KERAS);
      args()
          .set(INITIAL_LEARNING_RATE, initial)
          .set(DECAY_STEPS, decaySteps)
          .set(DECAY_RATE, rate)
          .set(STAIRCASE, staircase);
    }

    @Override
    public double at(long step) {
      double p = (double) step / args().get(DECAY_STEPS);
      double e = args().get(STAIRCASE) ? Math.floor(p) : p;
      return args().get(INITIAL_LEARNING_RATE) * Math.pow(args().get(DECAY_RATE), e);
    }
  }

  /**
   * {@code values[0]} up to and including {@code boundaries[0]}, {@code values[1]} up to {@code
   * boundaries[1]}, ..., the last value after the last boundary.
   */
  public static final class PiecewiseConstantDecay extends Declared {
    /** The steps where the value changes, increasing. */
    public static final Arg<long[]> BOUNDARIES =
        Arg.of(
                "boundaries",
                "a list of integers",
                null,
                Schedules::readLongs,
                Schedules::writeLongs)
            .schema(Map.of("type", "array", "items", Map.of("type", "integer")))
            .required();

    /** The values, one more than the boundaries. */
    public static final Arg<double[]> VALUES =
        Arg.of("values", "a list of numbers", null, Schedules::readDoubles, Schedules::writeDoubles)
            .schema(Map.of("type", "array", "items", Map.of("type", "number")))
            .required();

    /** The name. */
    public static final Arg<String> NAME = Arg.string("name", "PiecewiseConstant");

    /** Keras's {@code PiecewiseConstantDecay}. */
    public static final KerasClass<PiecewiseConstantDecay> KERAS =
        KerasClass.of(
            Kind.SCHEDULE,
            "PiecewiseConstantDecay",
            PiecewiseConstantDecay.class,
            a -> new PiecewiseConstantDecay(a.get(BOUNDARIES), a.get(VALUES)),
            BOUNDARIES,
            VALUES,
            NAME);

    /**
     * The schedule.
     *
     * @throws IllegalArgumentException unless there is one more value than boundaries
     */
    public PiecewiseConstantDecay(long[] boundaries, double[] values) {
      super(KERAS);
      if (values.length != boundaries.length + 1) {
        throw new ArgumentException(
            "learning rate schedule 'PiecewiseConstantDecay': the length of boundaries should be"
                + " 1 less than the length of values. Received: boundaries="
                + Arrays.toString(boundaries)
                + ", values="
                + Arrays.toString(values));
      }
      args().set(BOUNDARIES, boundaries.clone()).set(VALUES, values.clone());
    }

    @Override
    public double at(long step) {
      long[] boundaries = args().get(BOUNDARIES);
      double[] values = args().get(VALUES);
      for (int i = 0; i < boundaries.length; i++) {
        if (step <= boundaries[i]) {
          return values[i];
        }
      }
      return values[values.length - 1];
    }
  }

  /**
   * {@code (initial - end) * (1 - step / decaySteps)^power + end}, the step capped at {@code
   * decaySteps}; with {@code cycle}, the horizon grows to the next multiple of {@code decaySteps}.
   */
  public static final class PolynomialDecay extends Declared {
    /** The rate at step 0. */
    public static final Arg<Double> INITIAL_LEARNING_RATE =
        rate("initial_learning_rate").required();

    /** The steps to reach {@code end_learning_rate}. */
    public static final Arg<Long> DECAY_STEPS = steps("decay_steps").required();

    /** The final rate (default 0.0001). */
    public static final Arg<Double> END_LEARNING_RATE = rate("end_learning_rate").defaultTo(0.0001);

    /** The polynomial's power (default 1: linear). */
    public static final Arg<Double> POWER = Arg.number("power", 1.0);

    /** Whether the decay restarts past {@code decay_steps}. */
    public static final Arg<Boolean> CYCLE = Arg.bool("cycle", false);

    /** The name. */
    public static final Arg<String> NAME = Arg.string("name", "PolynomialDecay");

    /** Keras's {@code PolynomialDecay}. */
    public static final KerasClass<PolynomialDecay> KERAS =
        KerasClass.of(
            Kind.SCHEDULE,
            "PolynomialDecay",
            PolynomialDecay.class,
            a ->
                new PolynomialDecay(
                    a.get(INITIAL_LEARNING_RATE),
                    a.get(DECAY_STEPS),
                    a.get(END_LEARNING_RATE),
                    a.get(POWER),
                    a.get(CYCLE)),
            INITIAL_LEARNING_RATE,
            DECAY_STEPS,
            END_LEARNING_RATE,
            POWER,
            CYCLE,
            NAME);

    /**
     * The schedule.
     *
     * @throws IllegalArgumentException for decaySteps <= 0 or negative rates
     */
    public PolynomialDecay(
        double initial, long decaySteps, double end, double power, boolean cycle) {
      super(KERAS);
      args()
          .set(INITIAL_LEARNING_RATE, initial)
          .set(DECAY_STEPS, decaySteps)
          .set(END_LEARNING_RATE, end)
          .set(POWER, power)
          .set(CYCLE, cycle);
    }

    @Override
    public double at(long s) {
      long decaySteps = args().get(DECAY_STEPS);
      double initial = args().get(INITIAL_LEARNING_RATE);
      double end = args().get(END_LEARNING_RATE);
      double steps = decaySteps;
      double step = s;
      if (args().get(CYCLE)) {
        double mult = s == 0 ? 1 : Math.ceil(step / decaySteps);
        steps = decaySteps * mult;
      } else {
        step = Math.min(step, decaySteps);
      }
      return (initial - end) * Math.pow(1 - step / steps, args().get(POWER)) + end;
    }
  }

  /** {@code initial / (1 + rate * step / decaySteps)}, the ratio floored when {@code staircase}. */
  public static final class InverseTimeDecay extends Declared {
    /** The rate at step 0. */
    public static final Arg<Double> INITIAL_LEARNING_RATE =
        rate("initial_learning_rate").required();

    /** The steps per unit of decay. */
    public static final Arg<Long> DECAY_STEPS = steps("decay_steps").required();

    /** The decay per {@code decay_steps}. */
    public static final Arg<Double> DECAY_RATE = Arg.number("decay_rate", null).required();

    /** Whether the ratio is floored. */
    public static final Arg<Boolean> STAIRCASE = Arg.bool("staircase", false);

    /** The name. */
    public static final Arg<String> NAME = Arg.string("name", "InverseTimeDecay");

    /** Keras's {@code InverseTimeDecay}. */
    public static final KerasClass<InverseTimeDecay> KERAS =
        KerasClass.of(
            Kind.SCHEDULE,
            "InverseTimeDecay",
            InverseTimeDecay.class,
            a ->
                new InverseTimeDecay(
                    a.get(INITIAL_LEARNING_RATE),
                    a.get(DECAY_STEPS),
                    a.get(DECAY_RATE),
                    a.get(STAIRCASE)),
            INITIAL_LEARNING_RATE,
            DECAY_STEPS,
            DECAY_RATE,
            STAIRCASE,
            NAME);

    /**
     * The schedule.
     *
     * @throws IllegalArgumentException for decaySteps <= 0 or a negative initial rate
     */
    public InverseTimeDecay(double initial, long decaySteps, double rate, boolean staircase) {
      super(KERAS);
      args()
          .set(INITIAL_LEARNING_RATE, initial)
          .set(DECAY_STEPS, decaySteps)
          .set(DECAY_RATE, rate)
          .set(STAIRCASE, staircase);
    }

    @Override
    public double at(long step) {
      double p = (double) step / args().get(DECAY_STEPS);
      double ratio = args().get(STAIRCASE) ? Math.floor(p) : p;
      return args().get(INITIAL_LEARNING_RATE) / (1 + args().get(DECAY_RATE) * ratio);
    }
  }

  /**
   * Cosine decay from {@code initial} to {@code alpha * initial} over {@code decaySteps}, with an
   * optional linear warmup from {@code initial} to {@code warmupTarget} over {@code warmupSteps}
   * first (then decaying from the target).
   */
  public static final class CosineDecay extends Declared {
    /** The rate at step 0. */
    public static final Arg<Double> INITIAL_LEARNING_RATE =
        rate("initial_learning_rate").required();

    /** The steps of the decay. */
    public static final Arg<Long> DECAY_STEPS = steps("decay_steps").required();

    /** The final rate as a fraction of the initial one (default 0). */
    public static final Arg<Double> ALPHA = Arg.number("alpha", 0.0);

    /** The name. */
    public static final Arg<String> NAME = Arg.string("name", "CosineDecay");

    /** The rate at the end of the warmup, or null for none. */
    public static final Arg<Double> WARMUP_TARGET = rate("warmup_target");

    /** The steps of the warmup. */
    public static final Arg<Long> WARMUP_STEPS =
        Arg.of("warmup_steps", "an integer >= 0", 0L, Schedules::readLong, v -> v)
            .checked("an integer >= 0", v -> v >= 0)
            .schema(Map.of("type", "integer", "minimum", 0));

    /** Keras's {@code CosineDecay}. */
    public static final KerasClass<CosineDecay> KERAS =
        KerasClass.of(
            Kind.SCHEDULE,
            "CosineDecay",
            CosineDecay.class,
            a ->
                new CosineDecay(
                    a.get(INITIAL_LEARNING_RATE),
                    a.get(DECAY_STEPS),
                    a.get(ALPHA),
                    a.get(WARMUP_TARGET),
                    a.get(WARMUP_STEPS)),
            INITIAL_LEARNING_RATE,
            DECAY_STEPS,
            ALPHA,
            NAME,
            WARMUP_TARGET,
            WARMUP_STEPS);

    /**
     * The schedule.
     *
     * @throws IllegalArgumentException for decaySteps <= 0, negative rates or warmup steps
     */
    public CosineDecay(
        double initial, long decaySteps, double alpha, Double warmupTarget, long warmupSteps) {
      super(KERAS);
      args()
          .set(INITIAL_LEARNING_RATE, initial)
          .set(DECAY_STEPS, decaySteps)
          .set(ALPHA, alpha)
          .set(WARMUP_TARGET, warmupTarget)
          .set(WARMUP_STEPS, warmupSteps);
    }

    @Override
    public double at(long s) {
      double initial = args().get(INITIAL_LEARNING_RATE);
      long decaySteps = args().get(DECAY_STEPS);
      double alpha = args().get(ALPHA);
      Double warmupTarget = args().get(WARMUP_TARGET);
      long warmupSteps = args().get(WARMUP_STEPS);
      if (warmupTarget != null && s < warmupSteps) {
        return initial + (warmupTarget - initial) * ((double) s / warmupSteps);
      }
      double from = warmupTarget == null ? initial : warmupTarget;
      double step = Math.min(s - (warmupTarget == null ? 0 : warmupSteps), decaySteps);
      double cosine = 0.5 * (1 + Math.cos(Math.PI * step / decaySteps));
      return from * ((1 - alpha) * cosine + alpha);
    }
  }

  /**
   * Cosine decay with warm restarts (SGDR): periods of {@code firstDecaySteps}, each {@code tMul}
   * times longer than the last and starting from {@code mMul} times the last peak.
   */
  public static final class CosineDecayRestarts extends Declared {
    /** The rate at step 0. */
    public static final Arg<Double> INITIAL_LEARNING_RATE =
        rate("initial_learning_rate").required();

    /** The steps of the first period. */
    public static final Arg<Long> FIRST_DECAY_STEPS = steps("first_decay_steps").required();

    /** How much longer each period is than the last (default 2). */
    public static final Arg<Double> T_MUL = Arg.positive("t_mul", 2.0);

    /** The factor on each period's peak (default 1). */
    public static final Arg<Double> M_MUL = Arg.nonNegative("m_mul", 1.0);

    /** The final rate of each period as a fraction of its peak (default 0). */
    public static final Arg<Double> ALPHA = Arg.number("alpha", 0.0);

    /** The name. */
    public static final Arg<String> NAME = Arg.string("name", "SGDRDecay");

    /** Keras's {@code CosineDecayRestarts}. */
    public static final KerasClass<CosineDecayRestarts> KERAS =
        KerasClass.of(
            Kind.SCHEDULE,
            "CosineDecayRestarts",
            CosineDecayRestarts.class,
            a ->
                new CosineDecayRestarts(
                    a.get(INITIAL_LEARNING_RATE),
                    a.get(FIRST_DECAY_STEPS),
                    a.get(T_MUL),
                    a.get(M_MUL),
                    a.get(ALPHA)),
            INITIAL_LEARNING_RATE,
            FIRST_DECAY_STEPS,
            T_MUL,
            M_MUL,
            ALPHA,
            NAME);

    /**
     * The schedule.
     *
     * @throws IllegalArgumentException for firstDecaySteps <= 0, tMul <= 0 or negative rates
     */
    public CosineDecayRestarts(
        double initial, long firstDecaySteps, double tMul, double mMul, double alpha) {
      super(KERAS);
      args()
          .set(INITIAL_LEARNING_RATE, initial)
          .set(FIRST_DECAY_STEPS, firstDecaySteps)
          .set(T_MUL, tMul)
          .set(M_MUL, mMul)
          .set(ALPHA, alpha);
    }

    @Override
    public double at(long s) {
      double tMul = args().get(T_MUL);
      double fraction = (double) s / args().get(FIRST_DECAY_STEPS);
      double restart;
      if (tMul == 1.0) {
        restart = Math.floor(fraction);
        fraction -= restart;
      } else {
        restart = Math.floor(Math.log(1 - fraction * (1 - tMul)) / Math.log(tMul));
        double sumR = (1 - Math.pow(tMul, restart)) / (1 - tMul);
        fraction = (fraction - sumR) / Math.pow(tMul, restart);
      }
      double alpha = args().get(ALPHA);
      double mFac = Math.pow(args().get(M_MUL), restart);
      double cosine = 0.5 * mFac * (1 + Math.cos(Math.PI * fraction));
      return args().get(INITIAL_LEARNING_RATE) * ((1 - alpha) * cosine + alpha);
    }
  }
}
