package dev.kiln.api.backends;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.activations.ActivationFunction;
import dev.kiln.api.activations.Activations;
import dev.kiln.api.layers.core.Activation;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.models.Sequential;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.Backends;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * NaN reaches the caller on both backends, as in Keras: through every activation, and through a
 * loss's clip of its predictions (a NaN clipped to a finite number gave a finite loss on nd4j, so
 * TerminateOnNaN never fired). Empty input is the same clear error on both.
 */
class Nd4jNanTest {
  @AfterEach
  void reset() {
    Kiln.useBackend(null);
    Kiln.clearSession();
  }

  private static void onBoth(Consumer<String> check) {
    for (String name : List.of("nd4j", "native")) {
      try (Backend b = Backends.open(name)) {
        Kiln.useBackend(b);
        Kiln.clearSession();
        check.accept(name);
      } finally {
        Kiln.useBackend(null);
      }
    }
  }

  @Test
  void everyActivationKeepsNaN() {
    float[] x = {-2f, Float.NaN, 0f, 3f, Float.NaN, -7f};
    onBoth(
        backend -> {
          List<String> lost = new ArrayList<>();
          for (KerasClass<ActivationFunction> k : Activations.KERAS) {
            Sequential m = new Sequential(Input.of(x.length), new Activation(k.className()));
            float[] y = m.predict(Tensor.of(x, 1, x.length)).toFloatArray();
            if (!Float.isNaN(y[1]) || !Float.isNaN(y[4])) {
              lost.add(k.className() + " gave " + y[1]);
            }
          }
          assertTrue(lost.isEmpty(), backend + ": " + lost);
        });
  }

  @Test
  void clippedLossesOfANaNPredictionAreNaN() {
    Tensor x = Tensor.of(new float[] {1f, Float.NaN, 2f, 0.5f, -1f, 1f}, 2, 3);
    onBoth(
        backend -> {
          Sequential cce = new Sequential(Input.of(3), new Dense(2, "softmax"));
          cce.compile("sgd", "categorical_crossentropy");
          double l1 = cce.evaluate(x, Tensor.of(new float[] {1, 0, 0, 1}, 2, 2)).get("loss");
          assertTrue(Double.isNaN(l1), backend + " categorical_crossentropy gave " + l1);
          Sequential bce = new Sequential(Input.of(3), new Dense(1, "sigmoid"));
          bce.compile("sgd", "binary_crossentropy");
          double l2 = bce.evaluate(x, Tensor.of(new float[] {1, 0}, 2, 1)).get("loss");
          assertTrue(Double.isNaN(l2), backend + " binary_crossentropy gave " + l2);
        });
  }

  @Test
  void emptyInputIsTheSameClearErrorOnBothBackends() {
    onBoth(
        backend -> {
          Sequential m = new Sequential(Input.of(3), new Dense(2, "softmax"));
          m.compile("sgd", "categorical_crossentropy");
          Tensor x = Tensor.of(new float[0], 0, 3);
          KilnException p = assertThrows(KilnException.class, () -> m.predict(x), backend);
          assertTrue(p.getMessage().startsWith("predict: input 0 has no samples"), p.getMessage());
          KilnException e =
              assertThrows(
                  KilnException.class, () -> m.evaluate(x, Tensor.of(new float[0], 0, 2)), backend);
          assertTrue(e.getMessage().startsWith("evaluate: input 0"), e.getMessage());
        });
  }
}
