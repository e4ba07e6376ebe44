package dev.kiln.samples;

import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.data.Idx;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Dropout;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Sequential;
import dev.kiln.spi.DType;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The README's demo: an MLP (784-512-256-10, ReLU, Adam) trained on MNIST for 10 epochs with the
 * Keras-style api on all 60,000 training images (the test set is the validation data shown after
 * each epoch, as in Keras's own MNIST MLP example), then evaluated on the 10,000 test images.
 *
 * <p>Arguments: {@code [data dir] [epochs]}; defaults {@code data/mnist} and 10.
 */
public final class MnistMlp {
  private MnistMlp() {}

  /** Runs the demo. */
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "data/mnist");
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int batchSize = args.length > 2 ? Integer.parseInt(args[2]) : 128;
    Kiln.setRandomSeed(42);

    Idx.Split mnist = Idx.loadMnist(dir);
    Tensor xTrain = scale(mnist.trainImages());
    Tensor xTest = scale(mnist.testImages());

    Sequential model =
        new Sequential(
            Input.of(784),
            new Dense(512, "relu"),
            new Dropout(0.2),
            new Dense(256, "relu"),
            new Dropout(0.2),
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

  /** Bytes to floats in [0, 1], one row of 784 per image. */
  static Tensor scale(Tensor images) {
    float[] v = images.cast(DType.FLOAT32).toFloatArray();
    for (int i = 0; i < v.length; i++) {
      v[i] /= 255f;
    }
    return Tensor.of(v, images.length(), 784);
  }
}
