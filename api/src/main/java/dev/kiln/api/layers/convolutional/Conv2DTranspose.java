package dev.kiln.api.layers.convolutional;

import dev.kiln.api.registry.KerasClass;
import java.util.Map;

/**
 * 2-D transposed convolution, as Keras's {@code Conv2DTranspose}: input {@code (batch, height,
 * width, channels)} (channels-last, or channels second with {@code data_format="channels_first"}),
 * output {@code filters} channels with each spatial axis upsampled by its stride; kernel {@code
 * (kernel_size..., filters, in)}, bias {@code (filters,)}. See {@link BaseConvTranspose} for the
 * output size.
 *
 * {@snippet :
 * Conv2DTranspose up = new Conv2DTranspose(8, 3).strides(2).padding("same");
 * }
 */
public class Conv2DTranspose extends BaseConvTranspose<Conv2DTranspose> {
  /**
   * Conv2DTranspose's declaration: its Keras class name (alias {@code Convolution2DTranspose}) and
   * arguments.
   */
  public static final KerasClass<Conv2DTranspose> KERAS =
      declare("Conv2DTranspose", Conv2DTranspose.class, 2, Conv2DTranspose::new)
          .aliases("Convolution2DTranspose");

  /**
   * A transposed convolution of {@code filters} outputs with a window of {@code kernelSize} (one
   * value for every axis, or one per axis).
   *
   * @throws dev.kiln.api.registry.ArgumentException if a size is not positive
   */
  public Conv2DTranspose(int filters, int... kernelSize) {
    super(2, filters, kernelSize);
  }

  /** A Conv2DTranspose from its Keras config. */
  public static Conv2DTranspose fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
