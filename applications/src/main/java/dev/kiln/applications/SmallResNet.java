package dev.kiln.applications;

import static dev.kiln.applications.Net.call;

import dev.kiln.api.KerasTensor;

/**
 * A small residual network for 28x28 grayscale images (Fashion-MNIST, MNIST), not a Keras
 * architecture: a 3x3 convolution stem (16 channels), a residual block down to 32 channels at half
 * the resolution, one down to 64 channels at a quarter, one more at 64 channels, global average
 * pooling and the classifier. A block is conv-BN-ReLU-conv-BN plus a shortcut, added, then ReLU;
 * where a block halves the resolution its first convolution has stride 2 and its shortcut is a 1x1
 * stride-2 convolution with batch normalization (a projection), otherwise the identity. 147,930
 * parameters with the 10-class top (864 of them batch normalization's moving statistics), about
 * 18.7 MFLOP per 28x28 image.
 *
 * <p>Defaults differ from the ImageNet families: input {@code (28, 28, 1)} with the top ({@code
 * (-1, -1, 1)} without), 10 classes. Inputs are pixels scaled to [0, 1] ({@code x / 255}). {@code
 * weights("kiln:fashion_mnist")} loads the weights Kiln ships, trained on Fashion-MNIST.
 */
public final class SmallResNet extends ApplicationBuilder<SmallResNet> {
  SmallResNet() {
    classes(10);
  }

  @Override
  String defaultName() {
    return "small_resnet";
  }

  @Override
  int defaultSize() {
    return 28;
  }

  @Override
  int defaultChannels() {
    return 1;
  }

  // Two stride-2 stages: 8x8 still leaves a 2x2 map before pooling.
  @Override
  int minSize() {
    return 8;
  }

  @Override
  String kerasWeightsFile() {
    return null;
  }

  @Override
  KerasTensor graph(KerasTensor input) {
    KerasTensor x = conv(input, 16, 3, 1, "stem_conv");
    x = call(bn(x, "stem_bn"), "ReLU", "name", "stem_relu");
    x = block(x, 32, 2, "block1");
    x = block(x, 64, 2, "block2");
    x = block(x, 64, 1, "block3");
    if (includeTop()) {
      x = call(x, "GlobalAveragePooling2D", "name", "avg_pool");
      return classifier(x);
    }
    return headlessPooling(x, "avg_pool", "max_pool");
  }

  private static KerasTensor block(KerasTensor x, int filters, int stride, String name) {
    KerasTensor y = bn(conv(x, filters, 3, stride, name + "_1_conv"), name + "_1_bn");
    y = call(y, "ReLU", "name", name + "_1_relu");
    y = bn(conv(y, filters, 3, 1, name + "_2_conv"), name + "_2_bn");
    KerasTensor shortcut = x;
    if (stride != 1 || x.shape().dim(-1) != filters) {
      shortcut = bn(conv(x, filters, 1, stride, name + "_0_conv"), name + "_0_bn");
    }
    KerasTensor sum = Net.apply(Net.layer("Add", "name", name + "_add"), shortcut, y);
    return call(sum, "ReLU", "name", name + "_out");
  }

  // No bias: batch normalization's mean subtraction would cancel it.
  private static KerasTensor conv(KerasTensor x, int filters, int kernel, int stride, String name) {
    return Net.conv2d(
        x, filters, kernel, stride, "same", false, name, "kernel_initializer", "he_normal");
  }

  // Momentum 0.9 rather than Keras's 0.99: the moving statistics settle within a few dozen steps,
  // so short runs on a subset evaluate meaningfully too.
  private static KerasTensor bn(KerasTensor x, String name) {
    return call(x, "BatchNormalization", "momentum", 0.9, "name", name);
  }
}
