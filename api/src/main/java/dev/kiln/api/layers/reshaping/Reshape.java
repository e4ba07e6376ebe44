package dev.kiln.api.layers.reshaping;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.core.Configs;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.Arrays;
import java.util.Map;

/**
 * Reshapes each sample to {@code targetShape} (batch axis excluded; one entry may be -1, inferred).
 */
public final class Reshape extends Layer {
  private final int[] targetShape;

  /**
   * Reshapes to {@code targetShape}.
   *
   * @throws IllegalArgumentException for more than one -1 or a size below -1 or 0
   */
  public Reshape(int... targetShape) {
    int unknown = 0;
    for (int d : targetShape) {
      if (d == -1) {
        unknown++;
      } else if (d <= 0) {
        throw new IllegalArgumentException(
            "Invalid target shape "
                + Arrays.toString(targetShape)
                + ": sizes must be positive or -1. Received: target_shape="
                + Arrays.toString(targetShape));
      }
    }
    if (unknown > 1) {
      throw new IllegalArgumentException(
          "There must be at most one unknown dimension (-1) in target_shape. Received:"
              + " target_shape="
              + Arrays.toString(targetShape));
    }
    this.targetShape = targetShape.clone();
  }

  @Override
  protected Value call(Ops ops, Value x) {
    long in = 1;
    for (int i = 1; i < x.rank(); i++) {
      in *= x.shape().dim(i);
    }
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
        + Arrays.toString(targetShape);
  }

  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = super.getConfig();
    c.put("target_shape", Arrays.stream(targetShape).boxed().toList());
    return c;
  }

  /** From a Keras config. */
  public static Reshape fromConfig(Map<String, Object> c) {
    Reshape r = new Reshape(Configs.intsOf(c, "target_shape"));
    Configs.common(r, c);
    return r;
  }
}
