package dev.kiln.api.layers.normalization;

import dev.kiln.api.initializers.Initializer;
import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.LayerArgs;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.Args;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * Batch normalization, as Keras 3's {@code BatchNormalization}: per channel of {@code axis}, {@code
 * gamma * (x - mean) / sqrt(variance + epsilon) + beta}. In a training step the batch's mean and
 * (biased) variance normalize, and the moving statistics are updated in the step: {@code moving =
 * moving * momentum + batch * (1 - momentum)}. In {@code predict} and {@code evaluate} the moving
 * statistics normalize. A frozen layer ({@code setTrainable(false)}) runs in inference mode even in
 * training, as in Keras 3. Weights, in order: {@code gamma}, {@code beta} (trainable), {@code
 * moving_mean}, {@code moving_variance} (not trainable), each shaped like the input on {@code
 * axis}. Input and output have the same shape.
 *
 * <p>Under mixed precision, as in Keras 3, a float16 or bfloat16 input is normalized in float32
 * (statistics, moving averages and the affine step) and the output cast back to the input's dtype.
 *
 * {@snippet :
 * KerasTensor y = new BatchNormalization().apply(new Conv2D(32, 3).apply(x));
 * KerasTensor z = new BatchNormalization().axis(1).momentum(0.9).apply(channelsFirst);
 * }
 */
public class BatchNormalization extends AffineNormalization<BatchNormalization> {
  /** The channel axis (default -1); Kiln also takes a list of axes. */
  public static final Arg<Object> AXIS = AxisArgs.axis("axis", -1);

  /** The weight of the old value in the moving averages. */
  public static final Arg<Double> MOMENTUM = Arg.number("momentum", 0.99);

  /** The initializer of {@code moving_mean}. */
  public static final Arg<Initializer> MOVING_MEAN_INITIALIZER =
      LayerArgs.initializer("moving_mean_initializer", "zeros");

  /** The initializer of {@code moving_variance}. */
  public static final Arg<Initializer> MOVING_VARIANCE_INITIALIZER =
      LayerArgs.initializer("moving_variance_initializer", "ones");

  /** Keras's cross-device statistics (TensorFlow only there); Kiln runs on one device. */
  public static final Arg<Boolean> SYNCHRONIZED =
      Arg.bool("synchronized", false)
          .checked("false (statistics are never synchronized across devices)", v -> !v);

  /** BatchNormalization's declaration. */
  public static final KerasClass<BatchNormalization> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "BatchNormalization",
          BatchNormalization.class,
          a -> new BatchNormalization(),
          AXIS,
          MOMENTUM,
          EPSILON,
          CENTER,
          SCALE,
          BETA_INITIALIZER,
          GAMMA_INITIALIZER,
          MOVING_MEAN_INITIALIZER,
          MOVING_VARIANCE_INITIALIZER,
          BETA_REGULARIZER,
          GAMMA_REGULARIZER,
          BETA_CONSTRAINT,
          GAMMA_CONSTRAINT,
          SYNCHRONIZED);

  private Weight gamma;
  private Weight beta;
  private Weight movingMean;
  private Weight movingVariance;
  private int[] axes;

  /** Batch normalization over the last axis with Keras's defaults. */
  public BatchNormalization() {
    this.supportsMasking = true;
  }

  /** The channel axis ({@code 1} after a channels-first convolution). */
  public BatchNormalization axis(int axis) {
    args().set(AXIS, axis);
    return this;
  }

  /** Several channel axes: one statistic per position on all of them. */
  public BatchNormalization axis(int... axes) {
    List<Integer> l = new java.util.ArrayList<>();
    for (int a : axes) {
      l.add(a);
    }
    args().set(AXIS, l);
    return this;
  }

  /** The weight of the old value in the moving averages (default 0.99). */
  public BatchNormalization momentum(double m) {
    args().set(MOMENTUM, m);
    return this;
  }

  /** The initializer of {@code moving_mean} (default zeros). */
  public BatchNormalization movingMeanInitializer(Initializer i) {
    args().set(MOVING_MEAN_INITIALIZER, i);
    return this;
  }

  /** The initializer of {@code moving_variance} (default ones). */
  public BatchNormalization movingVarianceInitializer(Initializer i) {
    args().set(MOVING_VARIANCE_INITIALIZER, i);
    return this;
  }

  /** The scale, or null before build or without {@code scale}. */
  public Weight gamma() {
    return gamma;
  }

  /** The offset, or null before build or without {@code center}. */
  public Weight beta() {
    return beta;
  }

  /** The moving mean; null before build. */
  public Weight movingMean() {
    return movingMean;
  }

  /** The moving variance; null before build. */
  public Weight movingVariance() {
    return movingVariance;
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    Shape s = inputShapes.get(0);
    axes = AxisArgs.resolve(AxisArgs.toArray(args().get(AXIS)), s, false, name());
    // Weights of several axes follow the input's axis order, so reshaping them broadcasts right.
    java.util.Arrays.sort(axes);
    int[] sizes = AxisArgs.sizes(s, axes, name());
    Args a = args();
    if (a.get(SCALE)) {
      gamma = addGamma(sizes);
    }
    if (a.get(CENTER)) {
      beta = addBeta(sizes);
    }
    movingMean = addWeight("moving_mean", sizes, a.get(MOVING_MEAN_INITIALIZER), false);
    movingVariance = addWeight("moving_variance", sizes, a.get(MOVING_VARIANCE_INITIALIZER), false);
    InputSpec spec = InputSpec.ndim(s.rank());
    for (int i = 0; i < axes.length; i++) {
      spec = spec.withAxis(axes[i], sizes[i]);
    }
    inputSpec = spec;
  }

  @Override
  protected Value call(Ops ops, Value x) {
    // As Keras 3: 16-bit inputs (mixed precision) are normalized in float32, where the batch
    // statistics neither overflow nor lose the moving averages' small updates.
    return inFloat32(ops, x, v -> normalizeInput(ops, v));
  }

  private Value normalizeInput(Ops ops, Value x) {
    double eps = args().get(EPSILON);
    Value g = gamma == null ? null : ops.read(gamma);
    Value b = beta == null ? null : ops.read(beta);
    Value mask = ops.mask(x);
    // Keras 3 runs a frozen layer in inference mode, even inside fit.
    boolean batchStats = ops.training() && trainable() && !ops.symbolic();
    if (!batchStats) {
      if (axes.length == 1) {
        return ops.batchNormInference(
            x, ops.read(movingMean), ops.read(movingVariance), g, b, axes[0], eps);
      }
      return normalize(ops, x, ops.read(movingMean), ops.read(movingVariance), g, b, eps);
    }
    Value out;
    Value mean;
    Value variance;
    if (axes.length == 1 && mask == null) {
      Ops.BatchNormResult r = ops.batchNormTraining(x, g, b, axes[0], eps);
      out = r.output();
      mean = r.mean();
      variance = r.variance();
    } else {
      Value[] m = moments(ops, x, mask);
      mean = m[0];
      variance = m[1];
      out = normalize(ops, x, mean, variance, g, b, eps);
    }
    double momentum = args().get(MOMENTUM);
    ops.assign(movingMean, movingAverage(ops, ops.read(movingMean), mean, momentum));
    ops.assign(movingVariance, movingAverage(ops, ops.read(movingVariance), variance, momentum));
    return out;
  }

  private static Value movingAverage(Ops ops, Value moving, Value batch, double momentum) {
    Value b = ops.reshape(batch, moving.shape().dims());
    return ops.add(ops.mul(moving, momentum), ops.mul(b, 1 - momentum));
  }

  private int[] reductionAxes(int rank) {
    int[] out = new int[rank - axes.length];
    int k = 0;
    outer:
    for (int i = 0; i < rank; i++) {
      for (int a : axes) {
        if (a == i) {
          continue outer;
        }
      }
      out[k++] = i;
    }
    return out;
  }

  /**
   * The batch mean and biased variance, shaped like the weights; with a mask (one axis less than
   * the input) only the unmasked positions count, as Keras's masked moments.
   */
  private Value[] moments(Ops ops, Value x, Value mask) {
    int[] red = reductionAxes(x.rank());
    int[] wshape = movingMean.type().shape().dims();
    if (mask == null) {
      Value mean = ops.mean(x, true, red);
      Value var = ops.mean(ops.square(ops.sub(x, mean)), true, red);
      return new Value[] {ops.reshape(mean, wshape), ops.reshape(var, wshape)};
    }
    if (mask.rank() != x.rank() - 1) {
      throw new IllegalArgumentException(
          "the mask must have one axis less than the input, but the mask is "
              + mask.shape()
              + " and the input "
              + x.shape());
    }
    Value w = ops.expandDims(ops.cast(mask, x.dtype()), -1);
    Value weighted = ops.mul(x, w);
    // Keras adds its backend epsilon (1e-7) so that a fully masked batch gives 0, not NaN.
    Value count = ops.add(ops.sum(ops.mul(ops.fillLike(1, x), w), true, red), 1e-7);
    Value mean = ops.div(ops.sum(weighted, true, red), count);
    Value var = ops.div(ops.sum(ops.mul(w, ops.square(ops.sub(weighted, mean))), true, red), count);
    return new Value[] {ops.reshape(mean, wshape), ops.reshape(var, wshape)};
  }

  private Value normalize(
      Ops ops, Value x, Value mean, Value variance, Value g, Value b, double eps) {
    int[] bshape = AxisArgs.broadcastShape(x.rank(), axes, movingMean.type().shape().dims());
    Value inv = ops.rsqrt(ops.add(ops.reshape(variance, bshape), eps));
    if (g != null) {
      inv = ops.mul(inv, ops.reshape(g, bshape));
    }
    Value y = ops.mul(ops.sub(x, ops.reshape(mean, bshape)), inv);
    return b == null ? y : ops.add(y, ops.reshape(b, bshape));
  }

  /** A BatchNormalization from its Keras config. */
  public static BatchNormalization fromConfig(Map<String, Object> c) {
    return Registry.fromConfig(Kind.LAYER, "BatchNormalization", c);
  }
}
