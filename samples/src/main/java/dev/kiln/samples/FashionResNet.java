package dev.kiln.samples;

import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.data.Idx;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import dev.kiln.api.optimizers.Adam;
import dev.kiln.api.optimizers.schedules.Schedules;
import dev.kiln.applications.Applications;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * A small residual network on Fashion-MNIST, built with the Functional API: a 3x3 convolution stem
 * (16 channels at 28x28), a residual block down to 32 channels at 14x14, one down to 64 channels at
 * 7x7 and one more at 7x7, global average pooling and a softmax. A block is conv-BN-ReLU-conv-BN
 * plus a shortcut, added, then ReLU; where a block halves the resolution and doubles the width, its
 * first convolution has stride 2 and the shortcut is a 1x1 stride-2 convolution with batch
 * normalization (a projection); otherwise the shortcut is the identity.
 *
 * <p>Forward cost per 28x28 image, in multiply-adds (one multiply-add = 2 FLOP): stem 1&rarr;16 at
 * 28x28 0.11M; first block (3x3 16&rarr;32 stride 2, 3x3 32&rarr;32, 1x1 projection, at 14x14)
 * 2.81M; second block (the same at 7x7, 32&rarr;64) 2.81M; third block (two 3x3 64&rarr;64 at 7x7)
 * 3.61M; the softmax layer 640: 9.35M multiply-adds, about 18.7 MFLOP, plus batch normalization,
 * ReLU and the additions on at most 12,544 values per layer. A training step costs about three
 * forward passes. 147,930 parameters (864 of them the moving statistics). The network has no block
 * at 28x28: measured on the native backend, a 16-channel block there took longer than the whole 7x7
 * stage, so the compute sits at 14x14 and 7x7, where the convolutions run faster per FLOP.
 *
 * <p>The network is the applications module's {@code Applications.smallResNet()}; the weights it
 * ships ({@code kiln:fashion_mnist}) were trained with this recipe by its {@code TrainShipped}.
 *
 * <p>Adam with a cosine-decaying learning rate (2e-3 down to 2e-5 over the run), batch 128, pixels
 * scaled to [0, 1], no augmentation. Progress is printed per epoch with the test set as validation
 * data; the run ends with {@code test_accuracy: X} and {@code test_loss: X}.
 *
 * <p>Arguments: {@code [epochs] [train images] [data dir]}; defaults 10, all 60,000 and {@code
 * data/fashion-mnist}. Fewer training images (the first ones) make a quick check.
 */
public final class FashionResNet {
  private static final int BATCH = 128;

  private FashionResNet() {}

  /** Runs the sample. */
  public static void main(String[] args) throws Exception {
    int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int trainImages = args.length > 1 ? Integer.parseInt(args[1]) : 60_000;
    Path dir = Path.of(args.length > 2 ? args[2] : "data/fashion-mnist");
    if (epochs < 1 || trainImages < 1) {
      throw new IllegalArgumentException(
          "FashionResNet: epochs ("
              + epochs
              + ") and train images ("
              + trainImages
              + ") must be at least 1");
    }
    Kiln.setRandomSeed(42);

    Idx.Split data = Idx.loadMnist(dir);
    Tensor xTrain = MnistCnn.images(data.trainImages());
    Tensor yTrain = data.trainLabels();
    if (trainImages < xTrain.length()) {
      xTrain = xTrain.slice(0, trainImages);
      yTrain = yTrain.slice(0, trainImages);
    }
    Tensor xTest = MnistCnn.images(data.testImages());

    Model model = build();
    model.summary();
    long steps = (long) epochs * ((xTrain.length() + BATCH - 1) / BATCH);
    model.compile(
        new Adam(Schedules.cosineDecay(2e-3, steps, 0.01)),
        Losses.get("sparse_categorical_crossentropy"),
        "accuracy");
    long start = System.nanoTime();
    model.fit(
        xTrain,
        yTrain,
        new FitOptions().epochs(epochs).batchSize(BATCH).validationData(xTest, data.testLabels()));
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.println(
        String.format(
            Locale.ROOT,
            "trained %d epochs of %d images in %.1f s (%.2f s per 1,000 images, with validation)",
            epochs,
            xTrain.length(),
            seconds,
            seconds * 1000 / ((double) epochs * xTrain.length())));

    Map<String, Double> test = model.evaluate(xTest, data.testLabels());
    System.out.println(String.format(Locale.ROOT, "test_accuracy: %.4f", test.get("accuracy")));
    System.out.println(String.format(Locale.ROOT, "test_loss: %.4f", test.get("loss")));
  }

  /**
   * The network: input (28, 28, 1), output 10 class probabilities; the applications module's {@code
   * smallResNet}, whose weights trained on Fashion-MNIST ship as {@code kiln:fashion_mnist}.
   */
  static Model build() {
    return Applications.smallResNet().build();
  }
}
