package dev.kiln.api.layers.convolutional;

import dev.kiln.api.registry.KerasClass;
import java.util.Map;

/**
 * 1-D transposed convolution, as Keras's {@code Conv1DTranspose}: input {@code (batch, steps,
 * channels)} (channels-last, or channels second with {@code data_format="channels_first"}), output
 * {@code filters} channels with each spatial axis upsampled by its stride; kernel {@code
 * (kernel_size..., filters, in)}, bias {@code (filters,)}. See {@link BaseConvTranspose} for the
 * output size.
 *
 * {@snippet :
 * Conv1DTranspose up = new Conv1DTranspose(8, 3).strides(2).padding("same");
 * }
 */
public class Conv1DTranspose extends BaseConvTranspose<Conv1DTranspose> {
  /**
   * Conv1DTranspose's declaration: its Keras class name (alias {@code Convolution1DTranspose}) and
   * arguments.
   */
  public static final KerasClass<Conv1DTranspose> KERAS =
      declare("Conv1DTranspose", Conv1DTranspose.class, 1, Conv1DTranspose::new)
          .aliases("Convolution1DTranspose");

  /**
   * A transposed convolution of {@code filters} outputs with a window of {@code kernelSize} (one
   * value for every axis, or one per axis).
   *
   * @throws dev.kiln.api.registry.ArgumentException if a size is not positive
   */
  public Conv1DTranspose(int filters, int... kernelSize) {
    super(1, filters, kernelSize);
  }

  /** A Conv1DTranspose from its Keras config. */
  public static Conv1DTranspose fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
