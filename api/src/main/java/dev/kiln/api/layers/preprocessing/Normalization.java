package dev.kiln.api.layers.preprocessing;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.initializers.Initializers;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.List;

/**
 * Shifts and scales features to mean 0 and variance 1: {@code (x - mean) / max(sqrt(var), 1e-7)},
 * with mean and variance per index of {@code axis} (default the last), given or learned from data
 * by {@link #adapt}.
 *
 * {@snippet :
 * Normalization norm = new Normalization();
 * norm.adapt(trainX);             // mean and variance of each feature
 * model.add(norm);
 * }
 */
public final class Normalization extends Layer {
  /** The feature axis (one axis; Keras's list form with one entry is read too). */
  public static final Arg<int[]> AXIS =
      Arg.ints("axis", new int[] {-1}).checked("one axis", a -> a.length == 1);

  /** Given means per feature, or null to {@link #adapt} or load them. */
  public static final Arg<double[]> MEAN = numbers("mean");

  /** Given variances per feature, or null. */
  public static final Arg<double[]> VARIANCE = numbers("variance");

  /** Whether to undo the normalization ({@code x * std + mean}) instead. */
  public static final Arg<Boolean> INVERT = Arg.bool("invert", false);

  /** Normalization's declaration. */
  public static final KerasClass<Normalization> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "Normalization",
          Normalization.class,
          a -> new Normalization(a.get(AXIS)[0]),
          AXIS,
          MEAN,
          VARIANCE,
          INVERT);

  private static Arg<double[]> numbers(String key) {
    return Arg.<double[]>of(
            key,
            "a list of numbers or null",
            null,
            v -> {
              if (v instanceof Number n) {
                return new double[] {n.doubleValue()};
              }
              java.util.List<?> l = (java.util.List<?>) v;
              double[] out = new double[l.size()];
              for (int i = 0; i < out.length; i++) {
                out[i] = ((Number) l.get(i)).doubleValue();
              }
              return out;
            },
            d -> java.util.Arrays.stream(d).boxed().toList())
        .schema(
            java.util.Map.of(
                "type",
                java.util.List.of("number", "array"),
                "items",
                java.util.Map.of("type", "number")))
        .nullable();
  }

  private int axis() {
    return args().get(AXIS)[0];
  }

  private Weight mean;
  private Weight variance;
  private Tensor fixedMean;
  private Tensor fixedVariance;
  private double[] adaptedMean;
  private double[] adaptedVariance;

  /** Normalizes each index of the last axis. */
  public Normalization() {
    this(-1);
  }

  /** Normalizes each index of {@code axis}. */
  public Normalization(int axis) {
    args().set(AXIS, new int[] {axis});
  }

  /** Uses fixed statistics instead of {@link #adapt}. */
  public Normalization(int axis, double[] mean, double[] variance) {
    this(axis);
    args().set(MEAN, mean.clone());
    args().set(VARIANCE, variance.clone());
  }

  /**
   * Computes the mean and variance of each index of {@code axis} over everything else in {@code
   * data} (samples along axis 0).
   */
  public void adapt(Tensor data) {
    if (fixedMean != null) {
      throw new KilnException(
          "Normalization \""
              + name()
              + "\" was built with a given mean and variance, which are constants of its graph"
              + " (as in Keras); adapt a Normalization made without them");
    }
    int r = data.rank();
    int axis = axis();
    int a = axis < 0 ? axis + r : axis;
    if (a <= 0 || a >= r) {
      throw new KilnException(
          "Normalization \""
              + name()
              + "\": axis "
              + axis
              + " is out of range for data of shape "
              + data.shape());
    }
    int features = data.shape().dim(a);
    long inner = 1;
    for (int i = a + 1; i < r; i++) {
      inner *= data.shape().dim(i);
    }
    double[] sum = new double[features];
    double[] sq = new double[features];
    long count = data.size() / features;
    double[] v = data.toDoubleArray();
    for (int i = 0; i < v.length; i++) {
      int f = (int) ((i / inner) % features);
      sum[f] += v[i];
    }
    for (int f = 0; f < features; f++) {
      sum[f] /= count;
    }
    for (int i = 0; i < v.length; i++) {
      int f = (int) ((i / inner) % features);
      double d = v[i] - sum[f];
      sq[f] += d * d;
    }
    for (int f = 0; f < features; f++) {
      sq[f] /= count;
    }
    // Adapted statistics live in the layer's weights, as in Keras: the config keeps mean and
    // variance for statistics given up front.
    adaptedMean = sum;
    adaptedVariance = sq;
    if (mean != null) {
      mean.assign(stat(sum));
      variance.assign(stat(sq));
    }
  }

  private Tensor stat(double[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return Tensor.of(f, statShape);
  }

  private int[] statShape;

  @Override
  protected void build(List<Shape> inputShapes) {
    Shape s = inputShapes.get(0);
    int axis = axis();
    double[] givenMean = args().get(MEAN);
    double[] givenVariance = args().get(VARIANCE);
    int a = axis < 0 ? axis + s.rank() : axis;
    if (a <= 0 || a >= s.rank()) {
      throw new IllegalArgumentException("axis " + axis + " is out of range for input shape " + s);
    }
    statShape = new int[s.rank()];
    for (int i = 0; i < s.rank(); i++) {
      statShape[i] = i == a ? s.dim(a) : 1;
    }
    if (givenMean != null && givenVariance != null) {
      if (givenMean.length != s.dim(a) || givenVariance.length != s.dim(a)) {
        throw new IllegalArgumentException(
            "the statistics have "
                + givenMean.length
                + " values but the input has "
                + s.dim(a)
                + " features on axis "
                + axis);
      }
      // Given statistics are constants of the graph, as in Keras 3: no weights, none in files.
      fixedMean = stat(givenMean);
      fixedVariance = stat(givenVariance);
      return;
    }
    mean = addWeight("mean", statShape, Initializers.zeros(), false);
    variance = addWeight("variance", statShape, Initializers.ones(), false);
    if (adaptedMean != null) {
      mean.assign(stat(adaptedMean));
      variance.assign(stat(adaptedVariance));
    }
  }

  @Override
  protected Value call(Ops ops, Value x) {
    // Floating inputs arrive in the compute dtype; the statistics follow them.
    Value f = x.dtype().isFloating() ? x : ops.cast(x, computeDtype());
    Value m = ops.cast(mean != null ? ops.read(mean) : ops.constant(fixedMean), f.dtype());
    Value v =
        ops.cast(variance != null ? ops.read(variance) : ops.constant(fixedVariance), f.dtype());
    Value std = ops.maximum(ops.sqrt(v), 1e-7);
    if (args().get(INVERT)) {
      return ops.add(ops.mul(f, std), m);
    }
    return ops.div(ops.sub(f, m), std);
  }
}
