package dev.kiln.applications;

import static dev.kiln.applications.Net.call;
import static dev.kiln.applications.Net.relu6;

import dev.kiln.api.KerasTensor;
import java.util.Locale;

/**
 * MobileNet (v1, Howard et al. 2017) as Keras's {@code keras.applications.mobilenet} builds it:
 * depthwise-separable blocks ({@code conv_dw_1}, {@code conv_pw_1}, ...) scaled by {@code alpha}
 * (width) and {@code depthMultiplier} (depthwise channels), a 1x1-convolution classifier ({@code
 * conv_preds}). Inputs are preprocessed with {@link ImageNet.Mode#TF}.
 */
public final class MobileNet extends MobileNetFamily<MobileNet> {
  private static final int[][] BLOCKS = {
    {64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1}, {512, 1}, {512, 1},
    {512, 1}, {512, 1}, {1024, 2}, {1024, 1}
  };

  private double alpha = 1.0;
  private int depthMultiplier = 1;
  private double dropout = 1e-3;

  MobileNet() {}

  /** The width multiplier: each layer's filters scaled by it (default 1.0). */
  public MobileNet alpha(double alpha) {
    this.alpha = alpha;
    return this;
  }

  /** The depthwise convolutions' channel multiplier (default 1). */
  public MobileNet depthMultiplier(int depthMultiplier) {
    this.depthMultiplier = depthMultiplier;
    return this;
  }

  /** The dropout rate before the classifier (default 0.001). */
  public MobileNet dropout(double dropout) {
    this.dropout = dropout;
    return this;
  }

  /** How inputs to this model are preprocessed. */
  public ImageNet.Mode preprocessing() {
    return ImageNet.Mode.TF;
  }

  @Override
  void checkArgs() {
    if (!(alpha > 0)) {
      throw new IllegalArgumentException("alpha must be positive. Received: alpha=" + alpha);
    }
    if (depthMultiplier < 1) {
      throw new IllegalArgumentException(
          "depthMultiplier must be at least 1. Received: depthMultiplier=" + depthMultiplier);
    }
    if ("imagenet".equals(weights())) {
      if (depthMultiplier != 1) {
        throw new IllegalArgumentException(
            "If imagenet weights are being loaded, depth multiplier must be 1. Received:"
                + " depthMultiplier="
                + depthMultiplier);
      }
      if (alpha != 0.25 && alpha != 0.5 && alpha != 0.75 && alpha != 1.0) {
        throw new IllegalArgumentException(
            "If imagenet weights are being loaded, alpha can be one of 0.25, 0.50, 0.75 or 1.0"
                + " only. Received: alpha="
                + alpha);
      }
      checkImagenetRows(128, 160, 192, 224);
    }
  }

  @Override
  String defaultName() {
    return String.format(Locale.ROOT, "mobilenet_%.2f_%d", alpha, rows());
  }

  @Override
  String kerasWeightsFile() {
    String a = alpha == 1.0 ? "1_0" : alpha == 0.75 ? "7_5" : alpha == 0.5 ? "5_0" : "2_5";
    return "mobilenet_" + a + "_" + rows() + "_tf" + (includeTop() ? "" : "_no_top") + ".h5";
  }

  @Override
  KerasTensor graph(KerasTensor input) {
    KerasTensor x = Net.conv2d(input, (int) (32 * alpha), 3, 2, "same", false, "conv1");
    x = relu6(call(x, "BatchNormalization", "axis", 3, "name", "conv1_bn"), "conv1_relu");
    for (int i = 0; i < BLOCKS.length; i++) {
      x = depthwiseBlock(x, BLOCKS[i][0], BLOCKS[i][1], i + 1);
    }
    if (includeTop()) {
      x = call(x, "GlobalAveragePooling2D", "keepdims", true);
      x = call(x, "Dropout", "rate", dropout, "name", "dropout");
      x = Net.conv2d(x, classes(), 1, 1, "same", true, "conv_preds");
      x = call(x, "Reshape", "target_shape", java.util.List.of(classes()), "name", "reshape_2");
      return call(x, "Activation", "activation", classifierActivation(), "name", "predictions");
    }
    return headlessPooling(x, null, null);
  }

  private KerasTensor depthwiseBlock(KerasTensor x, int filters, int stride, int id) {
    if (stride == 2) {
      x = Net.pad(x, 0, 1, 0, 1, "conv_pad_" + id);
    }
    x =
        call(
            x,
            "DepthwiseConv2D",
            "kernel_size",
            3,
            "padding",
            stride == 1 ? "same" : "valid",
            "depth_multiplier",
            depthMultiplier,
            "strides",
            stride,
            "use_bias",
            false,
            "name",
            "conv_dw_" + id);
    x = call(x, "BatchNormalization", "axis", 3, "name", "conv_dw_" + id + "_bn");
    x = relu6(x, "conv_dw_" + id + "_relu");
    x = Net.conv2d(x, (int) (filters * alpha), 1, 1, "same", false, "conv_pw_" + id);
    x = call(x, "BatchNormalization", "axis", 3, "name", "conv_pw_" + id + "_bn");
    return relu6(x, "conv_pw_" + id + "_relu");
  }
}
