package dev.kiln.api.layers;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.GoldenJson;
import dev.kiln.api.KerasTensor;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.LayerTestSupport.LayerCase;
import dev.kiln.api.layers.core.Embedding;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.rnn.Bidirectional;
import dev.kiln.api.layers.rnn.GRU;
import dev.kiln.api.layers.rnn.LSTM;
import dev.kiln.api.layers.rnn.SimpleRNN;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import dev.kiln.spi.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Bidirectional's initial states (the forward layer's then the backward layer's, as Keras's {@code
 * initial_state} halves) against TF.js 4.22 ({@code golden/tfjs-rnn.json}, case {@code
 * bidirectional_lstm_initial_states}), and its {@code backward_layer} checks.
 */
class BidirectionalTest {
  private static final int T = 5;
  private static final int F = 3;
  private static final int U = 4;

  @TestFactory
  Stream<DynamicTest> initialStates() {
    return LayerTestSupport.onEveryBackend(
        List.of(
            new LayerCase(
                "Bidirectional [initial states, golden]", BidirectionalTest::statesGolden),
            new LayerCase(
                "Bidirectional [zeros at masked steps]", BidirectionalTest::maskedZeros)));
  }

  private static List<Tensor> outputs(List<Tensor> states) {
    Map<String, Object> g = golden();
    Bidirectional bi =
        new Bidirectional(new LSTM(U).returnSequences(true).returnState(true)).mergeMode("concat");
    List<KerasTensor> ins = new ArrayList<>();
    ins.add(Input.of(T, F));
    for (int i = 0; i < 4; i++) {
      ins.add(Input.of(U));
    }
    Model m = Model.of(ins, bi.applyAll(ins));
    bi.setWeights(tensors(g.get("weights")));
    List<Tensor> x = new ArrayList<>();
    x.add(RecurrentLayersTest.nested(g.get("input")));
    x.addAll(states);
    return m.predict(x, new FitOptions().verbose(0));
  }

  private static Map<String, Object> golden() {
    return GoldenJson.obj(
        GoldenJson.resource("/golden/tfjs-rnn.json"), "bidirectional_lstm_initial_states");
  }

  private static List<Tensor> tensors(Object list) {
    List<Tensor> out = new ArrayList<>();
    for (Object o : (List<?>) list) {
      out.add(RecurrentLayersTest.nested(o));
    }
    return out;
  }

  private static void statesGolden() {
    Map<String, Object> g = golden();
    List<Tensor> states = tensors(g.get("states"));
    List<Tensor> expected = tensors(g.get("outputs"));
    List<Tensor> actual = outputs(states);
    assertEquals(5, actual.size(), "merged output then h, c forwards and h, c backwards");
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i).dims(), actual.get(i).dims(), "output " + i);
      assertClose(
          "output " + i, expected.get(i).toDoubleArray(), actual.get(i).toDoubleArray(), 1e-5);
    }
    // The halves swapped (backward states to the forward layer) give other numbers: the golden
    // case tells the split apart.
    List<Tensor> swapped = List.of(states.get(2), states.get(3), states.get(0), states.get(1));
    double[] miss = outputs(swapped).get(0).toDoubleArray();
    double[] want = expected.get(0).toDoubleArray();
    double worst = 0;
    for (int i = 0; i < want.length; i++) {
      worst = Math.max(worst, Math.abs(miss[i] - want[i]));
    }
    assertTrue(worst > 1e-3, "swapped initial states should change the output");
  }

  /**
   * With sequences out and a mask, Keras forces {@code zero_output_for_mask} on both layers: the
   * forward layer gives zeros at the padded steps instead of repeating its last output.
   */
  private static void maskedZeros() {
    Bidirectional bi = new Bidirectional(new SimpleRNN(2).returnSequences(true)).mergeMode(null);
    Embedding embedding = new Embedding(10, 3).maskZero(true);
    KerasTensor ids = Input.of(DType.INT32, 4);
    Model m = Model.of(List.of(ids), bi.applyAll(List.of(embedding.apply(ids))));
    Tensor x = Tensor.of(new float[][] {{1, 2, 0, 0}, {3, 4, 5, 0}}).cast(DType.INT32);
    List<Tensor> y = m.predict(List.of(x), new FitOptions().verbose(0));
    int[][] padded = {{0, 2}, {0, 3}, {1, 3}};
    for (Tensor half : y) {
      double[] v = half.toDoubleArray();
      for (int[] bt : padded) {
        for (int j = 0; j < 2; j++) {
          assertEquals(
              0, v[(bt[0] * 4 + bt[1]) * 2 + j], 0, "padded step " + bt[1] + " of " + bt[0]);
        }
      }
      // A kept step is not zero (tanh of random projections).
      assertTrue(Math.abs(v[0]) + Math.abs(v[1]) > 0, "first step of example 0");
    }
  }

  @Test
  void wrongStateCountNamesBothLayers() {
    Bidirectional bi = new Bidirectional(new LSTM(U));
    KerasTensor x = Input.of(T, F);
    KerasTensor h = Input.of(U);
    var e = assertThrows(RuntimeException.class, () -> bi.applyAll(List.of(x, h, h, h)));
    assertTrue(
        e.getMessage().contains("forward layer (2)")
            && e.getMessage().contains("backward layer (2)")
            && e.getMessage().contains("received 3"),
        e.getMessage());
  }

  @Test
  void backwardLayer() {
    Bidirectional bi =
        new Bidirectional(
            new LSTM(U).returnSequences(true), new GRU(U).returnSequences(true).goBackwards(true));
    KerasTensor y = bi.apply(Input.of(T, F));
    assertEquals(dev.kiln.spi.Shape.of(-1, T, 2 * U), y.shape());
    // Keras refuses a backward layer that runs the same way as the forward one.
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> new Bidirectional(new LSTM(U), new GRU(U)));
    assertTrue(e.getMessage().contains("go_backwards"), e.getMessage());
    // ... and, as Keras, a layer that already runs backwards without a backward_layer.
    var e2 =
        assertThrows(
            IllegalArgumentException.class, () -> new Bidirectional(new LSTM(U).goBackwards(true)));
    assertTrue(e2.getMessage().contains("go_backwards=true"), e2.getMessage());
    var restored = Bidirectional.fromConfig(bi.getConfig());
    assertEquals("GRU", restored.backwardLayer().className());
  }
}
