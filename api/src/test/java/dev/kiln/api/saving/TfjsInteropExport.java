package dev.kiln.api.saving;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.api.Tensor;
import dev.kiln.api.layers.convolutional.Conv2D;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.pooling.MaxPooling2D;
import dev.kiln.api.layers.reshaping.Flatten;
import dev.kiln.api.layers.rnn.LSTM;
import dev.kiln.api.models.Sequential;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes the files src/test/golden/kiln_in_tfjs.js checks in TF.js: an MLP, a small CNN and an LSTM
 * saved as {@code .keras} archives and as TF.js layers models, with Kiln's predictions on a fixed
 * input. Not a check itself, and skipped unless asked for:
 *
 * <pre>
 * ./mvnw -B -q -o test -pl api -am -Dtest=TfjsInteropExport -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dkiln.interop.out=/tmp/kiln-interop
 * </pre>
 */
class TfjsInteropExport {
  @Test
  void export() throws Exception {
    String out = System.getProperty("kiln.interop.out");
    assumeTrue(out != null, "set -Dkiln.interop.out=DIR to write the interop files");
    Path dir = Path.of(out);
    Files.createDirectories(dir);
    Map<String, Object> index = new LinkedHashMap<>();
    write(
        dir,
        "mlp",
        new Sequential(Input.of(4), new Dense(8, "relu"), new Dense(3, "softmax")),
        new int[] {2, 4},
        index);
    write(
        dir,
        "cnn",
        new Sequential(
            Input.of(8, 8, 2),
            new Conv2D(4, 3, 3).activation("relu"),
            new MaxPooling2D(2, 2),
            new Flatten(),
            new Dense(2)),
        new int[] {2, 8, 8, 2},
        index);
    write(
        dir,
        "lstm",
        new Sequential(Input.of(5, 3), new LSTM(4), new Dense(1)),
        new int[] {2, 5, 3},
        index);
    JsonMapper.builder().build().writeValue(dir.resolve("kiln-predictions.json").toFile(), index);
  }

  private static void write(
      Path dir, String name, Sequential m, int[] shape, Map<String, Object> index)
      throws Exception {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    Random r = new Random(name.hashCode());
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (2 * r.nextDouble() - 1);
    }
    Tensor y = m.predict(Tensor.of(x, shape));
    m.save(dir.resolve(name + ".keras"));
    m.save(dir.resolve(name + "-tfjs").resolve("model.json"));
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("input_shape", shape);
    e.put("input", x);
    e.put("output_shape", y.dims());
    e.put("output", y.toFloatArray());
    index.put(name, e);
    m.close();
  }
}
