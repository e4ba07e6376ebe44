package dev.kiln.api;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keras's serialized form of an object argument (an initializer, a regularizer, a constraint):
 * {@code {"module", "class_name", "config", "registered_name"}}, or just a name.
 */
public final class KerasObjects {
  private KerasObjects() {}

  /** A parsed spec: the class name (or short name) and its config, empty when only named. */
  public record Spec(String name, Map<String, Object> config) {}

  /**
   * Reads a name ({@code "l2"}) or a map with {@code class_name} and {@code config}.
   *
   * @throws KilnException for anything else
   */
  @SuppressWarnings("unchecked")
  public static Spec parse(Object spec) {
    if (spec instanceof String s) {
      return new Spec(s, Map.of());
    }
    if (spec instanceof Map<?, ?> m && m.get("class_name") != null) {
      Object c = m.get("config");
      return new Spec(
          m.get("class_name").toString(), c == null ? Map.of() : (Map<String, Object>) c);
    }
    throw new KilnException("cannot read a Keras object from " + spec);
  }

  /** The serialized form, as Keras 3 writes it. */
  public static Map<String, Object> serialize(
      String module, String className, Map<String, Object> config) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("module", module);
    m.put("class_name", className);
    m.put("config", config);
    m.put("registered_name", null);
    return m;
  }
}
