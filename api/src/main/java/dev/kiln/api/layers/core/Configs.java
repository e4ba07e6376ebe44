package dev.kiln.api.layers.core;

import dev.kiln.api.layers.Layer;
import dev.kiln.spi.Shape;
import java.util.List;
import java.util.Map;

/** Reads the keys every layer config has. */
public final class Configs {
  private Configs() {}

  /** Applies {@code name}, {@code trainable} and {@code batch_input_shape} from a config. */
  public static void common(Layer layer, Map<String, Object> c) {
    if (c.get("name") != null) {
      layer.name(c.get("name").toString());
    }
    if (c.get("trainable") instanceof Boolean t) {
      layer.setTrainable(t);
    }
    Object s = c.get("batch_input_shape");
    if (s == null) {
      s = c.get("batch_shape");
    }
    if (s instanceof List<?> list) {
      int[] dims = new int[list.size() - 1];
      for (int i = 1; i < list.size(); i++) {
        dims[i - 1] = list.get(i) == null ? Shape.UNKNOWN : ((Number) list.get(i)).intValue();
      }
      layer.inputShape(dims);
    }
  }

  /** An int from a config, or the default. */
  public static int intOf(Map<String, Object> c, String key, int dflt) {
    Object v = c.get(key);
    return v == null ? dflt : ((Number) v).intValue();
  }

  /** A double from a config, or the default. */
  public static double doubleOf(Map<String, Object> c, String key, double dflt) {
    Object v = c.get(key);
    return v == null ? dflt : ((Number) v).doubleValue();
  }

  /** An int list from a config (a list or a single number). */
  public static int[] intsOf(Map<String, Object> c, String key) {
    Object v = c.get(key);
    if (v == null) {
      return null;
    }
    if (v instanceof Number n) {
      return new int[] {n.intValue()};
    }
    if (v instanceof int[] a) {
      return a;
    }
    return ((List<?>) v).stream().mapToInt(o -> o == null ? -1 : ((Number) o).intValue()).toArray();
  }
}
