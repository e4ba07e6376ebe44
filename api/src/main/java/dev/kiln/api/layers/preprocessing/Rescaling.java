package dev.kiln.api.layers.preprocessing;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.DType;
import dev.kiln.spi.ir.Value;

/**
 * {@code x * scale + offset}, as float32: {@code new Rescaling(1 / 255.0)} maps bytes to [0, 1].
 */
public final class Rescaling extends Layer {
  /** The factor. */
  public static final Arg<Double> SCALE = Arg.number("scale", null).required();

  /** The offset added after scaling. */
  public static final Arg<Double> OFFSET = Arg.number("offset", 0.0);

  /** Rescaling's declaration. */
  public static final KerasClass<Rescaling> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "Rescaling",
          Rescaling.class,
          a -> new Rescaling(a.get(SCALE), a.get(OFFSET)),
          SCALE,
          OFFSET);

  /** Multiplies by {@code scale}, then adds {@code offset}. */
  public Rescaling(double scale, double offset) {
    args().set(SCALE, scale);
    args().set(OFFSET, offset);
    this.supportsMasking = true;
  }

  /** Multiplies by {@code scale}. */
  public Rescaling(double scale) {
    this(scale, 0);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    Value f = ops.cast(x, DType.FLOAT32);
    double scale = args().get(SCALE);
    double offset = args().get(OFFSET);
    Value y = ops.mul(f, scale);
    return offset == 0 ? y : ops.add(y, offset);
  }
}
