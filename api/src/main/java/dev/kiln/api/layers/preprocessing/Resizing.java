package dev.kiln.api.layers.preprocessing;

import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;

/**
 * Resizes images to {@code (height, width)} as Keras 3 (TensorFlow's resize with half-pixel
 * centers, no antialiasing): {@code (batch, rows, cols, channels)} to {@code (batch, height, width,
 * channels)} (channels_last). With {@code crop_to_aspect_ratio}, the largest centred window of the
 * target's aspect ratio is cut out first, so the image is not distorted.
 *
 * {@snippet :
 * Layer resize = new Resizing(64, 64).interpolation("nearest").cropToAspectRatio(true);
 * }
 */
public final class Resizing extends Layer {
  /** The output height. */
  public static final Arg<Integer> HEIGHT = Arg.positiveInt("height").required();

  /** The output width. */
  public static final Arg<Integer> WIDTH = Arg.positiveInt("width").required();

  /** {@code "bilinear"} (default) or {@code "nearest"}. */
  public static final Arg<String> INTERPOLATION =
      Arg.choice("interpolation", "bilinear", "bilinear", "nearest");

  /** Where the channels are: {@code channels_last} (default) or {@code channels_first}. */
  public static final Arg<String> DATA_FORMAT =
      Arg.choice("data_format", "channels_last", "channels_last", "channels_first");

  /** Whether to crop to the target aspect ratio before resizing. */
  public static final Arg<Boolean> CROP_TO_ASPECT_RATIO = Arg.bool("crop_to_aspect_ratio", false);

  /** Padding to the aspect ratio: only Keras's default (false) is supported. */
  public static final Arg<Boolean> PAD_TO_ASPECT_RATIO =
      Arg.bool("pad_to_aspect_ratio", false).checked("false (padding is not supported)", b -> !b);

  /** The fill mode of padding (unused without {@code pad_to_aspect_ratio}). */
  public static final Arg<String> FILL_MODE = Arg.choice("fill_mode", "constant", "constant");

  /** The fill value of padding (unused without {@code pad_to_aspect_ratio}). */
  public static final Arg<Double> FILL_VALUE = Arg.number("fill_value", 0.0);

  /** Antialiasing: only Keras's default (false) is supported. */
  public static final Arg<Boolean> ANTIALIAS =
      Arg.bool("antialias", false).checked("false (antialiasing is not supported)", b -> !b);

  /** Resizing's declaration. */
  public static final KerasClass<Resizing> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "Resizing",
          Resizing.class,
          a -> new Resizing(a.get(HEIGHT), a.get(WIDTH)),
          HEIGHT,
          WIDTH,
          INTERPOLATION,
          DATA_FORMAT,
          CROP_TO_ASPECT_RATIO,
          PAD_TO_ASPECT_RATIO,
          FILL_MODE,
          FILL_VALUE,
          ANTIALIAS);

  /**
   * Bilinear resizing to {@code (height, width)}.
   *
   * @throws IllegalArgumentException if a size is not positive
   */
  public Resizing(int height, int width) {
    args().set(HEIGHT, height);
    args().set(WIDTH, width);
    this.inputSpec = InputSpec.ndim(4);
  }

  /** {@code "bilinear"} (default) or {@code "nearest"}. */
  public Resizing interpolation(String interpolation) {
    args().set(INTERPOLATION, interpolation);
    return this;
  }

  /** {@code "channels_last"} (default) or {@code "channels_first"}. */
  public Resizing dataFormat(String format) {
    args().set(DATA_FORMAT, format);
    return this;
  }

  /** Whether to crop to the target aspect ratio first (default false). */
  public Resizing cropToAspectRatio(boolean crop) {
    args().set(CROP_TO_ASPECT_RATIO, crop);
    return this;
  }

  @Override
  protected Value call(Ops ops, Value x) {
    return resize(
        ops,
        x,
        args().get(HEIGHT),
        args().get(WIDTH),
        args().get(INTERPOLATION),
        args().get(CROP_TO_ASPECT_RATIO),
        args().get(DATA_FORMAT).equals("channels_first"));
  }

  /** Keras 3's {@code ops.image.resize} on a batch of images, for Resizing and CenterCrop. */
  static Value resize(
      Ops ops,
      Value x,
      int height,
      int width,
      String interpolation,
      boolean cropToAspectRatio,
      boolean channelsFirst) {
    Value y = channelsFirst ? ops.transpose(x, 0, 2, 3, 1) : x;
    if (cropToAspectRatio) {
      int h = y.shape().dim(1);
      int w = y.shape().dim(2);
      // Keras's arithmetic: the crop's sizes truncate, and its offsets truncate half the rest.
      int cropH = Math.max(Math.min(h, (int) ((double) w * height / width)), 1);
      int cropW = Math.max(Math.min(w, (int) ((double) h * width / height)), 1);
      y =
          ops.slice(
              y,
              new int[] {0, (h - cropH) / 2, (w - cropW) / 2, 0},
              new int[] {-1, cropH, cropW, -1});
    }
    y = ops.resizeImages(y, height, width, interpolation);
    return channelsFirst ? ops.transpose(y, 0, 3, 1, 2) : y;
  }
}
