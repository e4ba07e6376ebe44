package dev.kiln.applications;

import static dev.kiln.applications.Net.bn;
import static dev.kiln.applications.Net.call;
import static dev.kiln.applications.Net.relu;

import dev.kiln.api.KerasTensor;

/**
 * DenseNet121/169/201 (Huang et al. 2016) as Keras's {@code keras.applications.densenet} builds
 * them: dense blocks of {@code conv2_block1_0_bn} ... {@code _concat} with growth rate 32, joined
 * by transitions {@code pool2} ... {@code pool4} that halve the channels. Inputs are preprocessed
 * with {@link ImageNet.Mode#TORCH}.
 */
public final class DenseNet extends ApplicationBuilder<DenseNet> {
  private static final double EPSILON = 1.001e-5;
  private static final int GROWTH = 32;

  private final int depth;
  private final int[] blocks;

  DenseNet(int depth) {
    this.depth = depth;
    this.blocks =
        switch (depth) {
          case 121 -> new int[] {6, 12, 24, 16};
          case 169 -> new int[] {6, 12, 32, 32};
          case 201 -> new int[] {6, 12, 48, 32};
          default -> throw new IllegalArgumentException("DenseNet depth " + depth);
        };
  }

  /** How inputs to this model are preprocessed. */
  public ImageNet.Mode preprocessing() {
    return ImageNet.Mode.TORCH;
  }

  @Override
  String defaultName() {
    return "densenet" + depth;
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
    KerasTensor x = Net.pad(input, 3, 3, 3, 3, null);
    x = Net.conv2d(x, 64, 7, 2, "valid", false, "conv1_conv");
    x = relu(bn(x, EPSILON, "conv1_bn"), "conv1_relu");
    x = Net.pad(x, 1, 1, 1, 1, null);
    x = call(x, "MaxPooling2D", "pool_size", 3, "strides", 2, "name", "pool1");
    for (int b = 0; b < 4; b++) {
      for (int i = 1; i <= blocks[b]; i++) {
        x = convBlock(x, "conv" + (b + 2) + "_block" + i);
      }
      if (b < 3) {
        x = transition(x, "pool" + (b + 2));
      }
    }
    x = relu(bn(x, EPSILON, "bn"), "relu");
    if (includeTop()) {
      x = call(x, "GlobalAveragePooling2D", "name", "avg_pool");
      return classifier(x);
    }
    return headlessPooling(x, "avg_pool", "max_pool");
  }

  private static KerasTensor convBlock(KerasTensor x, String name) {
    KerasTensor y = relu(bn(x, EPSILON, name + "_0_bn"), name + "_0_relu");
    y = Net.conv2d(y, 4 * GROWTH, 1, 1, "valid", false, name + "_1_conv");
    y = relu(bn(y, EPSILON, name + "_1_bn"), name + "_1_relu");
    y = Net.conv2d(y, GROWTH, 3, 1, "same", false, name + "_2_conv");
    return Net.apply(Net.layer("Concatenate", "axis", 3, "name", name + "_concat"), x, y);
  }

  private static KerasTensor transition(KerasTensor x, String name) {
    int channels = x.shape().dim(-1);
    x = relu(bn(x, EPSILON, name + "_bn"), name + "_relu");
    x = Net.conv2d(x, (int) (channels * 0.5), 1, 1, "valid", false, name + "_conv");
    return call(x, "AveragePooling2D", "pool_size", 2, "strides", 2, "name", name + "_pool");
  }
}
