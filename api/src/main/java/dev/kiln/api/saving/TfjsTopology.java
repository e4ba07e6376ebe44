package dev.kiln.api.saving;

import dev.kiln.api.models.Model;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's Keras 3 config rewritten in the Keras 2 form tfjs-layers reads: envelopes reduced to
 * {@code class_name} and {@code config} ({@code module}, {@code registered_name}, {@code
 * build_config} dropped), dtype policies as their name, {@code batch_shape} as {@code
 * batch_input_shape}, inbound nodes as lists of {@code [layer, node, tensor, kwargs]} and {@code
 * input_layers}/{@code output_layers} as lists of triples.
 */
final class TfjsTopology {
  private TfjsTopology() {}

  /** The {@code modelTopology} of a TF.js model.json for {@code model}. */
  static Map<String, Object> fromKeras3(Model model) {
    Map<String, Object> env = new LinkedHashMap<>();
    env.put("class_name", model.className());
    env.put("config", convert(model.getConfig(), null));
    env.put("keras_version", "tfjs-layers 4.22.0");
    env.put("backend", "tensor_flow.js");
    return env;
  }

  @SuppressWarnings("unchecked")
  private static Object convert(Object v, String key) {
    if (v instanceof Map<?, ?> raw) {
      Map<String, Object> m = (Map<String, Object>) raw;
      if ("DTypePolicy".equals(m.get("class_name")) && m.get("config") instanceof Map<?, ?> c) {
        return c.get("name");
      }
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<String, Object> e : m.entrySet()) {
        String k = e.getKey();
        if (k.equals("module")
            || k.equals("registered_name")
            || k.equals("build_config")
            || k.equals("compile_config")
            || k.equals("shared_object_id")) {
          continue;
        }
        if (k.equals("inbound_nodes") && e.getValue() instanceof List<?> nodes) {
          out.put(k, nodes(nodes));
        } else if ((k.equals("input_layers") || k.equals("output_layers"))
            && e.getValue() instanceof List<?> l
            && isTriple(l)) {
          out.put(k, List.of(l));
        } else if (k.equals("batch_shape")) {
          out.put("batch_input_shape", e.getValue());
        } else {
          out.put(k, convert(e.getValue(), k));
        }
      }
      return out;
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      for (Object o : l) {
        out.add(convert(o, key));
      }
      return out;
    }
    return v;
  }

  private static boolean isTriple(List<?> l) {
    return l.size() == 3
        && l.get(0) instanceof String
        && l.get(1) instanceof Number
        && l.get(2) instanceof Number;
  }

  /** Keras 3 nodes ({@code {args, kwargs}}) as Keras 2 nodes (lists of 4-element entries). */
  private static List<Object> nodes(List<?> nodes) {
    List<Object> out = new ArrayList<>();
    for (Object n : nodes) {
      if (!(n instanceof Map<?, ?> node)) {
        out.add(n);
        continue;
      }
      List<Object> entries = new ArrayList<>();
      Object args = node.get("args");
      Object first = args instanceof List<?> a && !a.isEmpty() ? a.get(0) : null;
      Map<String, Object> kwargs = new LinkedHashMap<>();
      if (node.get("kwargs") instanceof Map<?, ?> kw) {
        for (Map.Entry<?, ?> e : kw.entrySet()) {
          kwargs.put(String.valueOf(e.getKey()), convert(e.getValue(), null));
        }
      }
      List<?> tensors = first instanceof List<?> l ? l : first == null ? List.of() : List.of(first);
      for (Object t : tensors) {
        List<Object> h = history(t);
        if (h != null) {
          List<Object> entry = new ArrayList<>(h);
          entry.add(kwargs);
          entries.add(entry);
        }
      }
      out.add(entries);
    }
    return out;
  }

  private static List<Object> history(Object t) {
    if (t instanceof Map<?, ?> m
        && "__keras_tensor__".equals(m.get("class_name"))
        && m.get("config") instanceof Map<?, ?> c
        && c.get("keras_history") instanceof List<?> h) {
      return new ArrayList<>(h);
    }
    return null;
  }
}
