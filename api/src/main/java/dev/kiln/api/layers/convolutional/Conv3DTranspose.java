package dev.kiln.api.layers.convolutional;

import dev.kiln.api.registry.KerasClass;
import java.util.Map;

/**
 * 3-D transposed convolution, as Keras's {@code Conv3DTranspose}: input {@code (batch, depth,
 * height, width, channels)} (channels-last, or channels second with {@code
 * data_format="channels_first"}), output {@code filters} channels with each spatial axis upsampled
 * by its stride; kernel {@code (kernel_size..., filters, in)}, bias {@code (filters,)}. See {@link
 * BaseConvTranspose} for the output size.
 *
 * {@snippet :
 * Conv3DTranspose up = new Conv3DTranspose(8, 3).strides(2).padding("same");
 * }
 */
public class Conv3DTranspose extends BaseConvTranspose<Conv3DTranspose> {
  /**
   * Conv3DTranspose's declaration: its Keras class name (alias {@code Convolution3DTranspose}) and
   * arguments.
   */
  public static final KerasClass<Conv3DTranspose> KERAS =
      declare("Conv3DTranspose", Conv3DTranspose.class, 3, Conv3DTranspose::new)
          .aliases("Convolution3DTranspose");

  /**
   * A transposed convolution of {@code filters} outputs with a window of {@code kernelSize} (one
   * value for every axis, or one per axis).
   *
   * @throws dev.kiln.api.registry.ArgumentException if a size is not positive
   */
  public Conv3DTranspose(int filters, int... kernelSize) {
    super(3, filters, kernelSize);
  }

  /** A Conv3DTranspose from its Keras config. */
  public static Conv3DTranspose fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
