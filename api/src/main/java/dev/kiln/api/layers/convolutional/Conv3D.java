package dev.kiln.api.layers.convolutional;

import dev.kiln.api.registry.KerasClass;
import java.util.Map;

/**
 * 3-D convolution, as Keras's {@code Conv3D}: input {@code (batch, depth, height, width, channels)}
 * (channels-last; {@code data_format="channels_first"} puts channels second), output {@code
 * filters} channels; kernel {@code (kernel_size..., in / groups, filters)}, bias {@code
 * (filters,)}.
 *
 * {@snippet :
 * Conv3D conv = new Conv3D(8, 3).padding("same");
 * }
 */
public class Conv3D extends BaseConv<Conv3D> {
  /** Conv3D's declaration: its Keras class name (alias {@code Convolution3D}) and arguments. */
  public static final KerasClass<Conv3D> KERAS =
      declare("Conv3D", Conv3D.class, 3, false, Conv3D::new).aliases("Convolution3D");

  /**
   * A convolution of {@code filters} outputs with a window of {@code kernelSize} (one value for
   * every axis, or one per axis).
   *
   * @throws dev.kiln.api.registry.ArgumentException if a size is not positive
   */
  public Conv3D(int filters, int... kernelSize) {
    super(3, filters, kernelSize);
  }

  /** A Conv3D from its Keras config. */
  public static Conv3D fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
