package dev.kiln.api.layers.activations;

import dev.kiln.api.constraints.Constraint;
import dev.kiln.api.initializers.Initializer;
import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.LayerArgs;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.regularizers.Regularizer;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.List;

/**
 * The parametric rectifier, as Keras 3's {@code PReLU}: {@code relu(x) - alpha * relu(-x)} with a
 * learned {@code alpha} per input position (weight {@code alpha}, shaped like the input without the
 * batch axis; size 1 on the {@code shared_axes}, so a conv layer's maps can share one slope per
 * channel with {@code sharedAxes(1, 2)}). NaN stays NaN. Same shape in and out.
 *
 * {@snippet :
 * KerasTensor y = new PReLU().sharedAxes(1, 2).apply(convOutput);
 * }
 */
public class PReLU extends Layer {
  /** The initializer of {@code alpha}. */
  public static final Arg<Initializer> ALPHA_INITIALIZER =
      LayerArgs.initializer("alpha_initializer", "zeros");

  /** A penalty on {@code alpha}. */
  public static final Arg<Regularizer> ALPHA_REGULARIZER =
      LayerArgs.regularizer("alpha_regularizer");

  /** A constraint on {@code alpha}. */
  public static final Arg<Constraint> ALPHA_CONSTRAINT = LayerArgs.constraint("alpha_constraint");

  /** The axes (1 is the first after the batch) along which one slope is shared, or null. */
  public static final Arg<int[]> SHARED_AXES =
      Arg.ints("shared_axes", null)
          .checked(
              "null or a list of axes >= 1", v -> java.util.Arrays.stream(v).allMatch(a -> a >= 1));

  /** PReLU's declaration. */
  public static final KerasClass<PReLU> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "PReLU",
          PReLU.class,
          a -> new PReLU(),
          ALPHA_INITIALIZER,
          ALPHA_REGULARIZER,
          ALPHA_CONSTRAINT,
          SHARED_AXES);

  private Weight alpha;

  /** A slope per input position, initialized to 0. */
  public PReLU() {
    this.supportsMasking = true;
  }

  /** The initializer of {@code alpha} (default zeros). */
  public PReLU alphaInitializer(Initializer i) {
    args().set(ALPHA_INITIALIZER, i);
    return this;
  }

  /** A penalty on {@code alpha}. */
  public PReLU alphaRegularizer(Regularizer r) {
    args().set(ALPHA_REGULARIZER, r);
    return this;
  }

  /** A constraint on {@code alpha}. */
  public PReLU alphaConstraint(Constraint c) {
    args().set(ALPHA_CONSTRAINT, c);
    return this;
  }

  /**
   * Shares one slope along these axes (1 is the first axis after the batch).
   *
   * @throws IllegalArgumentException if an axis is below 1
   */
  public PReLU sharedAxes(int... axes) {
    args().set(SHARED_AXES, axes);
    return this;
  }

  /** The slopes; null before build. */
  public Weight alpha() {
    return alpha;
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    Shape s = inputShapes.get(0);
    int[] shared = args().get(SHARED_AXES);
    int[] p = new int[s.rank() - 1];
    for (int i = 1; i < s.rank(); i++) {
      p[i - 1] = s.dim(i);
    }
    if (shared != null) {
      for (int a : shared) {
        if (a >= s.rank()) {
          throw new IllegalArgumentException(
              "layer '" + name() + "': shared axis " + a + " is out of range for the input " + s);
        }
        p[a - 1] = 1;
      }
    }
    for (int i = 0; i < p.length; i++) {
      if (p[i] == Shape.UNKNOWN) {
        throw new IllegalArgumentException(
            "layer '"
                + name()
                + "': axis "
                + (i + 1)
                + " of the input has no known size and is not in shared_axes; input shape "
                + s);
      }
    }
    alpha =
        addWeight(
            "alpha",
            p,
            args().get(ALPHA_INITIALIZER),
            true,
            args().get(ALPHA_REGULARIZER),
            args().get(ALPHA_CONSTRAINT));
    // As Keras: the sizes of the axes with their own slopes are fixed; shared axes may vary.
    InputSpec spec = InputSpec.ndim(s.rank());
    for (int i = 1; i < s.rank(); i++) {
      final int axis = i;
      if (shared == null || java.util.Arrays.stream(shared).noneMatch(a -> a == axis)) {
        spec = spec.withAxis(i, s.dim(i));
      }
    }
    inputSpec = spec;
  }

  @Override
  protected Value call(Ops ops, Value x) {
    Value neg = ops.mul(ops.read(alpha), ops.relu(ops.neg(x)));
    return ops.sub(ops.relu(x), neg);
  }
}
