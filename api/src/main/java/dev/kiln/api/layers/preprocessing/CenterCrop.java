package dev.kiln.api.layers.preprocessing;

import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;

/**
 * Cuts the central {@code (height, width)} window out of images: {@code (batch, rows, cols,
 * channels)} to {@code (batch, height, width, channels)} (channels_last). As Keras, an image
 * smaller than the target on either axis is instead resized (bilinear) after cropping it to the
 * target's aspect ratio.
 *
 * {@snippet :
 * Layer crop = new CenterCrop(24, 24);
 * }
 */
public final class CenterCrop extends Layer {
  /** The output height. */
  public static final Arg<Integer> HEIGHT = Arg.positiveInt("height").required();

  /** The output width. */
  public static final Arg<Integer> WIDTH = Arg.positiveInt("width").required();

  /** Where the channels are: {@code channels_last} (default) or {@code channels_first}. */
  public static final Arg<String> DATA_FORMAT =
      Arg.choice("data_format", "channels_last", "channels_last", "channels_first");

  /** CenterCrop's declaration. */
  public static final KerasClass<CenterCrop> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "CenterCrop",
          CenterCrop.class,
          a -> new CenterCrop(a.get(HEIGHT), a.get(WIDTH)),
          HEIGHT,
          WIDTH,
          DATA_FORMAT);

  /**
   * The central {@code (height, width)} window.
   *
   * @throws IllegalArgumentException if a size is not positive
   */
  public CenterCrop(int height, int width) {
    args().set(HEIGHT, height);
    args().set(WIDTH, width);
    this.inputSpec = InputSpec.ndim(4);
  }

  /** {@code "channels_last"} (default) or {@code "channels_first"}. */
  public CenterCrop dataFormat(String format) {
    args().set(DATA_FORMAT, format);
    return this;
  }

  @Override
  protected Value call(Ops ops, Value x) {
    int height = args().get(HEIGHT);
    int width = args().get(WIDTH);
    boolean first = args().get(DATA_FORMAT).equals("channels_first");
    int hAxis = first ? 2 : 1;
    int h = x.shape().dim(hAxis);
    int w = x.shape().dim(hAxis + 1);
    if (h >= height && w >= width) {
      int[] begin = new int[4];
      int[] size = {-1, -1, -1, -1};
      begin[hAxis] = (h - height) / 2;
      begin[hAxis + 1] = (w - width) / 2;
      size[hAxis] = height;
      size[hAxis + 1] = width;
      return ops.slice(x, begin, size);
    }
    return Resizing.resize(ops, x, height, width, "bilinear", true, first);
  }
}
