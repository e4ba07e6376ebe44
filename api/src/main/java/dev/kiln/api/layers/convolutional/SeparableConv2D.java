package dev.kiln.api.layers.convolutional;

import dev.kiln.api.registry.KerasClass;
import java.util.Map;

/**
 * 2-D separable convolution, as Keras's {@code SeparableConv2D}: a depthwise convolution of input
 * {@code (batch, height, width, channels)} (channels-last, or channels second with {@code
 * data_format="channels_first"}) followed by a pointwise one to {@code filters} channels. See
 * {@link BaseSeparableConv} for the weights.
 *
 * {@snippet :
 * SeparableConv2D sep = new SeparableConv2D(16, 3).depthMultiplier(2).activation("relu");
 * }
 */
public class SeparableConv2D extends BaseSeparableConv<SeparableConv2D> {
  /**
   * SeparableConv2D's declaration: its Keras class name (alias {@code SeparableConvolution2D}) and
   * arguments.
   */
  public static final KerasClass<SeparableConv2D> KERAS =
      declare("SeparableConv2D", SeparableConv2D.class, 2, SeparableConv2D::new)
          .aliases("SeparableConvolution2D");

  /**
   * A separable convolution of {@code filters} outputs with a window of {@code kernelSize} (one
   * value for every axis, or one per axis).
   *
   * @throws dev.kiln.api.registry.ArgumentException if a size is not positive
   */
  public SeparableConv2D(int filters, int... kernelSize) {
    super(2, filters, kernelSize);
  }

  /** A SeparableConv2D from its Keras config. */
  public static SeparableConv2D fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
