package dev.kiln.api.saving.configs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.core.Activation;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.models.Model;
import dev.kiln.api.models.Models;
import dev.kiln.api.models.Sequential;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hard_sigmoid} keeps the meaning of the dialect it was written in: Keras 2 (tf.keras 2.x)
 * and TF.js define it as {@code clip(0.2x + 0.5, 0, 1)}, Keras 3 as {@code relu6(x + 3) / 6}. The
 * inputs are where the two differ (and where a slope or a saturation point off by a little shows).
 */
class HardSigmoidDialectTest {
  private static final float[] X = {-2.6f, -1f, 0f, 1f, 2.8f, 4f};
  // clip(0.2x + 0.5, 0, 1)
  private static final float[] KERAS2 = {0f, 0.3f, 0.5f, 0.7f, 1f, 1f};
  // relu6(x + 3) / 6
  private static final float[] KERAS3 = {0.4f / 6, 2f / 6, 0.5f, 4f / 6, 5.8f / 6, 1f};

  private static final String KERAS2_JSON =
      """
      {"class_name": "Sequential", "keras_version": "2.2.4", "config": {"name": "s", "layers": [
        {"class_name": "Activation", "config": {"name": "a", "activation": "hard_sigmoid",
          "batch_input_shape": [null, 6]}}]}}""";

  private static final String KERAS3_JSON =
      """
      {"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": [
        {"module": "keras.layers", "class_name": "InputLayer",
         "config": {"name": "in", "batch_shape": [null, 6]}, "registered_name": null},
        {"module": "keras.layers", "class_name": "Activation",
         "config": {"name": "a", "activation": "hard_sigmoid"}, "registered_name": null}]},
       "registered_name": null}""";

  private static final String TFJS_JSON =
      """
      {"modelTopology": {"class_name": "Sequential", "keras_version": "tfjs-layers 4.22.0",
        "config": {"name": "s", "layers": [{"class_name": "Activation",
          "config": {"name": "a", "activation": "hard_sigmoid", "batch_input_shape": [null, 6]}}]}},
       "weightsManifest": []}""";

  private static float[] run(Model m) {
    return m.predict(Tensor.of(X, 1, X.length)).toFloatArray();
  }

  @Test
  void keras2AndTfjsConfigsKeepTheirHardSigmoid() {
    for (String json : new String[] {KERAS2_JSON, TFJS_JSON}) {
      try (Model m = Models.fromJson(json)) {
        assertArrayEquals(KERAS2, run(m), 1e-6f, json);
        assertTrue(m.toJson().contains("\"activation\":\"legacy_hard_sigmoid\""), m.toJson());
      }
    }
  }

  @Test
  void keras3ConfigsKeepKeras3sHardSigmoid() {
    try (Model m = Models.fromJson(KERAS3_JSON)) {
      assertArrayEquals(KERAS3, run(m), 1e-6f);
      // Kiln's own form is Keras 3, so the name reads back with the same meaning.
      try (Model again = Models.fromJson(m.toJson())) {
        assertArrayEquals(KERAS3, run(again), 1e-6f);
      }
    }
  }

  @Test
  void aKeras2LstmKeepsItsDefaultRecurrentActivation() {
    String lstm =
        """
        {"class_name": "Sequential", "config": [{"class_name": "LSTM", "config": {"name": "l",
          "units": 2, "activation": "tanh", "recurrent_activation": "hard_sigmoid",
          "batch_input_shape": [null, 3, 4]}}]}""";
    try (Model m = Models.fromJson(lstm)) {
      assertEquals("legacy_hard_sigmoid", m.getLayer("l").getConfig().get("recurrent_activation"));
    }
  }

  @Test
  void tfjsFilesWriteTheirHardSigmoidBackAndRefuseKeras3s(@TempDir Path dir) throws Exception {
    try (Model m = Models.fromJson(KERAS2_JSON)) {
      Path file = dir.resolve("legacy").resolve("model.json");
      m.save(file);
      String written = Files.readString(file);
      assertTrue(written.contains("\"activation\":\"hard_sigmoid\""), written);
      try (Model back = dev.kiln.api.saving.ModelFiles.load(file)) {
        assertArrayEquals(KERAS2, run(back), 1e-6f);
      }
    }
    Sequential k3 = new Sequential(Input.of(6), new Activation("hard_sigmoid"));
    Path out = dir.resolve("k3");
    String msg = assertThrows(KilnException.class, () -> k3.save(out)).getMessage();
    assertTrue(msg.contains("hard_sigmoid") && msg.contains("legacy_hard_sigmoid"), msg);
    assertTrue(!Files.exists(out.resolve("model.json")), "nothing written");
  }
}
