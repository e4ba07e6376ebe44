package dev.kiln.applications.tools;

import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.data.Idx;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.layers.normalization.BatchNormalization;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import dev.kiln.api.optimizers.Adam;
import dev.kiln.api.optimizers.schedules.Schedules;
import dev.kiln.applications.Applications;
import dev.kiln.applications.ShippedWeights;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Trains the weights Kiln ships ({@code kiln:fashion_mnist}) on Fashion-MNIST and writes them as a
 * {@code .keras} archive without optimizer state. The command, seed, epochs and the accuracy
 * reached are in applications/README.md.
 *
 * <p>Arguments: {@code mobilenetv2|smallresnet epochs out.keras [train images] [data dir]}.
 */
public final class TrainShipped {
  static final long SEED = 42;
  private static final int BATCH = 128;

  private TrainShipped() {}

  /** The architecture as shipped, with random weights. */
  static Model build(String which) {
    return switch (which) {
      case "mobilenetv2" ->
          Applications.mobileNetV2().alpha(0.35).inputShape(32, 32, 1).classes(10).build();
      case "smallresnet" -> Applications.smallResNet().build();
      default -> throw new IllegalArgumentException("mobilenetv2 or smallresnet, got " + which);
    };
  }

  static Tensor inputs(String which, Tensor images) {
    return which.equals("mobilenetv2")
        ? ShippedWeights.mobileNetV2Inputs(images)
        : ShippedWeights.smallResNetInputs(images);
  }

  /** Trains and saves. */
  public static void main(String[] args) throws Exception {
    String which = args[0];
    int epochs = Integer.parseInt(args[1]);
    Path out = Path.of(args[2]);
    int limit = args.length > 3 ? Integer.parseInt(args[3]) : 60_000;
    Path dir = Path.of(args.length > 4 ? args[4] : "data/fashion-mnist");
    Kiln.setRandomSeed(SEED);

    Idx.Split data = Idx.loadMnist(dir);
    Tensor xTrain = inputs(which, data.trainImages());
    Tensor yTrain = data.trainLabels();
    if (limit < xTrain.length()) {
      xTrain = xTrain.slice(0, limit);
      yTrain = yTrain.slice(0, limit);
    }
    Tensor xTest = inputs(which, data.testImages());

    Model model = build(which);
    // Keras's MobileNetV2 momentum, 0.999, leaves the moving statistics far from the batch ones for
    // the first thousands of steps; 0.9 follows them within a few dozen (only training sees this).
    for (Layer l : model.layers()) {
      if (l instanceof BatchNormalization bn) {
        bn.momentum(0.9);
      }
    }
    long steps = (long) epochs * ((xTrain.length() + BATCH - 1) / BATCH);
    model.compile(
        new Adam(Schedules.cosineDecay(2e-3, steps, 0.01)),
        Losses.get("sparse_categorical_crossentropy"),
        "accuracy");
    long start = System.nanoTime();
    model.fit(
        xTrain,
        yTrain,
        new FitOptions()
            .epochs(epochs)
            .batchSize(BATCH)
            .verbose(2)
            .validationData(xTest, data.testLabels()));
    double seconds = (System.nanoTime() - start) / 1e9;
    Map<String, Double> test = model.evaluate(xTest, data.testLabels());
    System.out.printf(
        Locale.ROOT,
        "%s: %d epochs of %d images in %.0f s; test_accuracy: %.4f test_loss: %.4f%n",
        which,
        epochs,
        xTrain.length(),
        seconds,
        test.get("accuracy"),
        test.get("loss"));

    // A fresh, uncompiled copy, so the archive holds the weights and config but no optimizer state.
    try (Model plain = build(which)) {
      List<Weight> from = model.weights();
      List<Weight> to = plain.weights();
      for (int i = 0; i < from.size(); i++) {
        to.get(i).assign(from.get(i).read());
      }
      plain.save(out);
    }
    System.out.println("saved " + out);
  }
}
