package dev.kiln.api.saving.configs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.LayerCall;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Dropout;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.normalization.BatchNormalization;
import dev.kiln.api.models.Model;
import dev.kiln.api.models.Models;
import dev.kiln.api.models.Sequential;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Keras's {@code training} call keyword ({@code base(x, training=False)} in fine-tuning): that call
 * runs in the mode it names whatever {@code fit} or {@code predict} do, from Java and from Keras 3
 * and Keras 2 configs alike, and configs keep it.
 */
class TrainingKeywordTest {
  private static final int ROWS = 16;

  /** Features around 3 with spread 2: batch statistics far from the initial moving ones (0, 1). */
  private static Tensor x() {
    SplittableRandom r = new SplittableRandom(5);
    float[] v = new float[ROWS * 4];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (3 + 2 * r.nextGaussian());
    }
    return Tensor.of(v, ROWS, 4);
  }

  private static Tensor y() {
    SplittableRandom r = new SplittableRandom(6);
    float[] v = new float[ROWS * 2];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return Tensor.of(v, ROWS, 2);
  }

  /** A base Dense -> BatchNormalization -> Dropout called with {@code training=false}, a head. */
  private static Model frozenBase() {
    Kiln.setRandomSeed(3);
    Sequential base =
        new Sequential(Input.of(4), new Dense(4), new BatchNormalization(), new Dropout(0.5));
    KerasTensor in = Input.of(4);
    return Model.of(in, new Dense(2).apply(base.apply(in, false)));
  }

  private static List<float[]> values(List<Weight> ws) {
    List<float[]> out = new ArrayList<>();
    for (Weight w : ws) {
      out.add(w.read().toFloatArray());
    }
    return out;
  }

  private static List<Weight> movingStats(Model m) {
    List<Weight> out = new ArrayList<>();
    for (Weight w : m.weights()) {
      if (w.path().contains("moving_")) {
        out.add(w);
      }
    }
    assertEquals(2, out.size(), "moving mean and variance");
    return out;
  }

  /**
   * One training step: the moving statistics stay as they were, and the step's loss is the one
   * evaluate computes (inference mode) on the same weights, while the head still learns.
   */
  private static void trainsInInferenceMode(Model m) {
    m.compile("sgd", "mse");
    Tensor x = x();
    Tensor y = y();
    List<float[]> stats = values(movingStats(m));
    List<float[]> before = values(m.trainableWeights());
    double inference = m.testOnBatch(x, y).get("loss");
    double trained = m.trainOnBatch(x, y).get("loss");
    // Batch statistics or a Dropout mask would move this loss by far more than rounding does.
    assertEquals(inference, trained, 1e-6 * Math.abs(inference), "training step's loss");
    List<float[]> after = values(movingStats(m));
    for (int i = 0; i < stats.size(); i++) {
      assertArrayEquals(stats.get(i), after.get(i), 0f, "moving statistics " + i);
    }
    assertFalse(
        java.util.Arrays.equals(before.get(0), values(m.trainableWeights()).get(0)),
        "the step trained the weights");
  }

  /** The layer's call in this model: its last (each layer here is called once in it). */
  private static LayerCall callOf(Model m, String layer) {
    List<LayerCall> calls = m.getLayer(layer).calls();
    return calls.get(calls.size() - 1);
  }

  @Test
  void aBaseCalledWithTrainingFalseFromJavaTrainsInInferenceMode() {
    try (Model m = frozenBase()) {
      trainsInInferenceMode(m);
    }
  }

  @Test
  void theKeywordRoundTripsThroughKeras3Configs() {
    String json;
    try (Model m = frozenBase()) {
      json = m.toJson();
    }
    assertTrue(json.contains("\"kwargs\":{\"training\":false}"), json);
    try (Model back = Models.fromJson(json)) {
      assertEquals(json, back.toJson(), "config round trip");
      Layer base = back.layers().get(1);
      assertEquals(Boolean.FALSE, callOf(back, base.name()).training());
      trainsInInferenceMode(back);
    }
    // Without the keyword the same model trains in training mode and is written without it.
    String plain = json.replace("\"kwargs\":{\"training\":false}", "\"kwargs\":{}");
    try (Model m = Models.fromJson(plain)) {
      assertNull(callOf(m, m.layers().get(1).name()).training());
      assertFalse(m.toJson().contains("training"), m.toJson());
    }
  }

  private static final String KERAS2 =
      """
      {"class_name": "Model", "config": {"name": "m", "layers": [
        {"name": "in", "class_name": "InputLayer",
         "config": {"name": "in", "batch_input_shape": [null, 4]}, "inbound_nodes": []},
        {"name": "d", "class_name": "Dense", "config": {"name": "d", "units": 4},
         "inbound_nodes": [[["in", 0, 0, {}]]]},
        {"name": "bn", "class_name": "BatchNormalization", "config": {"name": "bn"},
         "inbound_nodes": [[["d", 0, 0, {"training": %s}]]]},
        {"name": "drop", "class_name": "Dropout", "config": {"name": "drop", "rate": 0.5},
         "inbound_nodes": [[["bn", 0, 0, {"training": %s}]]]},
        {"name": "out", "class_name": "Dense", "config": {"name": "out", "units": 2},
         "inbound_nodes": [[["drop", 0, 0, {}]]]}],
       "input_layers": [["in", 0, 0]], "output_layers": [["out", 0, 0]]}}""";

  @Test
  void keras2NodesCarryTheKeywordInTheirFourthItem() {
    Kiln.setRandomSeed(4);
    try (Model m = Models.fromJson(KERAS2.formatted("false", "false"))) {
      assertEquals(Boolean.FALSE, callOf(m, "bn").training());
      assertEquals(Boolean.FALSE, callOf(m, "drop").training());
      assertNull(callOf(m, "out").training());
      assertTrue(m.toJson().contains("\"kwargs\":{\"training\":false}"), m.toJson());
      trainsInInferenceMode(m);
    }
  }

  @Test
  void trainingTrueRunsBatchStatisticsInPredictToo() {
    Kiln.setRandomSeed(4);
    try (Model m = Models.fromJson(KERAS2.formatted("true", "null"))) {
      assertEquals(Boolean.TRUE, callOf(m, "bn").training());
      assertNull(callOf(m, "drop").training());
      Layer bn = m.getLayer("bn");
      Model upToBn = Model.of(m.inputs().get(0), bn.calls().get(0).outputs().get(0));
      float[] out = upToBn.predict(x()).toFloatArray();
      // Normalized by the batch's own statistics: every column has mean 0 (beta is 0), which the
      // initial moving statistics (mean 0, variance 1) would not give for inputs around 3.
      for (int j = 0; j < 4; j++) {
        double mean = 0;
        for (int i = 0; i < ROWS; i++) {
          mean += out[i * 4 + j] / ROWS;
        }
        assertEquals(0, mean, 1e-5, "column " + j);
      }
    }
  }

  @Test
  void aTrainingValueThatIsNoFlagIsRefused() {
    String json = KERAS2.formatted("\"no\"", "false");
    String m = assertThrows(KilnException.class, () -> Models.fromJson(json)).getMessage();
    assertTrue(m.contains("inbound_nodes[0][0][3].training"), m);
    assertTrue(m.contains("true, false or null"), m);
  }
}
