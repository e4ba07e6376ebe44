package dev.kiln.api.layers.regularization;

import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;

/**
 * Spatial dropout for sequences {@code (batch, steps, channels)}, as Keras 3's {@code
 * SpatialDropout1D}: in training a channel is dropped for all steps at once, the others scaled by
 * {@code 1 / (1 - rate)}; the identity in inference.
 *
 * {@snippet :
 * KerasTensor y = new SpatialDropout1D(0.2).apply(embedded);
 * }
 */
public class SpatialDropout1D extends SpatialDropout {
  /** SpatialDropout1D's declaration. */
  public static final KerasClass<SpatialDropout1D> KERAS =
      KerasClass.of(
              Kind.LAYER,
              "SpatialDropout1D",
              SpatialDropout1D.class,
              a -> new SpatialDropout1D(a.get(RATE)),
              RATE,
              SEED)
          // Keras 2 (and TF.js) write Dropout's noise_shape, always null here.
          .tolerating("noise_shape");

  /**
   * Drops a fraction {@code rate} of the channels.
   *
   * @throws IllegalArgumentException unless {@code 0 <= rate <= 1}
   */
  public SpatialDropout1D(double rate) {
    super(rate, 1);
  }

  @Override
  protected boolean channelsFirst() {
    return false;
  }
}
