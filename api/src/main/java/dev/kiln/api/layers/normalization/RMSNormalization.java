package dev.kiln.api.layers.normalization;

import dev.kiln.api.initializers.Initializers;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Root-mean-square normalization, as Keras 3's {@code RMSNormalization}: {@code x / sqrt(mean(x^2)
 * + epsilon) * scale} over {@code axis} (no centring). One weight, {@code scale} (ones), shaped
 * like the input on {@code axis} (several axes sorted, as Keras does). Same shape in and out.
 *
 * {@snippet :
 * KerasTensor y = new RMSNormalization().epsilon(1e-5).apply(hidden);
 * }
 */
public class RMSNormalization extends Layer {
  /** The axis or axes to normalize over (default -1). */
  public static final Arg<Object> AXIS = AxisArgs.axis("axis", -1);

  /** Added to the mean square before the square root. */
  public static final Arg<Double> EPSILON = Arg.nonNegative("epsilon", 1e-6);

  /** RMSNormalization's declaration. */
  public static final KerasClass<RMSNormalization> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "RMSNormalization",
          RMSNormalization.class,
          a -> new RMSNormalization(),
          AXIS,
          EPSILON);

  private Weight scale;
  private int[] axes;

  /** RMS normalization over the last axis, epsilon 1e-6. */
  public RMSNormalization() {}

  /** Normalizes over these axes (default the last). */
  public RMSNormalization axis(int... axes) {
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

  /** Added to the mean square (default 1e-6). */
  public RMSNormalization epsilon(double e) {
    args().set(EPSILON, e);
    return this;
  }

  /** The scale; null before build. */
  public Weight scale() {
    return scale;
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    Shape s = inputShapes.get(0);
    axes = AxisArgs.resolve(AxisArgs.toArray(args().get(AXIS)), s, true, name());
    // Keras sorts a list of axes before taking the sizes.
    Arrays.sort(axes);
    scale = addWeight("scale", AxisArgs.sizes(s, axes, name()), Initializers.ones(), true);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    Value ms = ops.mean(ops.square(x), true, axes);
    Value y = ops.mul(x, ops.rsqrt(ops.add(ms, args().get(EPSILON))));
    int[] bshape = AxisArgs.broadcastShape(x.rank(), axes, scale.type().shape().dims());
    return ops.mul(y, ops.reshape(ops.read(scale), bshape));
  }
}
