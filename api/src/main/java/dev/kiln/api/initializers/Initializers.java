package dev.kiln.api.initializers;

import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * Keras's initializers, as classes with Keras's arguments ({@link GlorotUniform}, {@link
 * VarianceScaling}, ...), factory methods, and by name through the {@link Registry} ({@code
 * "glorot_uniform"}, {@code "HeNormal"}). Unseeded ones draw from the stream {@link
 * Kiln#setRandomSeed} seeds; seeded ones give the same values on every call.
 *
 * {@snippet :
 * Initializer a = Initializers.get("he_normal");
 * Initializer b = Initializers.varianceScaling(2.0, "fan_in", "truncated_normal", 7L);
 * Initializer c = Initializers.deserialize(Map.of("class_name", "Constant", "config", Map.of("value", 3)));
 * }
 */
public final class Initializers {
  private Initializers() {}

  // The standard deviation of a unit normal truncated to [-2, 2]: dividing by it makes a
  // truncated normal's variance the requested one.
  private static final double TRUNCATED_STDDEV = 0.87962566103423978;

  // ---------------------------------------------------------------- by name and config

  /**
   * The initializer of this Keras class name or alias ({@code "he_normal"}, {@code "HeNormal"}),
   * with default arguments.
   *
   * @throws KilnException for an unknown name, naming the nearest known ones
   */
  public static Initializer get(String name) {
    return Registry.get(Kind.INITIALIZER, name);
  }

  /**
   * The initializer of this class name or alias with these Keras arguments, each checked.
   *
   * @throws KilnException for an unknown name
   * @throws dev.kiln.api.registry.ArgumentException for an argument the class does not take
   */
  public static Initializer get(String name, Map<String, Object> config) {
    return fromConfig(name, config);
  }

  /**
   * The initializer of this class name or alias with this Keras config, every value checked.
   *
   * @throws KilnException for an unknown name
   * @throws dev.kiln.api.registry.ArgumentException for an argument the class does not take
   */
  public static Initializer fromConfig(String name, Map<String, Object> config) {
    return Registry.fromConfig(Kind.INITIALIZER, name, config);
  }

  /**
   * Keras's serialized form: {@code {"module", "class_name", "config", "registered_name"}}. A
   * lambda is written with its {@link Initializer#className()} and {@link Initializer#config()}.
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> serialize(Initializer init) {
    return (Map<String, Object>) Registry.write(Kind.INITIALIZER, init);
  }

  /**
   * The initializer a config names: a name, a {@code {"class_name", "config"}} map, or an
   * initializer (returned as it is).
   *
   * @throws KilnException for an unknown class or anything else
   */
  public static Initializer deserialize(Object config) {
    return Registry.deserialize(Kind.INITIALIZER, config);
  }

  // ---------------------------------------------------------------- factories

  /** Zeros. */
  public static Initializer zeros() {
    return new Zeros();
  }

  /** Ones. */
  public static Initializer ones() {
    return new Ones();
  }

  /** A constant. */
  public static Initializer constant(double value) {
    return new Constant(value);
  }

  /** Normal with this mean and standard deviation ({@code seed} may be null). */
  public static Initializer randomNormal(double mean, double stddev, Long seed) {
    return new RandomNormal(mean, stddev, seed);
  }

  /** Uniform on {@code [minval, maxval)}. */
  public static Initializer randomUniform(double minval, double maxval, Long seed) {
    return new RandomUniform(minval, maxval, seed);
  }

  /** Normal, redrawn beyond two standard deviations. */
  public static Initializer truncatedNormal(double mean, double stddev, Long seed) {
    return new TruncatedNormal(mean, stddev, seed);
  }

  /**
   * Keras's VarianceScaling: variance {@code scale / n} where n is the fan in, fan out or their
   * mean, drawn from a truncated normal, a normal or a uniform distribution.
   *
   * @throws IllegalArgumentException for an unknown mode or distribution, or scale <= 0
   */
  public static Initializer varianceScaling(
      double scale, String mode, String distribution, Long seed) {
    return new VarianceScaling(scale, mode, distribution, seed);
  }

  /** Glorot (Xavier) uniform: the default kernel initializer of Dense and Conv. */
  public static Initializer glorotUniform() {
    return new GlorotUniform();
  }

  /** Glorot normal. */
  public static Initializer glorotNormal() {
    return new GlorotNormal();
  }

  /** He normal, for ReLU layers. */
  public static Initializer heNormal() {
    return new HeNormal();
  }

  /** He uniform. */
  public static Initializer heUniform() {
    return new HeUniform();
  }

  /** LeCun normal, for SELU layers. */
  public static Initializer lecunNormal() {
    return new LecunNormal();
  }

  /** LeCun uniform. */
  public static Initializer lecunUniform() {
    return new LecunUniform();
  }

  /**
   * An orthogonal matrix (the last axis against the rest flattened) times {@code gain}, from the QR
   * decomposition of a normal matrix with the signs of R's diagonal folded in.
   */
  public static Initializer orthogonal(double gain, Long seed) {
    return new Orthogonal(gain, seed);
  }

  /** An identity matrix times {@code gain} (rank 2 only; non-square gets ones on the diagonal). */
  public static Initializer identity(double gain) {
    return new IdentityInitializer(gain);
  }

  /** The fans of a weight shape, as Keras computes them: {@code [fanIn, fanOut]}. */
  public static double[] fans(Shape shape) {
    int r = shape.rank();
    if (r == 0) {
      return new double[] {1, 1};
    }
    if (r == 1) {
      return new double[] {shape.dim(0), shape.dim(0)};
    }
    if (r == 2) {
      return new double[] {shape.dim(0), shape.dim(1)};
    }
    double receptive = 1;
    for (int i = 0; i < r - 2; i++) {
      receptive *= shape.dim(i);
    }
    return new double[] {shape.dim(r - 2) * receptive, shape.dim(r - 1) * receptive};
  }

  // ---------------------------------------------------------------- the classes

  /**
   * An initializer with declared Keras arguments: the base of the built-in ones, and of users' own
   * ones that are to be read from configs ({@code Registry.register(MyInit.KERAS)}). Its config is
   * its arguments.
   */
  public abstract static class Declared extends dev.kiln.api.registry.Declared
      implements Initializer {
    /** An initializer with the defaults of {@code keras}. */
    protected Declared(KerasClass<?> keras) {
      super(keras);
    }

    @Override
    public Map<String, Object> config() {
      return getConfig();
    }

    /** A tensor of this shape and dtype filled with successive values of {@code next}. */
    protected static HostTensor fill(Shape shape, DType dtype, DoubleSupplier next) {
      HostTensor t = HostTensor.zeros(dtype, shape);
      for (int i = 0; i < t.size(); i++) {
        t.setDouble(i, next.getAsDouble());
      }
      return t;
    }

    /** A stream from {@code seed}, or split off the global stream when it is null. */
    protected static SplittableRandom random(Long seed) {
      return seed == null ? Kiln.splitRandom() : new SplittableRandom(seed);
    }
  }

  /** Zeros. */
  public static final class Zeros extends Declared {
    /** Keras's {@code Zeros}. */
    public static final KerasClass<Zeros> KERAS =
        KerasClass.of(Kind.INITIALIZER, "Zeros", Zeros.class, a -> new Zeros())
            .aliases("zeros", "zero");

    /** Zeros. */
    public Zeros() {
      super(KERAS);
    }

    @Override
    public HostTensor initialize(Shape shape, DType dtype) {
      return HostTensor.zeros(dtype, shape);
    }
  }

  /** Ones. */
  public static final class Ones extends Declared {
    /** Keras's {@code Ones}. */
    public static final KerasClass<Ones> KERAS =
        KerasClass.of(Kind.INITIALIZER, "Ones", Ones.class, a -> new Ones()).aliases("ones", "one");

    /** Ones. */
    public Ones() {
      super(KERAS);
    }

    @Override
    public HostTensor initialize(Shape shape, DType dtype) {
      return fill(shape, dtype, () -> 1);
    }
  }

  /** A constant {@code value} (default 0). */
  public static final class Constant extends Declared {
    /** The value. */
    public static final Arg<Double> VALUE = Arg.number("value", 0.0);

    /** Keras's {@code Constant}. */
    public static final KerasClass<Constant> KERAS =
        KerasClass.of(Kind.INITIALIZER, "Constant", Constant.class, a -> new Constant(), VALUE)
            .aliases("constant");

    /** Zeros, as Keras's default. */
    public Constant() {
      super(KERAS);
    }

    /** The constant {@code value}. */
    public Constant(double value) {
      this();
      args().set(VALUE, value);
    }

    @Override
    public HostTensor initialize(Shape shape, DType dtype) {
      double v = args().get(VALUE);
      return fill(shape, dtype, () -> v);
    }
  }

  /** Normal with {@code mean} (default 0) and {@code stddev} (default 0.05). */
  public static final class RandomNormal extends Declared {
    /** The mean. */
    public static final Arg<Double> MEAN = Arg.number("mean", 0.0);

    /** The standard deviation. */
    public static final Arg<Double> STDDEV = Arg.nonNegative("stddev", 0.05);

    /** The seed; null draws from the global stream. */
    public static final Arg<Long> SEED = Arg.seed("seed");

    /** Keras's {@code RandomNormal}. */
    public static final KerasClass<RandomNormal> KERAS =
        KerasClass.of(
                Kind.INITIALIZER,
                "RandomNormal",
                RandomNormal.class,
                a -> new RandomNormal(),
                MEAN,
                STDDEV,
                SEED)
            .aliases("random_normal", "normal");

    /** Keras's defaults, unseeded. */
    public RandomNormal() {
      super(KERAS);
    }

    /** This mean and standard deviation ({@code seed} may be null). */
    public RandomNormal(double mean, double stddev, Long seed) {
      this();
      args().set(MEAN, mean).set(STDDEV, stddev).set(SEED, seed);
    }

    @Override
    public HostTensor initialize(Shape shape, DType dtype) {
      double mean = args().get(MEAN);
      double stddev = args().get(STDDEV);
      SplittableRandom r = random(args().get(SEED));
      return fill(shape, dtype, () -> mean + stddev * r.nextGaussian());
    }
  }

  /** Uniform on {@code [minval, maxval)} (default {@code [-0.05, 0.05)}). */
  public static final class RandomUniform extends Declared {
    /** The lower bound. */
    public static final Arg<Double> MINVAL = Arg.number("minval", -0.05);

    /** The upper bound. */
    public static final Arg<Double> MAXVAL = Arg.number("maxval", 0.05);

    /** The seed; null draws from the global stream. */
    public static final Arg<Long> SEED = Arg.seed("seed");

    /** Keras's {@code RandomUniform}. */
    public static final KerasClass<RandomUniform> KERAS =
        KerasClass.of(
                Kind.INITIALIZER,
                "RandomUniform",
                RandomUniform.class,
                a -> new RandomUniform(),
                MINVAL,
                MAXVAL,
                SEED)
            .aliases("random_uniform", "uniform");

    /** Keras's defaults, unseeded. */
    public RandomUniform() {
      super(KERAS);
    }

    /** These bounds ({@code seed} may be null). */
    public RandomUniform(double minval, double maxval, Long seed) {
      this();
      args().set(MINVAL, minval).set(MAXVAL, maxval).set(SEED, seed);
    }

    @Override
    public HostTensor initialize(Shape shape, DType dtype) {
      double lo = args().get(MINVAL);
      double hi = args().get(MAXVAL);
      SplittableRandom r = random(args().get(SEED));
      return fill(shape, dtype, () -> lo + (hi - lo) * r.nextDouble());
    }
  }

  /** Normal, redrawn beyond two standard deviations (defaults mean 0, stddev 0.05). */
  public static final class TruncatedNormal extends Declared {
    /** The mean. */
    public static final Arg<Double> MEAN = Arg.number("mean", 0.0);

    /** The standard deviation before truncation. */
    public static final Arg<Double> STDDEV = Arg.nonNegative("stddev", 0.05);

    /** The seed; null draws from the global stream. */
    public static final Arg<Long> SEED = Arg.seed("seed");

    /** Keras's {@code TruncatedNormal}. */
    public static final KerasClass<TruncatedNormal> KERAS =
        KerasClass.of(
                Kind.INITIALIZER,
                "TruncatedNormal",
                TruncatedNormal.class,
                a -> new TruncatedNormal(),
                MEAN,
                STDDEV,
                SEED)
            .aliases("truncated_normal");

    /** Keras's defaults, unseeded. */
    public TruncatedNormal() {
      super(KERAS);
    }

    /** This mean and standard deviation ({@code seed} may be null). */
    public TruncatedNormal(double mean, double stddev, Long seed) {
      this();
      args().set(MEAN, mean).set(STDDEV, stddev).set(SEED, seed);
    }

    @Override
    public HostTensor initialize(Shape shape, DType dtype) {
      double mean = args().get(MEAN);
      double stddev = args().get(STDDEV);
      SplittableRandom r = random(args().get(SEED));
      return fill(shape, dtype, () -> mean + stddev * truncated(r));
    }
  }

  /**
   * Keras's VarianceScaling: variance {@code scale / n} where n is the fan in, fan out or their
   * mean ({@code mode}), drawn from a truncated normal, an untruncated normal or a uniform
   * distribution ({@code "normal"} is the truncated one). Glorot, He and LeCun are fixed cases.
   */
  public static class VarianceScaling extends Declared {
    /** The scale, {@code > 0}. */
    public static final Arg<Double> SCALE = Arg.positive("scale", 1.0);

    /** Which fan divides the scale. */
    public static final Arg<String> MODE =
        Arg.choice("mode", "fan_in", "fan_in", "fan_out", "fan_avg");

    /** The distribution. */
    public static final Arg<String> DISTRIBUTION =
        Arg.choice(
            "distribution",
            "truncated_normal",
            "truncated_normal",
            "untruncated_normal",
            "normal",
            "uniform");

    /** The seed; null draws from the global stream. */
    public static final Arg<Long> SEED = Arg.seed("seed");

    /** Keras's {@code VarianceScaling}. */
    public static final KerasClass<VarianceScaling> KERAS =
        KerasClass.of(
                Kind.INITIALIZER,
                "VarianceScaling",
                VarianceScaling.class,
                a -> new VarianceScaling(),
                SCALE,
                MODE,
                DISTRIBUTION,
                SEED)
            .aliases("variance_scaling");

    /** Keras's defaults: scale 1, fan in, truncated normal, unseeded. */
    public VarianceScaling() {
      this(KERAS);
    }

    /**
     * These arguments.
     *
     * @throws IllegalArgumentException for scale <= 0, an unknown mode or distribution
     */
    public VarianceScaling(double scale, String mode, String distribution, Long seed) {
      this(KERAS);
      args().set(SCALE, scale).set(MODE, mode).set(DISTRIBUTION, distribution).set(SEED, seed);
    }

    /** For the fixed cases (Glorot, He, LeCun), which declare only the seed. */
    protected VarianceScaling(KerasClass<?> keras) {
      super(keras);
    }

    /** The scale. */
    protected double scale() {
      return args().get(SCALE);
    }

    /** The mode. */
    protected String mode() {
      return args().get(MODE);
    }

    /** The distribution. */
    protected String distribution() {
      return args().get(DISTRIBUTION);
    }

    /** The seed, or null. */
    protected Long seed() {
      return args().get(SEED);
    }

    @Override
    public HostTensor initialize(Shape shape, DType dtype) {
      double[] f = fans(shape);
      double n =
          switch (mode()) {
            case "fan_in" -> f[0];
            case "fan_out" -> f[1];
            default -> (f[0] + f[1]) / 2;
          };
      double var = scale() / Math.max(1, n);
      SplittableRandom r = random(seed());
      return switch (distribution()) {
        case "untruncated_normal" -> fill(shape, dtype, () -> Math.sqrt(var) * r.nextGaussian());
        case "uniform" -> {
          double limit = Math.sqrt(3 * var);
          yield fill(shape, dtype, () -> -limit + 2 * limit * r.nextDouble());
        }
        default -> fill(shape, dtype, () -> Math.sqrt(var) / TRUNCATED_STDDEV * truncated(r));
      };
    }
  }

  /** A fixed variance scaling, whose only argument is the seed. */
  abstract static class FixedScaling extends VarianceScaling {
    private final double scale;
    private final String mode;
    private final String distribution;

    FixedScaling(KerasClass<?> keras, double scale, String mode, String distribution, Long seed) {
      super(keras);
      this.scale = scale;
      this.mode = mode;
      this.distribution = distribution;
      args().set(SEED, seed);
    }

    @Override
    protected double scale() {
      return scale;
    }

    @Override
    protected String mode() {
      return mode;
    }

    @Override
    protected String distribution() {
      return distribution;
    }
  }

  /** Glorot (Xavier) uniform: limit {@code sqrt(6 / (fanIn + fanOut))}. */
  public static final class GlorotUniform extends FixedScaling {
    /** Keras's {@code GlorotUniform}. */
    public static final KerasClass<GlorotUniform> KERAS =
        KerasClass.of(
                Kind.INITIALIZER,
                "GlorotUniform",
                GlorotUniform.class,
                a -> new GlorotUniform(),
                SEED)
            .aliases("glorot_uniform");

    /** Unseeded. */
    public GlorotUniform() {
      this(null);
    }

    /** Seeded ({@code seed} may be null). */
    public GlorotUniform(Long seed) {
      super(KERAS, 1, "fan_avg", "uniform", seed);
    }
  }

  /** Glorot (Xavier) normal: variance {@code 2 / (fanIn + fanOut)}, truncated. */
  public static final class GlorotNormal extends FixedScaling {
    /** Keras's {@code GlorotNormal}. */
    public static final KerasClass<GlorotNormal> KERAS =
        KerasClass.of(
                Kind.INITIALIZER, "GlorotNormal", GlorotNormal.class, a -> new GlorotNormal(), SEED)
            .aliases("glorot_normal");

    /** Unseeded. */
    public GlorotNormal() {
      this(null);
    }

    /** Seeded ({@code seed} may be null). */
    public GlorotNormal(Long seed) {
      super(KERAS, 1, "fan_avg", "truncated_normal", seed);
    }
  }

  /** He normal: variance {@code 2 / fanIn}, truncated; for ReLU layers. */
  public static final class HeNormal extends FixedScaling {
    /** Keras's {@code HeNormal}. */
    public static final KerasClass<HeNormal> KERAS =
        KerasClass.of(Kind.INITIALIZER, "HeNormal", HeNormal.class, a -> new HeNormal(), SEED)
            .aliases("he_normal");

    /** Unseeded. */
    public HeNormal() {
      this(null);
    }

    /** Seeded ({@code seed} may be null). */
    public HeNormal(Long seed) {
      super(KERAS, 2, "fan_in", "truncated_normal", seed);
    }
  }

  /** He uniform: limit {@code sqrt(6 / fanIn)}. */
  public static final class HeUniform extends FixedScaling {
    /** Keras's {@code HeUniform}. */
    public static final KerasClass<HeUniform> KERAS =
        KerasClass.of(Kind.INITIALIZER, "HeUniform", HeUniform.class, a -> new HeUniform(), SEED)
            .aliases("he_uniform");

    /** Unseeded. */
    public HeUniform() {
      this(null);
    }

    /** Seeded ({@code seed} may be null). */
    public HeUniform(Long seed) {
      super(KERAS, 2, "fan_in", "uniform", seed);
    }
  }

  /** LeCun normal: variance {@code 1 / fanIn}, truncated; for SELU layers. */
  public static final class LecunNormal extends FixedScaling {
    /** Keras's {@code LecunNormal}. */
    public static final KerasClass<LecunNormal> KERAS =
        KerasClass.of(
                Kind.INITIALIZER, "LecunNormal", LecunNormal.class, a -> new LecunNormal(), SEED)
            .aliases("lecun_normal");

    /** Unseeded. */
    public LecunNormal() {
      this(null);
    }

    /** Seeded ({@code seed} may be null). */
    public LecunNormal(Long seed) {
      super(KERAS, 1, "fan_in", "truncated_normal", seed);
    }
  }

  /** LeCun uniform: limit {@code sqrt(3 / fanIn)}. */
  public static final class LecunUniform extends FixedScaling {
    /** Keras's {@code LecunUniform}. */
    public static final KerasClass<LecunUniform> KERAS =
        KerasClass.of(
                Kind.INITIALIZER, "LecunUniform", LecunUniform.class, a -> new LecunUniform(), SEED)
            .aliases("lecun_uniform");

    /** Unseeded. */
    public LecunUniform() {
      this(null);
    }

    /** Seeded ({@code seed} may be null). */
    public LecunUniform(Long seed) {
      super(KERAS, 1, "fan_in", "uniform", seed);
    }
  }

  /**
   * An orthogonal matrix (the last axis against the rest flattened) times {@code gain} (default 1),
   * from the QR decomposition of a normal matrix with the signs of R's diagonal folded in.
   */
  public static final class Orthogonal extends Declared {
    /** The factor on the orthogonal matrix. */
    public static final Arg<Double> GAIN = Arg.number("gain", 1.0);

    /** The seed; null draws from the global stream. */
    public static final Arg<Long> SEED = Arg.seed("seed");

    /** Keras's {@code Orthogonal} (called {@code OrthogonalInitializer} before Keras 3.7). */
    public static final KerasClass<Orthogonal> KERAS =
        KerasClass.of(
                Kind.INITIALIZER, "Orthogonal", Orthogonal.class, a -> new Orthogonal(), GAIN, SEED)
            .aliases("orthogonal", "OrthogonalInitializer", "orthogonal_initializer");

    /** Gain 1, unseeded. */
    public Orthogonal() {
      super(KERAS);
    }

    /** This gain ({@code seed} may be null). */
    public Orthogonal(double gain, Long seed) {
      this();
      args().set(GAIN, gain).set(SEED, seed);
    }

    @Override
    public HostTensor initialize(Shape shape, DType dtype) {
      if (shape.rank() < 2) {
        throw new IllegalArgumentException(
            "The Orthogonal initializer needs a shape of rank >= 2. Received: shape=" + shape);
      }
      double gain = args().get(GAIN);
      int cols = shape.dim(-1);
      int rows = (int) (shape.size() / cols);
      SplittableRandom r = random(args().get(SEED));
      int m = Math.max(rows, cols);
      int n = Math.min(rows, cols);
      double[][] a = new double[n][m]; // n orthonormal vectors of length m
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < m; j++) {
          a[i][j] = r.nextGaussian();
        }
        // Modified Gram-Schmidt; equivalent to QR with a positive R diagonal.
        for (int k = 0; k < i; k++) {
          double dot = 0;
          for (int j = 0; j < m; j++) {
            dot += a[i][j] * a[k][j];
          }
          for (int j = 0; j < m; j++) {
            a[i][j] -= dot * a[k][j];
          }
        }
        double norm = 0;
        for (int j = 0; j < m; j++) {
          norm += a[i][j] * a[i][j];
        }
        norm = Math.sqrt(norm);
        for (int j = 0; j < m; j++) {
          a[i][j] /= norm;
        }
      }
      HostTensor t = HostTensor.zeros(dtype, shape);
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
          double v = rows >= cols ? a[j][i] : a[i][j];
          t.setDouble(i * cols + j, gain * v);
        }
      }
      return t;
    }
  }

  /** An identity matrix times {@code gain} (rank 2 only; non-square gets ones on the diagonal). */
  public static final class IdentityInitializer extends Declared {
    /** The factor on the identity. */
    public static final Arg<Double> GAIN = Arg.number("gain", 1.0);

    /** Keras's {@code IdentityInitializer}. */
    public static final KerasClass<IdentityInitializer> KERAS =
        KerasClass.of(
                Kind.INITIALIZER,
                "IdentityInitializer",
                IdentityInitializer.class,
                a -> new IdentityInitializer(),
                GAIN)
            .aliases("identity", "Identity", "identity_initializer");

    /** Gain 1. */
    public IdentityInitializer() {
      super(KERAS);
    }

    /** This gain. */
    public IdentityInitializer(double gain) {
      this();
      args().set(GAIN, gain);
    }

    @Override
    public HostTensor initialize(Shape shape, DType dtype) {
      if (shape.rank() != 2) {
        throw new IllegalArgumentException(
            "The Identity initializer needs a 2D shape. Received: shape=" + shape);
      }
      double gain = args().get(GAIN);
      HostTensor t = HostTensor.zeros(dtype, shape);
      int cols = shape.dim(1);
      for (int i = 0; i < Math.min(shape.dim(0), cols); i++) {
        t.setDouble(i * cols + i, gain);
      }
      return t;
    }
  }

  private static double truncated(SplittableRandom r) {
    while (true) {
      double g = r.nextGaussian();
      if (Math.abs(g) <= 2) {
        return g;
      }
    }
  }
}
