package dev.kiln.api.layers.convolutional;

import dev.kiln.api.registry.KerasClass;
import java.util.Map;

/**
 * 1-D depthwise convolution, as Keras's {@code DepthwiseConv1D}: input {@code (batch, steps,
 * channels)} (channels-last, or channels second with {@code data_format="channels_first"}), output
 * {@code in * depth_multiplier} channels, each input channel convolved with its own filters. See
 * {@link BaseDepthwiseConv} for the weights.
 *
 * {@snippet :
 * DepthwiseConv1D dw = new DepthwiseConv1D(3).depthMultiplier(2).padding("same");
 * }
 */
public class DepthwiseConv1D extends BaseDepthwiseConv<DepthwiseConv1D> {
  /** DepthwiseConv1D's declaration: its Keras class name and arguments. */
  public static final KerasClass<DepthwiseConv1D> KERAS =
      declare("DepthwiseConv1D", DepthwiseConv1D.class, 1, DepthwiseConv1D::new);

  /**
   * A depthwise convolution with a window of {@code kernelSize} (one value for every axis, or one
   * per axis).
   *
   * @throws dev.kiln.api.registry.ArgumentException if a size is not positive
   */
  public DepthwiseConv1D(int... kernelSize) {
    super(1, kernelSize);
  }

  /** A DepthwiseConv1D from its Keras config. */
  public static DepthwiseConv1D fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
