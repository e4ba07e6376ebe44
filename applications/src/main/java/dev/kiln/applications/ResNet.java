package dev.kiln.applications;

import static dev.kiln.applications.Net.bn;
import static dev.kiln.applications.Net.call;
import static dev.kiln.applications.Net.pad;
import static dev.kiln.applications.Net.relu;

import dev.kiln.api.KerasTensor;

/**
 * ResNet50/101/152 (He et al. 2015, bottleneck blocks) and their V2 (pre-activation, He et al.
 * 2016), as Keras's {@code keras.applications.resnet} and {@code resnet_v2} build them, with the
 * same layer names ({@code conv1_conv}, {@code conv2_block1_1_conv}, ..., {@code predictions}).
 * Inputs are preprocessed with {@link ImageNet.Mode#CAFFE} (V1) or {@link ImageNet.Mode#TF} (V2).
 */
public final class ResNet extends ApplicationBuilder<ResNet> {
  private static final double EPSILON = 1.001e-5;

  private final int depth;
  private final boolean v2;
  private final int[] blocks;

  ResNet(int depth, boolean v2) {
    this.depth = depth;
    this.v2 = v2;
    this.blocks =
        switch (depth) {
          case 50 -> new int[] {3, 4, 6, 3};
          case 101 -> new int[] {3, 4, 23, 3};
          case 152 -> new int[] {3, 8, 36, 3};
          default -> throw new IllegalArgumentException("ResNet depth " + depth);
        };
  }

  /** How inputs to this model are preprocessed. */
  public ImageNet.Mode preprocessing() {
    return v2 ? ImageNet.Mode.TF : ImageNet.Mode.CAFFE;
  }

  @Override
  String defaultName() {
    return "resnet" + depth + (v2 ? "v2" : "");
  }

  @Override
  int defaultSize() {
    return 224;
  }

  @Override
  String kerasWeightsFile() {
    return defaultName()
        + "_weights_tf_dim_ordering_tf_kernels"
        + (includeTop() ? "" : "_notop")
        + ".h5";
  }

  @Override
  KerasTensor graph(KerasTensor input) {
    KerasTensor x = pad(input, 3, 3, 3, 3, "conv1_pad");
    x = Net.conv2d(x, 64, 7, 2, "valid", true, "conv1_conv");
    if (!v2) {
      x = relu(bn(x, EPSILON, "conv1_bn"), "conv1_relu");
    }
    x = pad(x, 1, 1, 1, 1, "pool1_pad");
    x = call(x, "MaxPooling2D", "pool_size", 3, "strides", 2, "name", "pool1_pool");
    int filters = 64;
    for (int s = 0; s < 4; s++) {
      String stack = "conv" + (s + 2);
      if (v2) {
        x = stackV2(x, filters, blocks[s], s == 3 ? 1 : 2, stack);
      } else {
        x = stackV1(x, filters, blocks[s], s == 0 ? 1 : 2, stack);
      }
      filters *= 2;
    }
    if (v2) {
      x = relu(bn(x, EPSILON, "post_bn"), "post_relu");
    }
    if (includeTop()) {
      x = call(x, "GlobalAveragePooling2D", "name", "avg_pool");
      return classifier(x);
    }
    return headlessPooling(x, "avg_pool", "max_pool");
  }

  private static KerasTensor stackV1(KerasTensor x, int filters, int n, int stride, String name) {
    x = blockV1(x, filters, stride, true, name + "_block1");
    for (int i = 2; i <= n; i++) {
      x = blockV1(x, filters, 1, false, name + "_block" + i);
    }
    return x;
  }

  private static KerasTensor conv(KerasTensor x, int filters, int kernel, int stride, String name) {
    return Net.conv2d(x, filters, kernel, stride, kernel == 1 ? "valid" : "same", true, name);
  }

  private static KerasTensor blockV1(
      KerasTensor x, int filters, int stride, boolean convShortcut, String name) {
    KerasTensor shortcut = x;
    if (convShortcut) {
      shortcut = conv(x, 4 * filters, 1, stride, name + "_0_conv");
      shortcut = bn(shortcut, EPSILON, name + "_0_bn");
    }
    KerasTensor y = conv(x, filters, 1, stride, name + "_1_conv");
    y = relu(bn(y, EPSILON, name + "_1_bn"), name + "_1_relu");
    y = conv(y, filters, 3, 1, name + "_2_conv");
    y = relu(bn(y, EPSILON, name + "_2_bn"), name + "_2_relu");
    y = conv(y, 4 * filters, 1, 1, name + "_3_conv");
    y = bn(y, EPSILON, name + "_3_bn");
    y = Net.apply(Net.layer("Add", "name", name + "_add"), shortcut, y);
    return relu(y, name + "_out");
  }

  private static KerasTensor stackV2(KerasTensor x, int filters, int n, int stride, String name) {
    // V2 downsamples in the last block of a stack, not the first.
    x = blockV2(x, filters, 1, true, name + "_block1");
    for (int i = 2; i < n; i++) {
      x = blockV2(x, filters, 1, false, name + "_block" + i);
    }
    return blockV2(x, filters, stride, false, name + "_block" + n);
  }

  private static KerasTensor blockV2(
      KerasTensor x, int filters, int stride, boolean convShortcut, String name) {
    KerasTensor preact = relu(bn(x, EPSILON, name + "_preact_bn"), name + "_preact_relu");
    KerasTensor shortcut;
    if (convShortcut) {
      shortcut = conv(preact, 4 * filters, 1, stride, name + "_0_conv");
    } else if (stride > 1) {
      shortcut = call(x, "MaxPooling2D", "pool_size", 1, "strides", stride);
    } else {
      shortcut = x;
    }
    KerasTensor y = Net.conv2d(preact, filters, 1, 1, "valid", false, name + "_1_conv");
    y = relu(bn(y, EPSILON, name + "_1_bn"), name + "_1_relu");
    y = pad(y, 1, 1, 1, 1, name + "_2_pad");
    y = Net.conv2d(y, filters, 3, stride, "valid", false, name + "_2_conv");
    y = relu(bn(y, EPSILON, name + "_2_bn"), name + "_2_relu");
    y = conv(y, 4 * filters, 1, 1, name + "_3_conv");
    return Net.apply(Net.layer("Add", "name", name + "_out"), shortcut, y);
  }
}
