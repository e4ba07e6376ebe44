package dev.kiln.samples;

import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.data.Idx;
import dev.kiln.api.layers.convolutional.Conv2D;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Dropout;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.pooling.MaxPooling2D;
import dev.kiln.api.layers.reshaping.Flatten;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Sequential;
import dev.kiln.spi.DType;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * A convolutional network on MNIST, as Keras's "simple MNIST convnet" example: two 3x3 Conv2D
 * layers with max pooling, dropout and a softmax, trained with Adam on the 60,000 training images
 * and evaluated on the 10,000 test images.
 *
 * <p>Arguments: {@code [data dir] [epochs] [batch size]}; defaults {@code data/mnist}, 12 and 128.
 */
public final class MnistCnn {
  private MnistCnn() {}

  /** Runs the sample. */
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "data/mnist");
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 12;
    int batchSize = args.length > 2 ? Integer.parseInt(args[2]) : 128;
    Kiln.setRandomSeed(42);

    Idx.Split mnist = Idx.loadMnist(dir);
    Tensor xTrain = images(mnist.trainImages());
    Tensor xTest = images(mnist.testImages());

    Sequential model =
        new Sequential(
            Input.of(28, 28, 1),
            new Conv2D(32, 3, 3).activation("relu"),
            new MaxPooling2D(2, 2),
            new Conv2D(64, 3, 3).activation("relu"),
            new MaxPooling2D(2, 2),
            new Flatten(),
            new Dropout(0.5),
            new Dense(10, "softmax"));
    model.summary();
    model.compile("adam", "sparse_categorical_crossentropy", "accuracy");
    model.fit(
        xTrain,
        mnist.trainLabels(),
        new FitOptions()
            .epochs(epochs)
            .batchSize(batchSize)
            .validationData(xTest, mnist.testLabels()));

    Map<String, Double> test = model.evaluate(xTest, mnist.testLabels());
    System.out.println(String.format(Locale.ROOT, "test_accuracy: %.4f", test.get("accuracy")));
    System.out.println(String.format(Locale.ROOT, "test_loss: %.4f", test.get("loss")));
  }

  /** Bytes to floats in [0, 1], shaped (images, 28, 28, 1). */
  static Tensor images(Tensor raw) {
    float[] v = raw.cast(DType.FLOAT32).toFloatArray();
    for (int i = 0; i < v.length; i++) {
      v[i] /= 255f;
    }
    return Tensor.of(v, raw.length(), 28, 28, 1);
  }
}
