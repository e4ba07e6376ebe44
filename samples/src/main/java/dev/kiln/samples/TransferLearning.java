package dev.kiln.samples;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.data.Idx;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.normalization.BatchNormalization;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import dev.kiln.api.optimizers.Adam;
import dev.kiln.applications.Applications;
import dev.kiln.applications.Pooling;
import dev.kiln.applications.ShippedWeights;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Transfer learning, as Keras's guide does it: the small ResNet Kiln ships pretrained on
 * Fashion-MNIST ({@code kiln:fashion_mnist}) loses its classifier ({@code includeTop(false)},
 * average pooling), is frozen, and gets a new softmax head for MNIST's digits, which trains alone
 * (Adam, 1e-2: the pooled features are all positive and strongly correlated, so a linear head on
 * them learns slowly at Keras's default 1e-3). Then the base's top block ({@code block3_*}: its two
 * 3x3 convolutions) is unfrozen and the whole model fine-tuned with a ten times lower learning
 * rate; batch normalization stays frozen, so it keeps running in inference mode with the pretrained
 * statistics.
 *
 * <p>Prints {@code accuracy_before_fine_tuning: X} (the frozen base with the trained head) and
 * {@code accuracy_after_fine_tuning: Y}, both on the test images, then {@code test_accuracy: Y}.
 *
 * <p>Arguments: {@code [train images] [head epochs] [fine-tuning epochs] [test images] [data dir]};
 * defaults 10,000 (the first ones), 2, 2, all 10,000 and {@code data/mnist}.
 */
public final class TransferLearning {
  private static final int BATCH = 128;

  private TransferLearning() {}

  /** Runs the sample. */
  public static void main(String[] args) throws Exception {
    int trainImages = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int headEpochs = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int fineEpochs = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    int testImages = args.length > 3 ? Integer.parseInt(args[3]) : 10_000;
    Path dir = Path.of(args.length > 4 ? args[4] : "data/mnist");
    if (trainImages < 1 || headEpochs < 1 || fineEpochs < 1 || testImages < 1) {
      throw new IllegalArgumentException(
          "TransferLearning: train images, epochs and test images must be at least 1; got "
              + String.join(" ", args));
    }
    Kiln.setRandomSeed(42);

    Idx.Split mnist = Idx.loadMnist(dir);
    int n = Math.min(trainImages, mnist.trainLabels().length());
    int t = Math.min(testImages, mnist.testLabels().length());
    // The shipped model takes pixels scaled to [0, 1], as it was trained.
    Tensor xTrain = ShippedWeights.smallResNetInputs(mnist.trainImages().slice(0, n));
    Tensor yTrain = mnist.trainLabels().slice(0, n);
    Tensor xTest = ShippedWeights.smallResNetInputs(mnist.testImages().slice(0, t));
    Tensor yTest = mnist.testLabels().slice(0, t);

    Model base =
        Applications.smallResNet()
            .includeTop(false)
            .pooling(Pooling.AVG)
            .weights("kiln:fashion_mnist")
            .build();
    base.setTrainable(false);
    KerasTensor in = Input.of(28, 28, 1);
    KerasTensor out = new Dense(10, "softmax").apply(base.apply(in));
    Model model = Model.of(in, out);
    model.summary();

    long start = System.nanoTime();
    model.compile(new Adam(1e-2), Losses.get("sparse_categorical_crossentropy"), "accuracy");
    model.fit(xTrain, yTrain, new FitOptions().epochs(headEpochs).batchSize(BATCH).verbose(2));
    double before = model.evaluate(xTest, yTest).get("accuracy");
    System.out.println(String.format(Locale.ROOT, "accuracy_before_fine_tuning: %.4f", before));

    // Keras's recipe: unfreeze the top, keep batch normalization frozen, recompile (the set of
    // trainable weights is fixed when the train step is compiled), train with a lower rate.
    for (Layer l : base.layers()) {
      if (l.name().startsWith("block3_") && !(l instanceof BatchNormalization)) {
        l.setTrainable(true);
      }
    }
    model.compile(new Adam(1e-3), Losses.get("sparse_categorical_crossentropy"), "accuracy");
    model.fit(xTrain, yTrain, new FitOptions().epochs(fineEpochs).batchSize(BATCH).verbose(2));
    Map<String, Double> test = model.evaluate(xTest, yTest);
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.println(
        String.format(Locale.ROOT, "accuracy_after_fine_tuning: %.4f", test.get("accuracy")));
    System.out.println(
        String.format(
            Locale.ROOT,
            "trained on %d images (%d + %d epochs), tested on %d, in %.0f s",
            n,
            headEpochs,
            fineEpochs,
            t,
            seconds));
    System.out.println(String.format(Locale.ROOT, "test_accuracy: %.4f", test.get("accuracy")));
    System.out.println(String.format(Locale.ROOT, "test_loss: %.4f", test.get("loss")));
  }
}
