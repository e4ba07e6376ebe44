package dev.kiln.api.layers.reshaping;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.Arrays;

/**
 * Reshapes each sample to {@code targetShape} (batch axis excluded; one entry may be -1, inferred).
 */
public final class Reshape extends Layer {
  /** The shape of each sample; one entry may be -1. */
  public static final Arg<int[]> TARGET_SHAPE =
      Arg.ints("target_shape", null)
          .required()
          .checked("a list of positive sizes with at most one -1", Reshape::isTargetShape);

  /** Reshape's declaration. */
  public static final KerasClass<Reshape> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "Reshape",
          Reshape.class,
          a -> new Reshape(a.get(TARGET_SHAPE)),
          TARGET_SHAPE);

  private static boolean isTargetShape(int[] shape) {
    int unknown = 0;
    for (int d : shape) {
      if (d == -1) {
        unknown++;
      } else if (d <= 0) {
        return false;
      }
    }
    return unknown <= 1;
  }

  /**
   * Reshapes to {@code targetShape}.
   *
   * @throws IllegalArgumentException for more than one -1 or a size below -1 or 0
   */
  public Reshape(int... targetShape) {
    args().set(TARGET_SHAPE, targetShape.clone());
  }

  @Override
  protected Value call(Ops ops, Value x) {
    long in = 1;
    for (int i = 1; i < x.rank(); i++) {
      in *= x.shape().dim(i);
    }
    int[] targetShape = args().get(TARGET_SHAPE);
    long known = 1;
    int unknownAt = -1;
    for (int i = 0; i < targetShape.length; i++) {
      if (targetShape[i] == -1) {
        unknownAt = i;
      } else {
        known *= targetShape[i];
      }
    }
    int[] out = targetShape.clone();
    if (unknownAt >= 0) {
      if (in % known != 0) {
        throw new IllegalArgumentException(bad(x.shape()));
      }
      out[unknownAt] = (int) (in / known);
    } else if (known != in) {
      throw new IllegalArgumentException(bad(x.shape()));
    }
    return ops.reshapeBatch(x, out);
  }

  private String bad(Shape in) {
    return "The total size of the tensor must be unchanged. Received: input_shape="
        + in
        + ", target_shape="
        + Arrays.toString(args().get(TARGET_SHAPE));
  }
}
