package dev.kiln.applications;

import static dev.kiln.applications.Net.call;

import dev.kiln.api.KerasTensor;

/**
 * Xception (Chollet 2017) as Keras's {@code keras.applications.xception} builds it: an entry flow
 * of strided separable-convolution blocks with 1x1 residual projections, eight middle-flow blocks
 * of 728 channels ({@code block5} ... {@code block12}) and an exit flow. Default input 299x299,
 * smallest 71x71. Inputs are preprocessed with {@link ImageNet.Mode#TF}.
 */
public final class Xception extends ApplicationBuilder<Xception> {
  Xception() {}

  /** How inputs to this model are preprocessed. */
  public ImageNet.Mode preprocessing() {
    return ImageNet.Mode.TF;
  }

  @Override
  String defaultName() {
    return "xception";
  }

  @Override
  int defaultSize() {
    return 299;
  }

  @Override
  int minSize() {
    return 71;
  }

  @Override
  String kerasWeightsFile() {
    return "xception_weights_tf_dim_ordering_tf_kernels" + (includeTop() ? "" : "_notop") + ".h5";
  }

  private static KerasTensor bn(KerasTensor x, String name) {
    return call(x, "BatchNormalization", "axis", 3, "name", name);
  }

  private static KerasTensor relu(KerasTensor x, String name) {
    return Net.relu(x, name);
  }

  private static KerasTensor sep(KerasTensor x, int filters, String name) {
    return call(
        x,
        "SeparableConv2D",
        "filters",
        filters,
        "kernel_size",
        3,
        "padding",
        "same",
        "use_bias",
        false,
        "name",
        name);
  }

  private static KerasTensor add(KerasTensor a, KerasTensor b) {
    return Net.apply(Net.layer("Add"), a, b);
  }

  /** The unnamed strided 1x1 projection of the entry and exit flows' residuals. */
  private static KerasTensor residual(KerasTensor x, int filters) {
    KerasTensor r = Net.conv2d(x, filters, 1, 2, "same", false, null);
    return call(r, "BatchNormalization", "axis", 3);
  }

  private static KerasTensor pool(KerasTensor x, String name) {
    return call(x, "MaxPooling2D", "pool_size", 3, "strides", 2, "padding", "same", "name", name);
  }

  @Override
  KerasTensor graph(KerasTensor input) {
    KerasTensor x = Net.conv2d(input, 32, 3, 2, "valid", false, "block1_conv1");
    x = relu(bn(x, "block1_conv1_bn"), "block1_conv1_act");
    x = Net.conv2d(x, 64, 3, 1, "valid", false, "block1_conv2");
    x = relu(bn(x, "block1_conv2_bn"), "block1_conv2_act");

    int[] entry = {128, 256, 728};
    for (int i = 0; i < entry.length; i++) {
      String b = "block" + (i + 2);
      KerasTensor r = residual(x, entry[i]);
      // Block 2 follows an activation already; the later entry blocks start with their own.
      if (i > 0) {
        x = relu(x, b + "_sepconv1_act");
      }
      x = sep(x, entry[i], b + "_sepconv1");
      x = relu(bn(x, b + "_sepconv1_bn"), b + "_sepconv2_act");
      x = sep(x, entry[i], b + "_sepconv2");
      x = bn(x, b + "_sepconv2_bn");
      x = add(pool(x, b + "_pool"), r);
    }

    for (int i = 0; i < 8; i++) {
      String b = "block" + (i + 5);
      KerasTensor r = x;
      for (int j = 1; j <= 3; j++) {
        x = relu(x, b + "_sepconv" + j + "_act");
        x = bn(sep(x, 728, b + "_sepconv" + j), b + "_sepconv" + j + "_bn");
      }
      x = add(x, r);
    }

    KerasTensor r = residual(x, 1024);
    x = relu(x, "block13_sepconv1_act");
    x = bn(sep(x, 728, "block13_sepconv1"), "block13_sepconv1_bn");
    x = relu(x, "block13_sepconv2_act");
    x = bn(sep(x, 1024, "block13_sepconv2"), "block13_sepconv2_bn");
    x = add(pool(x, "block13_pool"), r);

    x = relu(bn(sep(x, 1536, "block14_sepconv1"), "block14_sepconv1_bn"), "block14_sepconv1_act");
    x = relu(bn(sep(x, 2048, "block14_sepconv2"), "block14_sepconv2_bn"), "block14_sepconv2_act");
    if (includeTop()) {
      x = call(x, "GlobalAveragePooling2D", "name", "avg_pool");
      return classifier(x);
    }
    return headlessPooling(x, null, null);
  }
}
