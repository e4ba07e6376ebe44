package dev.kiln.api.saving;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.api.Tensor;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes the files src/test/golden/kiln_in_tfjs.js checks in TF.js: the {@link InteropModels}
 * (Sequential: an MLP, a small CNN, an LSTM; Functional: two inputs, a shared layer, a nested
 * Sequential, two outputs) saved as {@code .keras} archives and as TF.js layers models, with Kiln's
 * predictions on fixed inputs. Not a check itself, and skipped unless asked for:
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
    Map<String, InteropModels.Case> all = new LinkedHashMap<>(InteropModels.sequential());
    all.putAll(InteropModels.functional());
    for (Map.Entry<String, InteropModels.Case> c : all.entrySet()) {
      write(dir, c.getKey(), c.getValue(), index);
    }
    JsonMapper.builder().build().writeValue(dir.resolve("kiln-predictions.json").toFile(), index);
  }

  private static void write(Path dir, String name, InteropModels.Case c, Map<String, Object> index)
      throws Exception {
    List<Tensor> x = c.inputs(name);
    try (Model m = c.build().get()) {
      List<Tensor> y = m.predict(x, new FitOptions());
      m.save(dir.resolve(name + ".keras"));
      m.save(dir.resolve(name + "-tfjs").resolve("model.json"));
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("inputs", arrays(x));
      e.put("outputs", arrays(y));
      index.put(name, e);
    }
  }

  /** Each tensor as {@code {shape, values}}. */
  private static List<Object> arrays(List<Tensor> ts) {
    List<Object> out = new ArrayList<>();
    for (Tensor t : ts) {
      Map<String, Object> a = new LinkedHashMap<>();
      a.put("shape", t.dims());
      a.put("values", t.toFloatArray());
      out.add(a);
    }
    return out;
  }
}
