package dev.kiln.api.saving.configs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.KilnException;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Dropout;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.models.Model;
import dev.kiln.api.models.Models;
import org.junit.jupiter.api.Test;

/**
 * What Keras keeps of a call besides its input tensors (node {@code kwargs}) and compile's {@code
 * weighted_metrics}: Kiln honours what leaves Keras's meaning unchanged and refuses, naming the
 * JSON path, what it would compute differently. {@link TrainingKeywordTest} covers {@code
 * training}.
 */
class CallArgumentsTest {
  /** Kiln's Keras 3 form of Input(3) -> Dropout -> Dense(2), compiled. */
  private static String keras3() {
    KerasTensor in = Input.of(3);
    try (Model m = Model.of(in, new Dense(2).apply(new Dropout(0.5).apply(in)))) {
      m.compile("adam", "mse", "mae");
      String json = m.toJson();
      assertTrue(json.contains("\"kwargs\":{}") && json.contains("\"weighted_metrics\":null"));
      return json;
    }
  }

  private static String refusal(String json) {
    return assertThrows(KilnException.class, () -> Models.fromJson(json).close()).getMessage();
  }

  private static String withKwargs(String kwargs) {
    // The Dropout's call (the second layer entry, its only node).
    String json = keras3();
    int dropout = json.indexOf("\"class_name\":\"Dropout\"");
    int at = json.indexOf("\"kwargs\":{}", dropout);
    return json.substring(0, at) + "\"kwargs\":" + kwargs + json.substring(at + 11);
  }

  @Test
  void tensorsByKeywordAndOtherSettingsAreRefused() {
    String mask =
        "{\"mask\":{\"class_name\":\"__keras_tensor__\",\"config\":{\"shape\":[null,3],"
            + "\"dtype\":\"float32\",\"keras_history\":[\"input_layer\",0,0]}}}";
    String m = refusal(withKwargs(mask));
    assertTrue(m.contains("kwargs.mask") && m.contains("passes a tensor by keyword"), m);
    m = refusal(withKwargs("{\"use_causal_mask\":true}"));
    assertTrue(m.contains("kwargs.use_causal_mask") && m.contains("`use_causal_mask=true`"), m);
  }

  @Test
  void argumentsThatChangeNothingAreRead() {
    try (Model m = Models.fromJson(withKwargs("{\"mask\":null,\"use_causal_mask\":false}"))) {
      assertEquals(2 * 3 + 2, m.countParams());
    }
    try (Model m = Models.fromJson(keras3())) {
      assertEquals("Adam", m.optimizer().className());
    }
  }

  @Test
  void weightedMetricsAreRefusedUnlessEmpty() {
    String m =
        refusal(keras3().replace("\"weighted_metrics\":null", "\"weighted_metrics\":[\"mae\"]"));
    assertTrue(m.contains("$.compile_config") && m.contains("`weighted_metrics`"), m);
    assertTrue(m.contains("sample_weight"), m);
    try (Model ok =
        Models.fromJson(keras3().replace("\"weighted_metrics\":null", "\"weighted_metrics\":[]"))) {
      assertEquals("Adam", ok.optimizer().className());
    }
  }
}
