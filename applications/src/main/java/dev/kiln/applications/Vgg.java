package dev.kiln.applications;

import static dev.kiln.applications.Net.call;

import dev.kiln.api.KerasTensor;

/**
 * VGG16 and VGG19 (Simonyan and Zisserman 2014) as Keras's {@code keras.applications.vgg16} and
 * {@code vgg19} build them ({@code block1_conv1} ... {@code block5_pool}, {@code fc1}, {@code fc2},
 * {@code predictions}). The top flattens the feature map, so it needs a fixed input size. Inputs
 * are preprocessed with {@link ImageNet.Mode#CAFFE}.
 */
public final class Vgg extends ApplicationBuilder<Vgg> {
  private final int depth;

  Vgg(int depth) {
    if (depth != 16 && depth != 19) {
      throw new IllegalArgumentException("VGG depth " + depth);
    }
    this.depth = depth;
  }

  /** How inputs to this model are preprocessed. */
  public ImageNet.Mode preprocessing() {
    return ImageNet.Mode.CAFFE;
  }

  @Override
  String defaultName() {
    return "vgg" + depth;
  }

  @Override
  int defaultSize() {
    return 224;
  }

  @Override
  boolean topNeedsFixedSize() {
    return true;
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
    int[] convs = depth == 16 ? new int[] {2, 2, 3, 3, 3} : new int[] {2, 2, 4, 4, 4};
    int[] filters = {64, 128, 256, 512, 512};
    KerasTensor x = input;
    for (int b = 0; b < 5; b++) {
      String block = "block" + (b + 1);
      for (int c = 1; c <= convs[b]; c++) {
        x =
            Net.conv2d(
                x, filters[b], 3, 1, "same", true, block + "_conv" + c, "activation", "relu");
      }
      x = call(x, "MaxPooling2D", "pool_size", 2, "strides", 2, "name", block + "_pool");
    }
    if (includeTop()) {
      x = call(x, "Flatten", "name", "flatten");
      x = call(x, "Dense", "units", 4096, "activation", "relu", "name", "fc1");
      x = call(x, "Dense", "units", 4096, "activation", "relu", "name", "fc2");
      return classifier(x);
    }
    // Keras leaves VGG's headless pooling layers unnamed.
    return headlessPooling(x, null, null);
  }
}
