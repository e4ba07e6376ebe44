package dev.kiln.api.layers.reshaping;

import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;

/**
 * Scales images up by integer factors: {@code (batch, rows, cols, channels)} to {@code (batch, rows
 * * size[0], cols * size[1], channels)} (channels_last). {@code "nearest"} repeats pixels; {@code
 * "bilinear"} interpolates as Keras 3 (TensorFlow's resize with half-pixel centers).
 *
 * {@snippet :
 * Layer up = new UpSampling2D(2, 2).interpolation("bilinear");
 * }
 */
public final class UpSampling2D extends Layer {
  /** The factors for rows and columns. */
  public static final Arg<int[]> SIZE = Spatial.sizes("size", 2, new int[] {2, 2});

  /** Where the channels are: {@code channels_last} (default) or {@code channels_first}. */
  public static final Arg<String> DATA_FORMAT = Spatial.dataFormat();

  /** {@code "nearest"} (default) or {@code "bilinear"}. */
  public static final Arg<String> INTERPOLATION =
      Arg.choice("interpolation", "nearest", "nearest", "bilinear");

  /** UpSampling2D's declaration. */
  public static final KerasClass<UpSampling2D> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "UpSampling2D",
          UpSampling2D.class,
          a -> new UpSampling2D(a.get(SIZE)),
          SIZE,
          DATA_FORMAT,
          INTERPOLATION);

  /** Keras's default: twice the rows and columns, nearest. */
  public UpSampling2D() {
    this(2, 2);
  }

  /**
   * The factors for rows and columns (one value for both).
   *
   * @throws IllegalArgumentException unless one or two positive factors are given
   */
  public UpSampling2D(int... size) {
    args().set(SIZE, Spatial.factors(size, 2));
    this.inputSpec = InputSpec.ndim(4);
  }

  /** {@code "channels_last"} (default) or {@code "channels_first"}. */
  public UpSampling2D dataFormat(String format) {
    args().set(DATA_FORMAT, format);
    return this;
  }

  /** {@code "nearest"} (default) or {@code "bilinear"}. */
  public UpSampling2D interpolation(String interpolation) {
    args().set(INTERPOLATION, interpolation);
    return this;
  }

  @Override
  protected Value call(Ops ops, Value x) {
    int[] size = args().get(SIZE);
    boolean first = args().get(DATA_FORMAT).equals("channels_first");
    if (args().get(INTERPOLATION).equals("nearest")) {
      int[] axes = Spatial.axes(2, args().get(DATA_FORMAT));
      return ops.repeat(ops.repeat(x, size[0], axes[0]), size[1], axes[1]);
    }
    Value y = first ? ops.transpose(x, 0, 2, 3, 1) : x;
    Shape s = y.shape();
    y = ops.resizeImages(y, s.dim(1) * size[0], s.dim(2) * size[1], "bilinear");
    return first ? ops.transpose(y, 0, 3, 1, 2) : y;
  }
}
