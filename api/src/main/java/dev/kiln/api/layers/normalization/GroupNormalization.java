package dev.kiln.api.layers.normalization;

import dev.kiln.api.layers.InputSpec;
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
 * Group normalization, as Keras 3's {@code GroupNormalization}: the channels of {@code axis} are
 * split into {@code groups} consecutive groups, and each example is normalized per group over the
 * group's channels and every other non-batch axis (biased variance), then scaled by {@code gamma}
 * and shifted by {@code beta}, one per channel, in that order. {@code groups = -1} makes one group
 * per channel (instance normalization); {@code groups = 1} is layer normalization over everything.
 * Same shape in and out; the same in training and inference.
 *
 * {@snippet :
 * KerasTensor y = new GroupNormalization(8).apply(features); // 32 channels in 8 groups of 4
 * }
 */
public class GroupNormalization extends AffineNormalization<GroupNormalization> {
  /** The number of groups; -1 for one per channel. */
  public static final Arg<Integer> GROUPS =
      Arg.integer("groups", 32).checked("a positive integer or -1", v -> v > 0 || v == -1);

  /** The channel axis (default -1). */
  public static final Arg<Integer> AXIS = Arg.integer("axis", -1);

  /** GroupNormalization's declaration. */
  public static final KerasClass<GroupNormalization> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "GroupNormalization",
          GroupNormalization.class,
          a -> new GroupNormalization(a.get(GROUPS)),
          GROUPS,
          AXIS,
          EPSILON,
          CENTER,
          SCALE,
          BETA_INITIALIZER,
          GAMMA_INITIALIZER,
          BETA_REGULARIZER,
          GAMMA_REGULARIZER,
          BETA_CONSTRAINT,
          GAMMA_CONSTRAINT);

  private Weight gamma;
  private Weight beta;
  private int axis;
  private int groups;

  /** Group normalization with Keras's default of 32 groups. */
  public GroupNormalization() {
    this(32);
  }

  /**
   * Group normalization with {@code groups} groups (-1: one per channel).
   *
   * @throws IllegalArgumentException unless {@code groups > 0} or {@code groups == -1}
   */
  public GroupNormalization(int groups) {
    args().set(GROUPS, groups);
    this.supportsMasking = true;
  }

  /** The channel axis (default -1; 1 for channels-first). */
  public GroupNormalization axis(int a) {
    args().set(AXIS, a);
    return this;
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    Shape s = inputShapes.get(0);
    axis = AxisArgs.resolve(new int[] {args().get(AXIS)}, s, false, name())[0];
    int dim = AxisArgs.sizes(s, new int[] {axis}, name())[0];
    int g = args().get(GROUPS);
    groups = g == -1 ? dim : g;
    if (dim < groups || dim % groups != 0) {
      throw new IllegalArgumentException(
          "layer '"
              + name()
              + "': the number of groups ("
              + groups
              + ") must divide the number of channels ("
              + dim
              + ") on axis "
              + args().get(AXIS)
              + " of the input shape "
              + s);
    }
    Args a = args();
    if (a.get(SCALE)) {
      gamma = addGamma(new int[] {dim});
    }
    if (a.get(CENTER)) {
      beta = addBeta(new int[] {dim});
    }
    inputSpec = InputSpec.ndim(s.rank()).withAxis(axis, dim);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    int rank = x.rank();
    int dim = x.shape().dim(axis);
    // (..., C, ...) -> (..., G, C/G, ...): the group axis sits where the channel axis was.
    int[] grouped = new int[rank + 1];
    int[] bshape = new int[rank + 1];
    for (int i = 0, j = 0; i < rank; i++, j++) {
      if (i == axis) {
        grouped[j] = groups;
        bshape[j] = groups;
        j++;
        grouped[j] = dim / groups;
        bshape[j] = dim / groups;
      } else {
        grouped[j] = i == 0 ? -1 : x.shape().dim(i);
        bshape[j] = 1;
      }
    }
    Value r = i0Reshape(ops, x, grouped);
    int[] red = new int[rank - 1];
    for (int i = 1, k = 0; i <= rank; i++) {
      if (i != axis) {
        red[k++] = i;
      }
    }
    double eps = args().get(EPSILON);
    Value mean = ops.mean(r, true, red);
    Value variance = ops.mean(ops.square(ops.sub(r, mean)), true, red);
    Value inv = ops.rsqrt(ops.add(variance, eps));
    if (gamma != null) {
      inv = ops.mul(inv, ops.reshape(ops.read(gamma), bshape));
    }
    Value y = ops.mul(ops.sub(r, mean), inv);
    if (beta != null) {
      y = ops.add(y, ops.reshape(ops.read(beta), bshape));
    }
    int[] back = x.shape().dims();
    back[0] = -1;
    return i0Reshape(ops, y, back);
  }

  // The batch axis may be unknown while shapes are inferred: reshape the rest around it.
  private static Value i0Reshape(Ops ops, Value x, int[] dims) {
    int[] rest = java.util.Arrays.copyOfRange(dims, 1, dims.length);
    return ops.reshapeBatch(x, rest);
  }

  /** A GroupNormalization from its Keras config. */
  public static GroupNormalization fromConfig(Map<String, Object> c) {
    return Registry.fromConfig(Kind.LAYER, "GroupNormalization", c);
  }
}
