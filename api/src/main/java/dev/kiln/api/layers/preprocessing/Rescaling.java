package dev.kiln.api.layers.preprocessing;

import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code x * scale + offset}, as float32: {@code new Rescaling(1 / 255.0)} maps bytes to [0, 1].
 * The scale and the offset are each one number, or one number per channel (the last axis), as
 * Keras's {@code Rescaling(scale=[...])}: {@code new Rescaling(new double[] {1 / 0.229, 1 / 0.224,
 * 1 / 0.225}, 0)} divides each colour channel by its own standard deviation.
 */
public final class Rescaling extends Layer {
  /** The factor: a number, or a list of one number per channel. */
  public static final Arg<double[]> SCALE = numbers("scale", null).required();

  /** The offset added after scaling: a number, or a list of one number per channel. */
  public static final Arg<double[]> OFFSET = numbers("offset", new double[] {0});

  /** Rescaling's declaration. */
  public static final KerasClass<Rescaling> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "Rescaling",
          Rescaling.class,
          a -> new Rescaling(a.get(SCALE), a.get(OFFSET)),
          SCALE,
          OFFSET);

  // A number is read as one value; a list of one value is written back as a number, which Keras
  // reads the same (it broadcasts either).
  private static Arg<double[]> numbers(String key, double[] defaultValue) {
    return Arg.<double[]>of(
            key,
            "a number or a non-empty list of numbers (one per channel)",
            defaultValue,
            v -> {
              if (v instanceof Number n) {
                return new double[] {n.doubleValue()};
              }
              if (!(v instanceof List<?> l) || l.isEmpty()) {
                return null;
              }
              double[] out = new double[l.size()];
              for (int i = 0; i < out.length; i++) {
                if (!(l.get(i) instanceof Number n)) {
                  return null;
                }
                out[i] = n.doubleValue();
              }
              return out;
            },
            d -> d.length == 1 ? (Object) d[0] : Arrays.stream(d).boxed().toList())
        .schema(
            Map.of(
                "type",
                List.of("number", "array"),
                "items",
                Map.of("type", "number"),
                "minItems",
                1));
  }

  private Tensor scaleByChannel;
  private Tensor offsetByChannel;

  /**
   * Multiplies by {@code scale}, then adds {@code offset}; each has one value, or one per channel.
   *
   * @throws IllegalArgumentException if either is empty
   */
  public Rescaling(double[] scale, double[] offset) {
    if (scale.length == 0 || offset.length == 0) {
      throw new IllegalArgumentException(
          "Rescaling: scale and offset need at least one value. Received: scale="
              + Arrays.toString(scale)
              + ", offset="
              + Arrays.toString(offset));
    }
    args().set(SCALE, scale.clone());
    args().set(OFFSET, offset.clone());
    this.supportsMasking = true;
  }

  /** Multiplies each channel by its own {@code scale}, then adds {@code offset}. */
  public Rescaling(double[] scale, double offset) {
    this(scale, new double[] {offset});
  }

  /** Multiplies by {@code scale}, then adds {@code offset}. */
  public Rescaling(double scale, double offset) {
    this(new double[] {scale}, new double[] {offset});
  }

  /** Multiplies by {@code scale}. */
  public Rescaling(double scale) {
    this(scale, 0);
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    Shape s = inputShapes.get(0);
    scaleByChannel = perChannel(SCALE, s);
    offsetByChannel = perChannel(OFFSET, s);
  }

  /** A per-channel argument as a tensor broadcasting over the input, or null for one value. */
  private Tensor perChannel(Arg<double[]> arg, Shape input) {
    double[] v = args().get(arg);
    if (v.length == 1) {
      return null;
    }
    int channels = input.rank() == 0 ? -1 : input.dim(-1);
    if (channels != v.length) {
      throw new IllegalArgumentException(
          "Rescaling \""
              + name()
              + "\": "
              + arg.key()
              + " has "
              + v.length
              + " values, one per channel, but the input of shape "
              + input
              + " has "
              + (channels < 0 ? "an unknown number of" : String.valueOf(channels))
              + " channels on its last axis");
    }
    int[] shape = new int[input.rank()];
    Arrays.fill(shape, 1);
    shape[shape.length - 1] = v.length;
    float[] f = new float[v.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) v[i];
    }
    return Tensor.of(f, shape);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    // As Keras: in the compute dtype, so images come out in float16 under mixed_float16.
    DType d = computeDtype();
    Value f = ops.cast(x, d);
    Value y =
        scaleByChannel != null
            ? ops.mul(f, ops.cast(ops.constant(scaleByChannel), d))
            : ops.mul(f, args().get(SCALE)[0]);
    if (offsetByChannel != null) {
      return ops.add(y, ops.cast(ops.constant(offsetByChannel), d));
    }
    double offset = args().get(OFFSET)[0];
    return offset == 0 ? y : ops.add(y, offset);
  }
}
