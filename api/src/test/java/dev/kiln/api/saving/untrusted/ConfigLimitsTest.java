package dev.kiln.api.saving.untrusted;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KilnException;
import dev.kiln.api.models.Model;
import dev.kiln.api.models.Models;
import dev.kiln.api.saving.configs.KerasConfigs;
import java.util.Collections;
import org.junit.jupiter.api.Test;

/**
 * Configs whose sizes no model has: a shape of rank 10,000 (in each place a shape is written) and
 * more layers than {@link KerasConfigs#MAX_LAYERS}. Each is refused naming the JSON path, before a
 * layer is made.
 */
class ConfigLimitsTest {
  private static String dims(int n) {
    return "[null" + ",1".repeat(n - 1) + "]";
  }

  private static String refusal(String json) {
    return assertThrows(KilnException.class, () -> Models.fromJson(json).close()).getMessage();
  }

  @Test
  void aShapeOfRankTenThousandIsRefusedWhereverItIsWritten() {
    String keras3 =
        "{\"module\":\"keras\",\"class_name\":\"Sequential\",\"config\":{\"name\":\"s\","
            + "\"layers\":[{\"module\":\"keras.layers\",\"class_name\":\"InputLayer\","
            + "\"config\":{\"name\":\"in\",\"batch_shape\":"
            + dims(10_000)
            + "},\"registered_name\":null}]},\"registered_name\":null}";
    String m = refusal(keras3);
    assertTrue(m.contains("$.config.layers[0].config.batch_shape: a shape of rank 10000"), m);

    String keras2 =
        "{\"class_name\":\"Sequential\",\"config\":[{\"class_name\":\"Dense\",\"config\":{"
            + "\"name\":\"d\",\"units\":1,\"batch_input_shape\":"
            + dims(10_000)
            + "}}]}";
    m = refusal(keras2);
    assertTrue(m.contains("$.config[0].config.batch_input_shape: a shape of rank 10000"), m);

    String reshape =
        "{\"class_name\":\"Sequential\",\"config\":{\"name\":\"s\",\"layers\":["
            + "{\"class_name\":\"Reshape\",\"config\":{\"name\":\"r\",\"batch_input_shape\":"
            + "[null,1],\"target_shape\":["
            + String.join(",", Collections.nCopies(10_000, "1"))
            + "]}}]}}";
    m = refusal(reshape);
    assertTrue(m.contains("$.config.layers[0].config.target_shape: a shape of rank 10000"), m);

    String built =
        "{\"module\":\"keras\",\"class_name\":\"Sequential\",\"config\":{\"name\":\"s\","
            + "\"layers\":[{\"module\":\"keras.layers\",\"class_name\":\"Dense\","
            + "\"config\":{\"name\":\"d\",\"units\":1},\"registered_name\":null,"
            + "\"build_config\":{\"input_shape\":"
            + dims(10_000)
            + "}}]},\"registered_name\":null}";
    m = refusal(built);
    assertTrue(m.contains("build_config.input_shape: a shape of rank 10000"), m);
  }

  @Test
  void aShapeAtTheRankLimitIsStillRead() {
    // 64 axes of size 1: allowed (NumPy 2's limit), unlike one more.
    String ok =
        "{\"class_name\":\"Sequential\",\"config\":[{\"class_name\":\"Reshape\",\"config\":{"
            + "\"name\":\"r\",\"batch_input_shape\":[null,1],\"target_shape\":["
            + String.join(",", Collections.nCopies(KerasConfigs.MAX_RANK, "1"))
            + "]}}]}";
    try (Model model = Models.fromJson(ok)) {
      assertTrue(model.outputs().get(0).shape().rank() == KerasConfigs.MAX_RANK + 1);
    }
    String over = ok.replace("\"target_shape\":[", "\"target_shape\":[1,");
    assertTrue(refusal(over).contains("a shape of rank 65"));
  }

  @Test
  void moreLayersThanTheLimitAreRefusedBeforeAnyIsMade() {
    int n = KerasConfigs.MAX_LAYERS + 1;
    StringBuilder b =
        new StringBuilder("{\"class_name\":\"Sequential\",\"config\":{\"name\":\"s\",\"layers\":[");
    b.append("{\"class_name\":\"InputLayer\",\"config\":{\"batch_input_shape\":[null,1]}}");
    String layer = ",{\"class_name\":\"ReLU\",\"config\":{}}";
    for (int i = 1; i < n; i++) {
      b.append(layer);
    }
    b.append("]}}");
    String m = refusal(b.toString());
    assertTrue(
        m.contains("$.config.layers[" + KerasConfigs.MAX_LAYERS + "]")
            && m.contains("more than " + KerasConfigs.MAX_LAYERS + " layers"),
        m);
  }
}
