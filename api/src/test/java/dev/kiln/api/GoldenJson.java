package dev.kiln.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads the JSON golden files under {@code src/test/resources/golden} with Jackson: objects become
 * ordered maps, arrays lists, whole numbers {@link Integer} (or {@link Long}), other numbers {@link
 * Double}.
 */
public final class GoldenJson {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private GoldenJson() {}

  /** Parses a JSON text into maps, lists, numbers, strings and booleans. */
  public static Object parse(String text) {
    return JSON.readValue(text, Object.class);
  }

  /** Parses a JSON test resource (an absolute resource path such as {@code /golden/x.json}). */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> resource(String resource) {
    try (InputStream in = GoldenJson.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + resource);
      }
      return (Map<String, Object>) parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The object under {@code key}, failing with the key's name when it is absent. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> obj(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (!(v instanceof Map)) {
      throw new IllegalStateException("golden: no object '" + key + "' in " + m.keySet());
    }
    return (Map<String, Object>) v;
  }

  /** The number under {@code key}. */
  public static double num(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (!(v instanceof Number n)) {
      throw new IllegalStateException("golden: no number '" + key + "' in " + m.keySet());
    }
    return n.doubleValue();
  }

  /** The flat numeric array under {@code key}. */
  public static double[] vec(Map<String, Object> m, String key) {
    return toVec(m.get(key), key);
  }

  /** The numeric matrix under {@code key}, row-major, as a float tensor of shape (rows, cols). */
  public static Tensor matrix(Map<String, Object> m, String key) {
    List<?> rows = (List<?>) m.get(key);
    if (rows == null) {
      throw new IllegalStateException("golden: no matrix '" + key + "' in " + m.keySet());
    }
    int cols = ((List<?>) rows.get(0)).size();
    float[] v = new float[rows.size() * cols];
    for (int r = 0; r < rows.size(); r++) {
      double[] row = toVec(rows.get(r), key + "[" + r + "]");
      for (int c = 0; c < cols; c++) {
        v[r * cols + c] = (float) row[c];
      }
    }
    return Tensor.of(v, rows.size(), cols);
  }

  /** A flat numeric array under {@code key} as a float tensor of the given shape. */
  public static Tensor tensor(Map<String, Object> m, String key, int... shape) {
    double[] d = vec(m, key);
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      f[i] = (float) d[i];
    }
    return Tensor.of(f, shape.length == 0 ? new int[] {d.length} : shape);
  }

  private static double[] toVec(Object v, String what) {
    if (!(v instanceof List<?> list)) {
      throw new IllegalStateException("golden: '" + what + "' is not an array");
    }
    double[] out = new double[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) list.get(i)).doubleValue();
    }
    return out;
  }

  // ---------------------------------------------------------------- parser
}
