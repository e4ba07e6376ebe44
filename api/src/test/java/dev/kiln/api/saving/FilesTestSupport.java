package dev.kiln.api.saving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.GoldenJson;
import dev.kiln.api.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/** Shared helpers of the file-format tests. */
final class FilesTestSupport {
  private FilesTestSupport() {}

  static Tensor randomX(int rows, int cols, long seed) {
    Random r = new Random(seed);
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextGaussian());
    }
    return Tensor.of(v, rows, cols);
  }

  /** Copies a test resource under {@code keras-config-samples/} into {@code dir}. */
  static Path sample(Path dir, String resource) throws IOException {
    Path out = dir.resolve(Path.of(resource).getFileName().toString());
    try (InputStream in =
        FilesTestSupport.class.getResourceAsStream("/keras-config-samples/" + resource)) {
      if (in == null) {
        throw new IllegalStateException("no test resource " + resource);
      }
      Files.copy(in, out);
    }
    return out;
  }

  static void assertHas(String message, String... parts) {
    for (String p : parts) {
      assertTrue(message.contains(p), "missing <" + p + "> in: " + message);
    }
  }

  /** The names in {@code dir}, sorted. */
  static List<String> listing(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** The h5py reading of one dataset: shape, first values, sum. */
  @SuppressWarnings("unchecked")
  static void assertMatchesH5py(String file, String dataset, Tensor t) {
    Map<String, Object> all = GoldenJson.resource("/golden/h5-values.json");
    Map<String, Object> d = (Map<String, Object>) GoldenJson.obj(all, file).get(dataset);
    if (d == null) {
      throw new IllegalStateException("no dataset " + dataset + " of " + file + " in h5-values");
    }
    List<Number> shape = (List<Number>) d.get("shape");
    int[] dims = t.dims();
    assertEquals(shape.size(), dims.length, dataset + " rank");
    for (int i = 0; i < dims.length; i++) {
      assertEquals(shape.get(i).intValue(), dims[i], dataset + " shape");
    }
    float[] v = t.toFloatArray();
    List<Number> first = (List<Number>) d.get("first");
    for (int i = 0; i < first.size(); i++) {
      assertEquals(first.get(i).floatValue(), v[i], 0f, dataset + " value " + i);
    }
    double sum = 0;
    for (float x : v) {
      sum += x;
    }
    double expected = ((Number) d.get("sum")).doubleValue();
    assertEquals(expected, sum, 1e-4 * Math.max(1, Math.abs(expected)), dataset + " sum");
  }
}
