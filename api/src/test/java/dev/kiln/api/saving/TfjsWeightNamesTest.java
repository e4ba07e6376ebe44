package dev.kiln.api.saving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.rnn.LSTM;
import dev.kiln.api.models.Sequential;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TF.js writer names weights as tfjs-layers does ({@code <layer>/<variable>}), which is how
 * tf.loadLayersModel finds them: a recurrent layer's weights under the layer's name, not its cell's
 * (TF.js refused Kiln's {@code lstm_cell/kernel}; see src/test/golden/kiln_in_tfjs.js).
 */
class TfjsWeightNamesTest {
  @Test
  void recurrentWeightsAreNamedByTheirLayer(@TempDir Path dir) throws Exception {
    Sequential m = new Sequential(Input.of(5, 3), new LSTM(4), new Dense(1));
    String lstm = m.layers().get(0).name();
    String dense = m.layers().get(1).name();
    Path file = dir.resolve("m").resolve("model.json");
    m.save(file);
    String json = Files.readString(file);
    for (String w : new String[] {"kernel", "recurrent_kernel", "bias"}) {
      assertTrue(json.contains("\"name\":\"" + lstm + "/" + w + "\""), json);
    }
    assertTrue(json.contains("\"name\":\"" + dense + "/kernel\""), json);
    assertTrue(!json.contains("lstm_cell/"), json);
    // Kiln reads its own file back, the same weights.
    Sequential back = new Sequential(Input.of(5, 3), new LSTM(4), new Dense(1));
    back.loadWeights(file);
    assertEquals(m.getWeights(), back.getWeights());
  }
}
