package dev.kiln.api.layers.normalization;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.Args;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.spi.DType;
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
 * <p>Under mixed precision (float32 weights), as in Keras 3, a float16 or bfloat16 input is
 * normalized in float32 and the output cast back to the input's dtype.
 *
 * {@snippet :
 * KerasTensor y = new LayerNormalization().epsilon(1e-6).apply(new Add().apply(x, attention));
 * }
 */
public class LayerNormalization extends AffineNormalization<LayerNormalization> {
  /** The axis or axes to normalize over (default -1). */
  public static final Arg<Object> AXIS = AxisArgs.axis("axis", -1);

  /** Scale by the inverse root of the variance and {@code gamma} only. */
  public static final Arg<Boolean> RMS_SCALING = Arg.bool("rms_scaling", false);

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

  /** Keras's {@code rms_scaling}: no centring and no {@code beta} (default false). */
  public LayerNormalization rmsScaling(boolean r) {
    args().set(RMS_SCALING, r);
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
      gamma = addGamma(sizes);
    }
    if (a.get(CENTER) && !rms) {
      beta = addBeta(sizes);
    }
  }

  @Override
  protected Value call(Ops ops, Value x) {
    // Keras 3 normalizes 16-bit inputs in float32 when the weights are float32 (mixed precision).
    return variableDtype() == DType.FLOAT32
        ? inFloat32(ops, x, v -> normalize(ops, v))
        : normalize(ops, x);
  }

  private Value normalize(Ops ops, Value x) {
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
