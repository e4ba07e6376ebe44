package dev.kiln.api.layers.convolutional;

import dev.kiln.api.registry.KerasClass;
import java.util.Map;

/**
 * 1-D separable convolution, as Keras's {@code SeparableConv1D}: a depthwise convolution of input
 * {@code (batch, steps, channels)} (channels-last, or channels second with {@code
 * data_format="channels_first"}) followed by a pointwise one to {@code filters} channels. See
 * {@link BaseSeparableConv} for the weights.
 *
 * {@snippet :
 * SeparableConv1D sep = new SeparableConv1D(16, 3).depthMultiplier(2).activation("relu");
 * }
 */
public class SeparableConv1D extends BaseSeparableConv<SeparableConv1D> {
  /**
   * SeparableConv1D's declaration: its Keras class name (alias {@code SeparableConvolution1D}) and
   * arguments.
   */
  public static final KerasClass<SeparableConv1D> KERAS =
      declare("SeparableConv1D", SeparableConv1D.class, 1, SeparableConv1D::new)
          .aliases("SeparableConvolution1D");

  /**
   * A separable convolution of {@code filters} outputs with a window of {@code kernelSize} (one
   * value for every axis, or one per axis).
   *
   * @throws dev.kiln.api.registry.ArgumentException if a size is not positive
   */
  public SeparableConv1D(int filters, int... kernelSize) {
    super(1, filters, kernelSize);
  }

  /** A SeparableConv1D from its Keras config. */
  public static SeparableConv1D fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
