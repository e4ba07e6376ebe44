package dev.kiln.api.layers.convolutional;

import dev.kiln.api.registry.KerasClass;
import java.util.Map;

/**
 * 1-D convolution, as Keras's {@code Conv1D}: input {@code (batch, steps, channels)}
 * (channels-last; {@code data_format="channels_first"} puts channels second), output {@code
 * filters} channels; kernel {@code (kernel_size..., in / groups, filters)}, bias {@code
 * (filters,)}.
 *
 * {@snippet :
 * Conv1D conv = new Conv1D(16, 3).padding("causal").dilationRate(2);
 * }
 */
public class Conv1D extends BaseConv<Conv1D> {
  /** Conv1D's declaration: its Keras class name (alias {@code Convolution1D}) and arguments. */
  public static final KerasClass<Conv1D> KERAS =
      declare("Conv1D", Conv1D.class, 1, true, Conv1D::new).aliases("Convolution1D");

  /**
   * A convolution of {@code filters} outputs with a window of {@code kernelSize} (one value for
   * every axis, or one per axis).
   *
   * @throws dev.kiln.api.registry.ArgumentException if a size is not positive
   */
  public Conv1D(int filters, int... kernelSize) {
    super(1, filters, kernelSize);
  }

  /** A Conv1D from its Keras config. */
  public static Conv1D fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
