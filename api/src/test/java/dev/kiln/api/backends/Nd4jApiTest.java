package dev.kiln.api.backends;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Dropout;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.History;
import dev.kiln.api.models.Sequential;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.Backends;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A Keras-style model trained through the api on nd4j and on the native engine from the same seed:
 * the same initial weights, the same dropout masks, so the same losses and weights after training,
 * within float32 rounding.
 */
class Nd4jApiTest {
  @AfterEach
  void reset() {
    Kiln.useBackend(null);
    Kiln.clearSession();
  }

  @Test
  void mlpWithDropoutTrainsTheSameOnBothBackends() {
    Run nd4j = train("nd4j");
    Run cpu = train("native");
    for (int e = 0; e < cpu.losses.size(); e++) {
      assertEquals(
          cpu.losses.get(e), nd4j.losses.get(e), 1e-4 * cpu.losses.get(e), "loss epoch " + e);
    }
    for (int i = 0; i < cpu.weights.size(); i++) {
      float[] a = cpu.weights.get(i);
      float[] b = nd4j.weights.get(i);
      for (int j = 0; j < a.length; j++) {
        assertEquals(a[j], b[j], 1e-4 * Math.abs(a[j]) + 1e-5, "weight " + i + " element " + j);
      }
    }
  }

  private record Run(List<Double> losses, List<float[]> weights) {}

  private static Run train(String backend) {
    try (Backend b = Backends.open(backend)) {
      Kiln.useBackend(b);
      Kiln.clearSession();
      Kiln.setRandomSeed(7);
      SplittableRandom r = new SplittableRandom(11);
      int n = 96;
      float[] x = new float[n * 20];
      int[] y = new int[n];
      for (int i = 0; i < n; i++) {
        y[i] = r.nextInt(4);
        for (int j = 0; j < 20; j++) {
          x[i * 20 + j] = (float) (r.nextGaussian() + (j % 4 == y[i] ? 1 : 0));
        }
      }
      Sequential model =
          new Sequential(
              Input.of(20),
              new Dense(32, "relu"),
              new Dropout(0.2),
              new Dense(16, "relu"),
              new Dropout(0.2),
              new Dense(4, "softmax"));
      model.compile("adam", "sparse_categorical_crossentropy", "accuracy");
      History h =
          model.fit(
              Tensor.of(x, n, 20),
              Tensor.of(y),
              new FitOptions().epochs(3).batchSize(32).verbose(0));
      List<float[]> weights = new ArrayList<>();
      for (Tensor w : model.getWeights()) {
        weights.add(w.toFloatArray());
      }
      return new Run(h.get("loss"), weights);
    }
  }
}
