package dev.kiln.api.layers.normalization;

import dev.kiln.api.constraints.Constraint;
import dev.kiln.api.initializers.Initializer;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.LayerArgs;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.Args;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.api.regularizers.Regularizer;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Layer normalization, as Keras 3's {@code LayerNormalization}: each example is normalized over
 * {@code axis} (one axis or several) with its own mean and biased variance, then scaled by {@code
 * gamma} and shifted by {@code beta}, both shaped like the input on {@code axis}, in that order.
 * With {@code rms_scaling} the input is only divided by {@code sqrt(variance + epsilon)} and scaled
 * by {@code gamma} (no centring, no {@code beta}), as Keras computes it. Same shape in and out; the
 * same in training and inference.
 *
 * {@snippet :
 * KerasTensor y = new LayerNormalization().epsilon(1e-6).apply(new Add().apply(x, attention));
 * }
 */
public class LayerNormalization extends Layer {
  /** The axis or axes to normalize over (default -1). */
  public static final Arg<Object> AXIS = AxisArgs.axis("axis", -1);

  /** Added to the variance before the square root. */
  public static final Arg<Double> EPSILON = Arg.nonNegative("epsilon", 1e-3);

  /** Whether to add {@code beta}. */
  public static final Arg<Boolean> CENTER = Arg.bool("center", true);

  /** Whether to multiply by {@code gamma}. */
  public static final Arg<Boolean> SCALE = Arg.bool("scale", true);

  /** Scale by the inverse root of the variance and {@code gamma} only. */
  public static final Arg<Boolean> RMS_SCALING = Arg.bool("rms_scaling", false);

  /** The initializer of {@code beta}. */
  public static final Arg<Initializer> BETA_INITIALIZER =
      LayerArgs.initializer("beta_initializer", "zeros");

  /** The initializer of {@code gamma}. */
  public static final Arg<Initializer> GAMMA_INITIALIZER =
      LayerArgs.initializer("gamma_initializer", "ones");

  /** A penalty on {@code beta}. */
  public static final Arg<Regularizer> BETA_REGULARIZER = LayerArgs.regularizer("beta_regularizer");

  /** A penalty on {@code gamma}. */
  public static final Arg<Regularizer> GAMMA_REGULARIZER =
      LayerArgs.regularizer("gamma_regularizer");

  /** A constraint on {@code beta}. */
  public static final Arg<Constraint> BETA_CONSTRAINT = LayerArgs.constraint("beta_constraint");

  /** A constraint on {@code gamma}. */
  public static final Arg<Constraint> GAMMA_CONSTRAINT = LayerArgs.constraint("gamma_constraint");

  /** LayerNormalization's declaration. */
  public static final KerasClass<LayerNormalization> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "LayerNormalization",
          LayerNormalization.class,
          a -> new LayerNormalization(),
          AXIS,
          EPSILON,
          CENTER,
          SCALE,
          RMS_SCALING,
          BETA_INITIALIZER,
          GAMMA_INITIALIZER,
          BETA_REGULARIZER,
          GAMMA_REGULARIZER,
          BETA_CONSTRAINT,
          GAMMA_CONSTRAINT);

  private Weight gamma;
  private Weight beta;
  private int[] axes;

  /** Layer normalization over the last axis with Keras's defaults. */
  public LayerNormalization() {
    this.supportsMasking = true;
  }

  /** Normalizes over these axes (default the last); a negative axis counts from the end. */
  public LayerNormalization axis(int... axes) {
    if (axes.length == 1) {
      args().set(AXIS, axes[0]);
    } else {
      List<Integer> l = new ArrayList<>();
      for (int a : axes) {
        l.add(a);
      }
      args().set(AXIS, l);
    }
    return this;
  }

  /** Added to the variance (default 1e-3). */
  public LayerNormalization epsilon(double e) {
    args().set(EPSILON, e);
    return this;
  }

  /** Whether to add {@code beta} (default true). */
  public LayerNormalization center(boolean c) {
    args().set(CENTER, c);
    return this;
  }

  /** Whether to multiply by {@code gamma} (default true). */
  public LayerNormalization scale(boolean s) {
    args().set(SCALE, s);
    return this;
  }

  /** Keras's {@code rms_scaling}: no centring and no {@code beta} (default false). */
  public LayerNormalization rmsScaling(boolean r) {
    args().set(RMS_SCALING, r);
    return this;
  }

  /** The initializer of {@code beta} (default zeros). */
  public LayerNormalization betaInitializer(Initializer i) {
    args().set(BETA_INITIALIZER, i);
    return this;
  }

  /** The initializer of {@code gamma} (default ones). */
  public LayerNormalization gammaInitializer(Initializer i) {
    args().set(GAMMA_INITIALIZER, i);
    return this;
  }

  /** A penalty on {@code beta}. */
  public LayerNormalization betaRegularizer(Regularizer r) {
    args().set(BETA_REGULARIZER, r);
    return this;
  }

  /** A penalty on {@code gamma}. */
  public LayerNormalization gammaRegularizer(Regularizer r) {
    args().set(GAMMA_REGULARIZER, r);
    return this;
  }

  /** A constraint on {@code beta}. */
  public LayerNormalization betaConstraint(Constraint c) {
    args().set(BETA_CONSTRAINT, c);
    return this;
  }

  /** A constraint on {@code gamma}. */
  public LayerNormalization gammaConstraint(Constraint c) {
    args().set(GAMMA_CONSTRAINT, c);
    return this;
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    Shape s = inputShapes.get(0);
    axes = AxisArgs.resolve(AxisArgs.toArray(args().get(AXIS)), s, true, name());
    int[] sizes = AxisArgs.sizes(s, axes, name());
    Args a = args();
    boolean rms = a.get(RMS_SCALING);
    if (a.get(SCALE) || rms) {
      gamma =
          addWeight(
              "gamma",
              sizes,
              a.get(GAMMA_INITIALIZER),
              true,
              a.get(GAMMA_REGULARIZER),
              a.get(GAMMA_CONSTRAINT));
    }
    if (a.get(CENTER) && !rms) {
      beta =
          addWeight(
              "beta",
              sizes,
              a.get(BETA_INITIALIZER),
              true,
              a.get(BETA_REGULARIZER),
              a.get(BETA_CONSTRAINT));
    }
  }

  @Override
  protected Value call(Ops ops, Value x) {
    double eps = args().get(EPSILON);
    Value g = gamma == null ? null : ops.read(gamma);
    if (!args().get(RMS_SCALING)) {
      return ops.layerNorm(x, g, beta == null ? null : ops.read(beta), axes, eps);
    }
    Value mean = ops.mean(x, true, axes);
    Value variance = ops.mean(ops.square(ops.sub(x, mean)), true, axes);
    Value y = ops.mul(x, ops.rsqrt(ops.add(variance, eps)));
    // Keras reshapes gamma (sizes in the order of `axis`) to the input's rank.
    int[] bshape = AxisArgs.broadcastShape(x.rank(), axes, gamma.type().shape().dims());
    return ops.mul(y, ops.reshape(g, bshape));
  }

  /** A LayerNormalization from its Keras config. */
  public static LayerNormalization fromConfig(Map<String, Object> c) {
    return Registry.fromConfig(Kind.LAYER, "LayerNormalization", c);
  }
}
