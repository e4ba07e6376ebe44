package dev.kiln.api.saving;

import dev.kiln.api.KilnException;
import dev.kiln.api.activations.LegacyHardSigmoid;
import dev.kiln.api.models.Model;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model's Keras 3 config rewritten in the Keras 2 form tfjs-layers reads: envelopes reduced to
 * {@code class_name} and {@code config} ({@code module}, {@code registered_name}, {@code
 * build_config} dropped), dtype policies as {@code float32} (the only one TF.js computes in),
 * {@code batch_shape} as {@code batch_input_shape}, inbound nodes as lists of {@code [layer, node,
 * tensor, kwargs]} and {@code input_layers}/{@code output_layers} as lists of triples.
 */
final class TfjsTopology {
  private TfjsTopology() {}

  /** The {@code modelTopology} of a TF.js model.json for {@code model}. */
  static Map<String, Object> fromKeras3(Model model) {
    Map<String, Object> env = new LinkedHashMap<>();
    env.put("class_name", model.className());
    env.put("config", convert(model.getConfig(), null, Set.of()));
    env.put("keras_version", "tfjs-layers 4.22.0");
    env.put("backend", "tensor_flow.js");
    return env;
  }

  /**
   * {@code v} in the Keras 2 form; {@code shifted} names the nested Sequentials of the Functional
   * config being converted whose node indices move up by one.
   */
  @SuppressWarnings("unchecked")
  private static Object convert(Object v, String key, Set<String> shifted) {
    if (v instanceof Map<?, ?> raw) {
      Map<String, Object> m = (Map<String, Object>) raw;
      if ("DTypePolicy".equals(m.get("class_name"))) {
        // TF.js layers compute in float32 only, and the weights are written as float32, so a
        // float64, 16-bit or mixed policy exports as a float32 model.
        return "float32";
      }
      if (m.get("layers") instanceof List<?> entries && m.containsKey("input_layers")) {
        shifted = shiftedSequentials(entries);
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
          out.put(k, nodes(nodes, shifted));
        } else if ((k.equals("input_layers") || k.equals("output_layers"))
            && e.getValue() instanceof List<?> l) {
          List<Object> ends = new ArrayList<>();
          for (Object t : isTriple(l) ? List.of(l) : l) {
            ends.add(t instanceof List<?> h ? shift(new ArrayList<>(h), shifted) : t);
          }
          out.put(k, ends);
        } else if (k.equals("batch_shape")) {
          out.put("batch_input_shape", e.getValue());
        } else {
          out.put(k, convert(e.getValue(), k, shifted));
        }
      }
      return out;
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      for (Object o : l) {
        out.add(convert(o, key, shifted));
      }
      return out;
    }
    if (v instanceof String s
        && key != null
        && (key.equals("activation") || key.endsWith("_activation"))) {
      return activation(s, key);
    }
    return v;
  }

  /**
   * An activation under TF.js's meaning of its name. TF.js's {@code hard_sigmoid} is Keras 2's
   * {@code clip(0.2x + 0.5, 0, 1)}, which Kiln calls {@code legacy_hard_sigmoid}; Keras 3's (and
   * Kiln's) {@code hard_sigmoid}, {@code relu6(x + 3) / 6}, has no TF.js name.
   */
  private static String activation(String name, String key) {
    if (name.equals(LegacyHardSigmoid.NAME)) {
      return "hard_sigmoid";
    }
    if (name.equals("hard_sigmoid")) {
      throw new KilnException(
          "cannot write `"
              + key
              + ": hard_sigmoid` to a TF.js model: Kiln's hard_sigmoid is Keras 3's relu6(x + 3)"
              + " / 6, TF.js's is clip(0.2x + 0.5, 0, 1) and it has no other; use"
              + " legacy_hard_sigmoid (TF.js's) or sigmoid");
    }
    return name;
  }

  private static boolean isTriple(List<?> l) {
    return l.size() == 3
        && l.get(0) instanceof String
        && l.get(1) instanceof Number
        && l.get(2) instanceof Number;
  }

  /**
   * The nested Sequentials among a Functional config's layer entries that start with an {@code
   * InputLayer}. Keras 2 and TF.js build such a Sequential as a graph network when it is made,
   * which gives it a node of its own first: its calls in the outer model are nodes 1, 2, ... where
   * Keras 3 (and Kiln) count 0, 1, .... TF.js reading node 0 would take the Sequential's own
   * output, not connected to the outer inputs ("Graph disconnected").
   */
  private static Set<String> shiftedSequentials(List<?> entries) {
    Set<String> out = new HashSet<>();
    for (Object o : entries) {
      if (o instanceof Map<?, ?> e
          && "Sequential".equals(e.get("class_name"))
          && e.get("name") instanceof String name
          && e.get("config") instanceof Map<?, ?> c
          && c.get("layers") instanceof List<?> ls
          && !ls.isEmpty()
          && ls.get(0) instanceof Map<?, ?> first
          && "InputLayer".equals(first.get("class_name"))) {
        out.add(name);
      }
    }
    return out;
  }

  /** A {@code [layer, node, tensor]} history with its node moved up where the layer is shifted. */
  private static List<Object> shift(List<Object> h, Set<String> shifted) {
    if (h.size() >= 2 && shifted.contains(h.get(0)) && h.get(1) instanceof Number n) {
      h.set(1, n.longValue() + 1);
    }
    return h;
  }

  /** Keras 3 nodes ({@code {args, kwargs}}) as Keras 2 nodes (lists of 4-element entries). */
  private static List<Object> nodes(List<?> nodes, Set<String> shifted) {
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
          kwargs.put(String.valueOf(e.getKey()), convert(e.getValue(), null, shifted));
        }
      }
      List<?> tensors = first instanceof List<?> l ? l : first == null ? List.of() : List.of(first);
      for (Object t : tensors) {
        List<Object> h = history(t);
        if (h != null) {
          List<Object> entry = shift(new ArrayList<>(h), shifted);
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
