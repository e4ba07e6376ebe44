package dev.kiln.api.initializers;

import dev.kiln.api.KerasObjects;
import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Keras's initializers by factory method and by name ({@code "glorot_uniform"}, {@code
 * "he_normal"}, ...). Unseeded ones draw from the stream {@link Kiln#setRandomSeed} seeds; seeded
 * ones give the same values on every call.
 *
 * {@snippet :
 * Initializer a = Initializers.get("he_normal");
 * Initializer b = Initializers.varianceScaling(2.0, "fan_in", "truncated_normal", 7L);
 * }
 */
public final class Initializers {
  private Initializers() {}

  // The standard deviation of a unit normal truncated to [-2, 2]: dividing by it makes a
  // truncated normal's variance the requested one.
  private static final double TRUNCATED_STDDEV = 0.87962566103423978;

  private static final Map<String, Function<Map<String, Object>, Initializer>> BY_NAME =
      new LinkedHashMap<>();

  static {
    BY_NAME.put("zeros", c -> zeros());
    BY_NAME.put("ones", c -> ones());
    BY_NAME.put("constant", c -> constant(num(c, "value", 0)));
    BY_NAME.put(
        "random_normal", c -> randomNormal(num(c, "mean", 0), num(c, "stddev", 0.05), seed(c)));
    BY_NAME.put(
        "random_uniform",
        c -> randomUniform(num(c, "minval", -0.05), num(c, "maxval", 0.05), seed(c)));
    BY_NAME.put(
        "truncated_normal",
        c -> truncatedNormal(num(c, "mean", 0), num(c, "stddev", 0.05), seed(c)));
    BY_NAME.put(
        "variance_scaling",
        c ->
            varianceScaling(
                num(c, "scale", 1),
                str(c, "mode", "fan_in"),
                str(c, "distribution", "truncated_normal"),
                seed(c)));
    BY_NAME.put("glorot_uniform", c -> vs("GlorotUniform", 1, "fan_avg", "uniform", seed(c)));
    BY_NAME.put(
        "glorot_normal", c -> vs("GlorotNormal", 1, "fan_avg", "truncated_normal", seed(c)));
    BY_NAME.put("he_uniform", c -> vs("HeUniform", 2, "fan_in", "uniform", seed(c)));
    BY_NAME.put("he_normal", c -> vs("HeNormal", 2, "fan_in", "truncated_normal", seed(c)));
    BY_NAME.put("lecun_uniform", c -> vs("LecunUniform", 1, "fan_in", "uniform", seed(c)));
    BY_NAME.put("lecun_normal", c -> vs("LecunNormal", 1, "fan_in", "truncated_normal", seed(c)));
    BY_NAME.put("orthogonal", c -> orthogonal(num(c, "gain", 1), seed(c)));
    BY_NAME.put("identity", c -> identity(num(c, "gain", 1)));
  }

  /**
   * The initializer of this Keras name, snake case or class name ({@code "he_normal"}, {@code
   * "HeNormal"}), with default arguments.
   *
   * @throws KilnException for an unknown name, listing the known ones
   */
  public static Initializer get(String name) {
    return get(name, Map.of());
  }

  /** The initializer of this name with these Keras arguments. */
  public static Initializer get(String name, Map<String, Object> config) {
    String key = name.contains("_") ? name : Kiln.snakeCase(name);
    key = key.toLowerCase(Locale.ROOT);
    if (key.equals("identity_initializer")) {
      key = "identity";
    }
    Function<Map<String, Object>, Initializer> f = BY_NAME.get(key);
    if (f == null) {
      throw new KilnException(
          "Unknown initializer: '" + name + "'. Known initializers: " + BY_NAME.keySet());
    }
    return f.apply(config);
  }

  /** Zeros. */
  public static Initializer zeros() {
    return new Simple("Zeros", Map.of(), (s, d, r) -> 0);
  }

  /** Ones. */
  public static Initializer ones() {
    return new Simple("Ones", Map.of(), (s, d, r) -> 1);
  }

  /** A constant. */
  public static Initializer constant(double value) {
    return new Simple("Constant", cfg("value", value), (s, d, r) -> value);
  }

  /** Normal with this mean and standard deviation ({@code seed} may be null). */
  public static Initializer randomNormal(double mean, double stddev, Long seed) {
    return seeded(
        "RandomNormal",
        cfg("mean", mean, "stddev", stddev),
        seed,
        (s, d, r) -> mean + stddev * r.nextGaussian());
  }

  /** Uniform on {@code [minval, maxval)}. */
  public static Initializer randomUniform(double minval, double maxval, Long seed) {
    return seeded(
        "RandomUniform",
        cfg("minval", minval, "maxval", maxval),
        seed,
        (s, d, r) -> minval + (maxval - minval) * r.nextDouble());
  }

  /** Normal, redrawn beyond two standard deviations. */
  public static Initializer truncatedNormal(double mean, double stddev, Long seed) {
    return seeded(
        "TruncatedNormal",
        cfg("mean", mean, "stddev", stddev),
        seed,
        (s, d, r) -> mean + stddev * truncated(r));
  }

  /**
   * Keras's VarianceScaling: variance {@code scale / n} where n is the fan in, fan out or their
   * mean, drawn from a truncated normal, a normal or a uniform distribution.
   *
   * @throws IllegalArgumentException for an unknown mode or distribution, or scale <= 0
   */
  public static Initializer varianceScaling(
      double scale, String mode, String distribution, Long seed) {
    return vs("VarianceScaling", scale, mode, distribution, seed);
  }

  /** Glorot (Xavier) uniform: the default kernel initializer of Dense and Conv. */
  public static Initializer glorotUniform() {
    return get("glorot_uniform");
  }

  /** Glorot normal. */
  public static Initializer glorotNormal() {
    return get("glorot_normal");
  }

  /** He normal, for ReLU layers. */
  public static Initializer heNormal() {
    return get("he_normal");
  }

  /** He uniform. */
  public static Initializer heUniform() {
    return get("he_uniform");
  }

  /** LeCun normal, for SELU layers. */
  public static Initializer lecunNormal() {
    return get("lecun_normal");
  }

  /** LeCun uniform. */
  public static Initializer lecunUniform() {
    return get("lecun_uniform");
  }

  /**
   * An orthogonal matrix (the last axis against the rest flattened) times {@code gain}, from the QR
   * decomposition of a normal matrix with the signs of R's diagonal folded in.
   */
  public static Initializer orthogonal(double gain, Long seed) {
    return new Initializer() {
      @Override
      public HostTensor initialize(Shape shape, DType dtype) {
        if (shape.rank() < 2) {
          throw new IllegalArgumentException(
              "The Orthogonal initializer needs a shape of rank >= 2. Received: shape=" + shape);
        }
        int cols = shape.dim(-1);
        int rows = (int) (shape.size() / cols);
        SplittableRandom r = seed == null ? Kiln.splitRandom() : new SplittableRandom(seed);
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

      @Override
      public String className() {
        return "Orthogonal";
      }

      @Override
      public Map<String, Object> config() {
        return cfg("gain", gain, "seed", seed);
      }
    };
  }

  /** An identity matrix times {@code gain} (rank 2 only; non-square gets ones on the diagonal). */
  public static Initializer identity(double gain) {
    return new Simple(
        "IdentityInitializer",
        cfg("gain", gain),
        (s, d, r) -> {
          throw new IllegalStateException();
        }) {
      @Override
      public HostTensor initialize(Shape shape, DType dtype) {
        if (shape.rank() != 2) {
          throw new IllegalArgumentException(
              "The Identity initializer needs a 2D shape. Received: shape=" + shape);
        }
        HostTensor t = HostTensor.zeros(dtype, shape);
        int cols = shape.dim(1);
        for (int i = 0; i < Math.min(shape.dim(0), cols); i++) {
          t.setDouble(i * cols + i, gain);
        }
        return t;
      }
    };
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

  private static Initializer vs(
      String className, double scale, String mode, String distribution, Long seed) {
    if (scale <= 0) {
      throw new IllegalArgumentException(
          "Argument `scale` must be positive float. Received: scale=" + scale);
    }
    if (!mode.equals("fan_in") && !mode.equals("fan_out") && !mode.equals("fan_avg")) {
      throw new IllegalArgumentException(
          "Invalid `mode` argument: expected one of fan_in, fan_out, fan_avg. Received: mode="
              + mode);
    }
    String dist = distribution.equals("normal") ? "truncated_normal" : distribution;
    if (!dist.equals("truncated_normal")
        && !dist.equals("untruncated_normal")
        && !dist.equals("uniform")) {
      throw new IllegalArgumentException(
          "Invalid `distribution` argument: expected one of truncated_normal, untruncated_normal,"
              + " uniform. Received: distribution="
              + distribution);
    }
    Map<String, Object> config =
        className.equals("VarianceScaling")
            ? cfg("scale", scale, "mode", mode, "distribution", distribution, "seed", seed)
            : cfg("seed", seed);
    return new Seeded(
        className,
        config,
        seed,
        (s, d, r) -> {
          double[] f = fans(s);
          double n =
              switch (mode) {
                case "fan_in" -> f[0];
                case "fan_out" -> f[1];
                default -> (f[0] + f[1]) / 2;
              };
          double var = scale / Math.max(1, n);
          return switch (dist) {
            case "truncated_normal" -> Math.sqrt(var) / TRUNCATED_STDDEV * truncated(r);
            case "untruncated_normal" -> Math.sqrt(var) * r.nextGaussian();
            default -> {
              double limit = Math.sqrt(3 * var);
              yield -limit + 2 * limit * r.nextDouble();
            }
          };
        });
  }

  private static double truncated(SplittableRandom r) {
    while (true) {
      double g = r.nextGaussian();
      if (Math.abs(g) <= 2) {
        return g;
      }
    }
  }

  private interface Draw {
    double next(Shape shape, DType dtype, SplittableRandom r);
  }

  private static class Simple implements Initializer {
    final String className;
    final Map<String, Object> config;
    final Draw draw;

    Simple(String className, Map<String, Object> config, Draw draw) {
      this.className = className;
      this.config = config;
      this.draw = draw;
    }

    SplittableRandom random() {
      return null;
    }

    @Override
    public HostTensor initialize(Shape shape, DType dtype) {
      HostTensor t = HostTensor.zeros(dtype, shape);
      SplittableRandom r = random();
      for (int i = 0; i < t.size(); i++) {
        t.setDouble(i, draw.next(shape, dtype, r));
      }
      return t;
    }

    @Override
    public String className() {
      return className;
    }

    @Override
    public Map<String, Object> config() {
      return config;
    }
  }

  private static final class Seeded extends Simple {
    final Long seed;

    Seeded(String className, Map<String, Object> config, Long seed, Draw draw) {
      super(className, config, draw);
      this.seed = seed;
    }

    @Override
    SplittableRandom random() {
      return seed == null ? Kiln.splitRandom() : new SplittableRandom(seed);
    }
  }

  private static Initializer seeded(
      String className, Map<String, Object> config, Long seed, Draw draw) {
    Map<String, Object> c = new LinkedHashMap<>(config);
    c.put("seed", seed);
    return new Seeded(className, c, seed, draw);
  }

  /** A Keras-style serialized form: {@code {"class_name": ..., "config": {...}}}. */
  public static Map<String, Object> serialize(Initializer init) {
    return KerasObjects.serialize("keras.initializers", init.className(), init.config());
  }

  /**
   * The initializer a config names: a string or a {@code {"class_name", "config"}} map.
   *
   * @throws KilnException for an unknown class
   */
  public static Initializer deserialize(Object config) {
    if (config instanceof Initializer i) {
      return i;
    }
    KerasObjects.Spec spec = KerasObjects.parse(config);
    return get(spec.name(), spec.config());
  }

  static Map<String, Object> cfg(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  private static double num(Map<String, Object> c, String k, double dflt) {
    Object v = c.get(k);
    return v == null ? dflt : ((Number) v).doubleValue();
  }

  private static String str(Map<String, Object> c, String k, String dflt) {
    Object v = c.get(k);
    return v == null ? dflt : v.toString();
  }

  private static Long seed(Map<String, Object> c) {
    Object v = c.get("seed");
    return v == null ? null : ((Number) v).longValue();
  }
}
