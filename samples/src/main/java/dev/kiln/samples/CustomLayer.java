package dev.kiln.samples;

import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.data.Idx;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Sequential;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A custom layer written by subclassing {@link Layer}: the "antirectifier", which centres each
 * sample, normalizes it to unit length and returns both its positive and its negative part, so the
 * output has twice the features and nothing is lost to a ReLU. It is used as the activation between
 * two Dense layers on MNIST.
 *
 * <p>Arguments: {@code [data dir] [epochs]}; defaults {@code data/mnist} and 2.
 */
public final class CustomLayer {
  private CustomLayer() {}

  /** The custom layer: {@code concat(relu(v), relu(-v))} with {@code v} centred and unit-norm. */
  static final class Antirectifier extends Layer {
    @Override
    protected void build(List<Shape> inputShapes) {
      if (inputShapes.get(0).rank() != 2) {
        throw new IllegalArgumentException(
            "Antirectifier takes (batch, features); received " + inputShapes.get(0));
      }
    }

    @Override
    protected Value call(Ops ops, Value x) {
      Value centred = ops.sub(x, ops.mean(x, true, -1));
      Value norm = ops.sqrt(ops.add(ops.sum(ops.square(centred), true, -1), 1e-12));
      Value unit = ops.div(centred, norm);
      return ops.concat(-1, List.of(ops.relu(unit), ops.relu(ops.neg(unit))));
    }
  }

  /** Runs the sample. */
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "data/mnist");
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    Kiln.setRandomSeed(5);
    Idx.Split mnist = Idx.loadMnist(dir);
    Tensor x = MnistMlp.scale(mnist.trainImages());
    Tensor xt = MnistMlp.scale(mnist.testImages());
    Sequential model =
        new Sequential(
            Input.of(784),
            new Dense(256),
            new Antirectifier(),
            new Dense(256),
            new Antirectifier(),
            new Dense(10, "softmax"));
    model.summary();
    model.compile("rmsprop", "sparse_categorical_crossentropy", "accuracy");
    model.fit(x, mnist.trainLabels(), new FitOptions().epochs(epochs).batchSize(128));
    Map<String, Double> test = model.evaluate(xt, mnist.testLabels());
    System.out.println(String.format(Locale.ROOT, "test_accuracy: %.4f", test.get("accuracy")));
  }
}
