package dev.kiln.api.layers;

import static dev.kiln.api.layers.FamilyGolden.model;
import static dev.kiln.api.layers.FamilyGolden.predict;
import static dev.kiln.api.layers.FamilyGolden.trainingForward;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Tensor;
import dev.kiln.api.layers.LayerTestSupport.LayerCase;
import dev.kiln.api.layers.rnn.RNN;
import dev.kiln.api.layers.rnn.RNNCell;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.spi.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Each cell of a {@code StackedRNNCells} applies its own dropout and recurrent dropout, as Keras.
 *
 * <p>The stack is two linear SimpleRNN cells without bias: the first has an identity kernel and a
 * zero recurrent kernel (its output is the input step), the second identity kernels. Over three
 * steps the second cell's final state is then {@code x1 + x2 + x3} without dropout; with its
 * recurrent mask {@code m} (one per sequence) it is {@code x3 + m x2 + m^2 x1}, and with its input
 * mask {@code d} it is {@code d (x1 + x2 + x3)}, where a mask entry is 0 or {@code 1 / (1 - rate)}.
 * A mask drawn anew at each step, an unscaled mask, or a mask ignored give other values.
 */
class StackedDropoutTest {
  private static final int BATCH = 8;
  private static final int UNITS = 4;
  private static final int STEPS = 3;

  @TestFactory
  Stream<DynamicTest> stackedDropout() {
    return LayerTestSupport.onEveryBackend(
        List.of(
            new LayerCase(
                "StackedRNNCells [second cell's recurrent dropout]",
                StackedDropoutTest::recurrentDropout),
            new LayerCase(
                "StackedRNNCells [second cell's input dropout]", StackedDropoutTest::inputDropout),
            new LayerCase(
                "StackedRNNCells [no dropout in inference]", StackedDropoutTest::inference)));
  }

  private static RNNCell cell(Map<String, Object> extra) {
    Map<String, Object> config = new java.util.HashMap<>(extra);
    config.put("units", UNITS);
    config.put("activation", "linear");
    config.put("use_bias", false);
    return Registry.fromConfig(Kind.LAYER, "SimpleRNNCell", config);
  }

  private static Tensor eye() {
    float[] v = new float[UNITS * UNITS];
    for (int i = 0; i < UNITS; i++) {
      v[i * UNITS + i] = 1;
    }
    return Tensor.of(v, UNITS, UNITS);
  }

  /** The stack over {@code x}, built, with the weights described above. */
  private static RNN stack(Tensor x, Map<String, Object> second) {
    RNN rnn = new RNN(List.of(cell(Map.of()), cell(second)));
    model(rnn, x);
    rnn.setWeights(List.of(eye(), Tensor.of(new float[UNITS * UNITS], UNITS, UNITS), eye(), eye()));
    return rnn;
  }

  private static Tensor input() {
    return LayerTestSupport.random(DType.FLOAT32, new int[] {BATCH, STEPS, UNITS}, 5);
  }

  /** {@code x[b, t, j]}. */
  private static double at(double[] x, int b, int t, int j) {
    return x[(b * STEPS + t) * UNITS + j];
  }

  private static void recurrentDropout() {
    Tensor x = input();
    double[] xs = x.toDoubleArray();
    double[] y = trainingForward(stack(x, Map.of("recurrent_dropout", 0.5)), 3, x).toDoubleArray();
    double[] plain = trainingForward(stack(x, Map.of()), 3, x).toDoubleArray();
    List<Integer> kinds = new ArrayList<>();
    for (int b = 0; b < BATCH; b++) {
      for (int j = 0; j < UNITS; j++) {
        double x1 = at(xs, b, 0, j);
        double x2 = at(xs, b, 1, j);
        double x3 = at(xs, b, 2, j);
        double v = y[b * UNITS + j];
        assertEquals(x1 + x2 + x3, plain[b * UNITS + j], 1e-5, "no dropout: x1 + x2 + x3");
        // m = 0: x3; m = 2 (kept, scaled by 1 / (1 - 0.5)): x3 + 2 x2 + 4 x1.
        boolean dropped = Math.abs(v - x3) < 1e-5;
        boolean kept = Math.abs(v - (x3 + 2 * x2 + 4 * x1)) < 1e-4;
        assertTrue(
            dropped || kept,
            "element (" + b + ", " + j + ") = " + v + " is neither x3 nor x3 + 2 x2 + 4 x1");
        kinds.add(dropped ? 0 : 1);
      }
    }
    // 32 draws at rate 0.5: both outcomes appear with near certainty.
    assertTrue(kinds.contains(0) && kinds.contains(1), "both dropped and kept units: " + kinds);
  }

  private static void inputDropout() {
    Tensor x = input();
    double[] xs = x.toDoubleArray();
    double[] y = trainingForward(stack(x, Map.of("dropout", 0.5)), 4, x).toDoubleArray();
    int dropped = 0;
    for (int b = 0; b < BATCH; b++) {
      for (int j = 0; j < UNITS; j++) {
        double sum = at(xs, b, 0, j) + at(xs, b, 1, j) + at(xs, b, 2, j);
        double v = y[b * UNITS + j];
        boolean zero = Math.abs(v) < 1e-6;
        assertTrue(
            zero || Math.abs(v - 2 * sum) < 1e-4,
            "element (" + b + ", " + j + ") = " + v + " is neither 0 nor 2 (x1 + x2 + x3)");
        dropped += zero ? 1 : 0;
      }
    }
    assertTrue(dropped > 0 && dropped < BATCH * UNITS, "dropped " + dropped + " of 32");
  }

  private static void inference() {
    Tensor x = input();
    double[] xs = x.toDoubleArray();
    RNN rnn =
        new RNN(List.of(cell(Map.of()), cell(Map.of("dropout", 0.5, "recurrent_dropout", 0.5))));
    var m = model(rnn, x);
    rnn.setWeights(List.of(eye(), Tensor.of(new float[UNITS * UNITS], UNITS, UNITS), eye(), eye()));
    double[] y = predict(m, x).toDoubleArray();
    for (int b = 0; b < BATCH; b++) {
      for (int j = 0; j < UNITS; j++) {
        double sum = at(xs, b, 0, j) + at(xs, b, 1, j) + at(xs, b, 2, j);
        assertEquals(sum, y[b * UNITS + j], 1e-5, "predict applies no dropout");
      }
    }
  }
}
