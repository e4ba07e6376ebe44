package dev.kiln.api.layers.activations;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * The leaky rectifier, as Keras 3's {@code LeakyReLU}: {@code x} for {@code x > 0}, else {@code
 * negative_slope * x} (default slope 0.3). NaN stays NaN. Same shape in and out.
 */
public class LeakyReLU extends Layer {
  /** The slope for negative inputs. */
  public static final Arg<Double> NEGATIVE_SLOPE = Arg.nonNegative("negative_slope", 0.3);

  /** LeakyReLU's declaration. */
  public static final KerasClass<LeakyReLU> KERAS =
      KerasClass.of(
              Kind.LAYER,
              "LeakyReLU",
              LeakyReLU.class,
              a -> new LeakyReLU(a.get(NEGATIVE_SLOPE)),
              NEGATIVE_SLOPE)
          .tolerating("alpha");

  /** Slope 0.3, Keras's default. */
  public LeakyReLU() {
    this(0.3);
  }

  /**
   * The leaky rectifier with this slope.
   *
   * @throws IllegalArgumentException if the slope is negative
   */
  public LeakyReLU(double negativeSlope) {
    args().set(NEGATIVE_SLOPE, negativeSlope);
    this.supportsMasking = true;
  }

  /**
   * Also reads Keras 2's {@code alpha} (what TF.js and old Keras files write), which Keras 3 still
   * takes in place of {@code negative_slope}.
   */
  @Override
  public void readCommonConfig(Map<String, Object> c) {
    super.readCommonConfig(c);
    Object alpha = c.get("alpha");
    if (alpha != null) {
      args().set(NEGATIVE_SLOPE, NEGATIVE_SLOPE.read(alpha, "layer '" + name() + "' (alpha)"));
    }
  }

  @Override
  protected Value call(Ops ops, Value x) {
    // The product, not a constant, on the false branch: NaN * slope keeps NaN.
    return ops.where(ops.greater(x, 0), x, ops.mul(x, args().get(NEGATIVE_SLOPE)));
  }
}
