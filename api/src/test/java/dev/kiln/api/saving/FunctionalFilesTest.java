package dev.kiln.api.saving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Tensor;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Functional models (two inputs, a shared layer, a nested Sequential called twice, two outputs)
 * come back from Kiln's TF.js and {@code .keras} files with the same config, weights and
 * predictions. kiln_in_tfjs.js checks that TF.js reads the same files.
 */
class FunctionalFilesTest {
  private static void roundTrip(Path dir, String suffix) throws Exception {
    for (Map.Entry<String, InteropModels.Case> c : InteropModels.functional().entrySet()) {
      String name = c.getKey();
      List<Tensor> x = c.getValue().inputs(name);
      try (Model a = c.getValue().build().get()) {
        Path file = dir.resolve(name + suffix);
        a.save(file);
        try (Model b = ModelFiles.load(file)) {
          assertEquals(a.getConfig(), b.getConfig(), name + ": config");
          assertEquals(a.getWeights(), b.getWeights(), name + ": weights");
          List<Tensor> ya = a.predict(x, new FitOptions());
          List<Tensor> yb = b.predict(x, new FitOptions());
          assertEquals(ya, yb, name + ": predictions");
          assertTrue(!ya.isEmpty());
        }
      }
    }
  }

  @Test
  void functionalModelsRoundTripThroughTfjsFolders(@TempDir Path dir) throws Exception {
    roundTrip(dir, "-tfjs/model.json");
  }

  @Test
  void functionalModelsRoundTripThroughKerasArchives(@TempDir Path dir) throws Exception {
    roundTrip(dir, ".keras");
  }
}
