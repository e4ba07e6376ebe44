package dev.kiln.api.layers.activations;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;

/**
 * The rectified linear unit with Keras 3's arguments: {@code min(x, max_value)} for {@code x >
 * threshold}, {@code negative_slope * (x - threshold)} below it, and 0 between 0 and the threshold
 * when the slope is 0. With the defaults it is {@code max(x, 0)}. NaN stays NaN. Same shape in and
 * out.
 *
 * {@snippet :
 * Layer relu6 = new ReLU().maxValue(6.0);
 * Layer leakyClipped = new ReLU().maxValue(1.0).negativeSlope(0.1).threshold(0.5);
 * }
 */
public class ReLU extends Layer {
  /** The largest output, or null for none. */
  public static final Arg<Double> MAX_VALUE =
      Arg.number("max_value", null).checked("a number >= 0 or null", v -> v >= 0).nullable();

  /** The slope below the threshold. */
  public static final Arg<Double> NEGATIVE_SLOPE = Arg.nonNegative("negative_slope", 0.0);

  /** Where the unit turns on. */
  public static final Arg<Double> THRESHOLD = Arg.nonNegative("threshold", 0.0);

  /** ReLU's declaration. */
  public static final KerasClass<ReLU> KERAS =
      KerasClass.of(
          Kind.LAYER, "ReLU", ReLU.class, a -> new ReLU(), MAX_VALUE, NEGATIVE_SLOPE, THRESHOLD);

  /** {@code max(x, 0)}. */
  public ReLU() {
    this.supportsMasking = true;
  }

  /**
   * The largest output.
   *
   * @throws IllegalArgumentException if negative
   */
  public ReLU maxValue(double v) {
    return maxValue(Double.valueOf(v));
  }

  /**
   * The largest output (null: none).
   *
   * @throws IllegalArgumentException if negative
   */
  public ReLU maxValue(Double v) {
    args().set(MAX_VALUE, v);
    return this;
  }

  /**
   * The slope below the threshold (default 0).
   *
   * @throws IllegalArgumentException if negative
   */
  public ReLU negativeSlope(double s) {
    args().set(NEGATIVE_SLOPE, s);
    return this;
  }

  /**
   * Where the unit turns on (default 0).
   *
   * @throws IllegalArgumentException if negative
   */
  public ReLU threshold(double t) {
    args().set(THRESHOLD, t);
    return this;
  }

  @Override
  protected Value call(Ops ops, Value x) {
    return relu(ops, x, args().get(NEGATIVE_SLOPE), args().get(MAX_VALUE), args().get(THRESHOLD));
  }

  /**
   * Keras's {@code relu(x, negative_slope, max_value, threshold)}, written so that NaN propagates:
   * the comparisons select {@code x} itself when they are false for NaN.
   */
  static Value relu(Ops ops, Value x, double slope, Double maxValue, double threshold) {
    if (slope != 0 && maxValue == null && threshold == 0) {
      return ops.where(ops.greater(x, 0), x, ops.mul(x, slope));
    }
    Value y =
        threshold != 0
            ? ops.where(ops.lessEqual(x, ops.scalarLike(threshold, x)), ops.fillLike(0, x), x)
            : ops.relu(x);
    if (maxValue != null) {
      y = ops.where(ops.greater(y, maxValue), ops.fillLike(maxValue, x), y);
    }
    if (slope != 0) {
      // Below the threshold: slope * (x - threshold), i.e. minus slope * relu(threshold - x).
      y = ops.sub(y, ops.mul(ops.relu(ops.sub(threshold, x)), slope));
    }
    return y;
  }
}
