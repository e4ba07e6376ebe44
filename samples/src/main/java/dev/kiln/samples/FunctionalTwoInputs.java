package dev.kiln.samples;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.data.Idx;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.merging.Concatenate;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A Functional model with two inputs: the top and bottom halves of each MNIST digit go through
 * their own Dense layers, are concatenated, and one softmax classifies the digit.
 *
 * <p>Arguments: {@code [data dir] [epochs]}; defaults {@code data/mnist} and 2.
 */
public final class FunctionalTwoInputs {
  private FunctionalTwoInputs() {}

  /** Runs the sample. */
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "data/mnist");
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    Kiln.setRandomSeed(3);
    Idx.Split mnist = Idx.loadMnist(dir);
    Tensor x = MnistMlp.scale(mnist.trainImages());
    Tensor xt = MnistMlp.scale(mnist.testImages());

    KerasTensor top = Input.named("top", dev.kiln.spi.DType.FLOAT32, 392);
    KerasTensor bottom = Input.named("bottom", dev.kiln.spi.DType.FLOAT32, 392);
    KerasTensor a = new Dense(128, "relu").apply(top);
    KerasTensor b = new Dense(128, "relu").apply(bottom);
    KerasTensor both = new Concatenate().applyAll(List.of(a, b)).get(0);
    KerasTensor out = new Dense(10, "softmax").apply(new Dense(64, "relu").apply(both));
    Model model = Model.of(List.of(top, bottom), List.of(out));
    model.summary();
    model.compile("adam", "sparse_categorical_crossentropy", "accuracy");
    model.fit(
        List.of(half(x, 0), half(x, 1)),
        List.of(mnist.trainLabels()),
        new FitOptions().epochs(epochs).batchSize(128));
    Map<String, Double> test =
        model.evaluate(
            List.of(half(xt, 0), half(xt, 1)), List.of(mnist.testLabels()), new FitOptions());
    System.out.println(String.format(Locale.ROOT, "test_accuracy: %.4f", test.get("accuracy")));
  }

  /** Rows 0-13 ({@code part} 0) or 14-27 (1) of each image, flattened to 392 values. */
  static Tensor half(Tensor images, int part) {
    int n = images.length();
    float[] src = images.toFloatArray();
    float[] dst = new float[n * 392];
    for (int i = 0; i < n; i++) {
      System.arraycopy(src, i * 784 + part * 392, dst, i * 392, 392);
    }
    return Tensor.of(dst, n, 392);
  }
}
