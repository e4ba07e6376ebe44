package dev.kiln.api.layers.convolutional;

import dev.kiln.api.registry.KerasClass;
import java.util.Map;

/**
 * 2-D convolution, as Keras's {@code Conv2D}: input {@code (batch, height, width, channels)}
 * (channels-last; {@code data_format="channels_first"} puts channels second), output {@code
 * filters} channels; kernel {@code (kernel_size..., in / groups, filters)}, bias {@code
 * (filters,)}.
 *
 * {@snippet :
 * Conv2D conv = new Conv2D(32, 3).strides(2).padding("same").activation("relu");
 * }
 */
public class Conv2D extends BaseConv<Conv2D> {
  /** Conv2D's declaration: its Keras class name (alias {@code Convolution2D}) and arguments. */
  public static final KerasClass<Conv2D> KERAS =
      declare("Conv2D", Conv2D.class, 2, false, Conv2D::new).aliases("Convolution2D");

  /**
   * A convolution of {@code filters} outputs with a window of {@code kernelSize} (one value for
   * every axis, or one per axis).
   *
   * @throws dev.kiln.api.registry.ArgumentException if a size is not positive
   */
  public Conv2D(int filters, int... kernelSize) {
    super(2, filters, kernelSize);
  }

  /** A Conv2D from its Keras config. */
  public static Conv2D fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
