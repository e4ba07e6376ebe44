package dev.kiln.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the JSON golden files under {@code src/test/resources/golden}: objects become ordered maps,
 * arrays lists, whole numbers {@link Integer} (or {@link Long}), other numbers {@link Double}. Only
 * what those files use; no escapes beyond the JSON standard ones.
 */
public final class GoldenJson {
  private final String text;
  private int at;

  private GoldenJson(String text) {
    this.text = text;
  }

  /** Parses a JSON text. */
  public static Object parse(String text) {
    GoldenJson p = new GoldenJson(text);
    Object v = p.value();
    p.space();
    if (p.at != text.length()) {
      throw p.error("trailing text");
    }
    return v;
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

  private Object value() {
    space();
    if (at >= text.length()) {
      throw error("unexpected end");
    }
    char c = text.charAt(at);
    return switch (c) {
      case '{' -> object();
      case '[' -> array();
      case '"' -> string();
      case 't' -> word("true", Boolean.TRUE);
      case 'f' -> word("false", Boolean.FALSE);
      case 'n' -> word("null", null);
      default -> number();
    };
  }

  private Map<String, Object> object() {
    Map<String, Object> m = new LinkedHashMap<>();
    at++;
    space();
    if (peek() == '}') {
      at++;
      return m;
    }
    while (true) {
      space();
      String k = string();
      space();
      expect(':');
      m.put(k, value());
      space();
      if (peek() == ',') {
        at++;
      } else {
        expect('}');
        return m;
      }
    }
  }

  private List<Object> array() {
    List<Object> l = new ArrayList<>();
    at++;
    space();
    if (peek() == ']') {
      at++;
      return l;
    }
    while (true) {
      l.add(value());
      space();
      if (peek() == ',') {
        at++;
      } else {
        expect(']');
        return l;
      }
    }
  }

  private String string() {
    expect('"');
    StringBuilder b = new StringBuilder();
    while (true) {
      char c = text.charAt(at++);
      if (c == '"') {
        return b.toString();
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      char e = text.charAt(at++);
      switch (e) {
        case 'n' -> b.append('\n');
        case 't' -> b.append('\t');
        case 'r' -> b.append('\r');
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'u' -> {
          b.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
          at += 4;
        }
        default -> b.append(e);
      }
    }
  }

  private Object number() {
    int start = at;
    while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
      at++;
    }
    String s = text.substring(start, at);
    if (s.isEmpty()) {
      throw error("unexpected character '" + text.charAt(start) + "'");
    }
    if (s.contains(".") || s.contains("e") || s.contains("E")) {
      return Double.parseDouble(s);
    }
    long v = Long.parseLong(s);
    return v == (int) v ? (Object) (int) v : (Object) v;
  }

  private Object word(String w, Object v) {
    if (!text.startsWith(w, at)) {
      throw error("expected " + w);
    }
    at += w.length();
    return v;
  }

  private char peek() {
    return at < text.length() ? text.charAt(at) : '\0';
  }

  private void expect(char c) {
    if (peek() != c) {
      throw error("expected '" + c + "'");
    }
    at++;
  }

  private void space() {
    while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
      at++;
    }
  }

  private IllegalStateException error(String what) {
    return new IllegalStateException("golden JSON: " + what + " at offset " + at);
  }
}
