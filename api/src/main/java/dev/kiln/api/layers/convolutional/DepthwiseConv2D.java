package dev.kiln.api.layers.convolutional;

import dev.kiln.api.registry.KerasClass;
import java.util.Map;

/**
 * 2-D depthwise convolution, as Keras's {@code DepthwiseConv2D}: input {@code (batch, height,
 * width, channels)} (channels-last, or channels second with {@code data_format="channels_first"}),
 * output {@code in * depth_multiplier} channels, each input channel convolved with its own filters.
 * See {@link BaseDepthwiseConv} for the weights.
 *
 * {@snippet :
 * DepthwiseConv2D dw = new DepthwiseConv2D(3).depthMultiplier(2).padding("same");
 * }
 */
public class DepthwiseConv2D extends BaseDepthwiseConv<DepthwiseConv2D> {
  /** DepthwiseConv2D's declaration: its Keras class name and arguments. */
  public static final KerasClass<DepthwiseConv2D> KERAS =
      declare("DepthwiseConv2D", DepthwiseConv2D.class, 2, DepthwiseConv2D::new);

  /**
   * A depthwise convolution with a window of {@code kernelSize} (one value for every axis, or one
   * per axis).
   *
   * @throws dev.kiln.api.registry.ArgumentException if a size is not positive
   */
  public DepthwiseConv2D(int... kernelSize) {
    super(2, kernelSize);
  }

  /** A DepthwiseConv2D from its Keras config. */
  public static DepthwiseConv2D fromConfig(Map<String, Object> c) {
    return KERAS.fromConfig(c);
  }
}
