package dev.kiln.api.layers.regularization;

import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;

/**
 * Spatial dropout for 2-D feature maps, as Keras 3's {@code SpatialDropout2D}: input {@code (batch,
 * rows, cols, channels)} (or channels first); in training a channel is dropped over the whole map,
 * the others scaled by {@code 1 / (1 - rate)}; the identity in inference.
 *
 * {@snippet :
 * KerasTensor y = new SpatialDropout2D(0.1).apply(features);
 * }
 */
public class SpatialDropout2D extends SpatialDropout {
  /** Where the channels are: {@code channels_last} (default) or {@code channels_first}. */
  public static final Arg<String> DATA_FORMAT =
      Arg.choice("data_format", "channels_last", "channels_last", "channels_first");

  /** SpatialDropout2D's declaration. */
  public static final KerasClass<SpatialDropout2D> KERAS =
      KerasClass.of(
              Kind.LAYER,
              "SpatialDropout2D",
              SpatialDropout2D.class,
              a -> new SpatialDropout2D(a.get(RATE)),
              RATE,
              DATA_FORMAT,
              SEED)
          // Keras 2 (and TF.js) write Dropout's noise_shape, always null here; Keras ignores it.
          .tolerating("noise_shape");

  /**
   * Drops a fraction {@code rate} of the channels.
   *
   * @throws IllegalArgumentException unless {@code 0 <= rate <= 1}
   */
  public SpatialDropout2D(double rate) {
    super(rate, 2);
  }

  /** Where the channels are: {@code "channels_last"} (default) or {@code "channels_first"}. */
  public SpatialDropout2D dataFormat(String format) {
    args().set(DATA_FORMAT, format);
    return this;
  }

  @Override
  protected boolean channelsFirst() {
    return args().get(DATA_FORMAT).equals("channels_first");
  }
}
