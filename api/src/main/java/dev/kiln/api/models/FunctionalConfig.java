package dev.kiln.api.models;

import dev.kiln.api.DTypePolicy;
import dev.kiln.api.KerasTensor;
import dev.kiln.api.KilnException;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.LayerCall;
import dev.kiln.api.layers.core.InputLayer;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.spi.Shape;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Functional model's config in Keras 3's form, and the model rebuilt from it: {@code layers} with
 * their {@code inbound_nodes} (each call's input tensors as {@code __keras_tensor__} entries with
 * their {@code keras_history}), {@code input_layers} and {@code output_layers}. Shared layers have
 * one entry with several nodes; nested models are entries of class {@code Functional} holding their
 * own config.
 */
final class FunctionalConfig {
  private FunctionalConfig() {}

  // ---------------------------------------------------------------- writing

  static Map<String, Object> write(Model model) {
    Map<Layer, List<LayerCall>> nodes = nodesOf(model);
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("name", model.name());
    c.put("trainable", model.trainable());
    List<Object> layers = new ArrayList<>();
    for (Layer l : model.layers()) {
      Map<String, Object> e = entry(l);
      List<Object> inbound = new ArrayList<>();
      for (LayerCall call : nodes.get(l)) {
        if (call.inputs().isEmpty()) {
          continue;
        }
        if (!(l instanceof Model) && call == nodes.get(l).get(0)) {
          e.put("build_config", Map.of("input_shape", buildShape(call.inputs())));
        }
        inbound.add(node(call, nodes));
      }
      e.put("name", l.name());
      e.put("inbound_nodes", inbound);
      layers.add(e);
    }
    c.put("layers", layers);
    c.put("input_layers", history(model.inputs(), nodes));
    c.put("output_layers", history(model.outputs(), nodes));
    return c;
  }

  /**
   * A layer's entry: {@code module}, {@code class_name}, {@code config}, {@code registered_name}.
   */
  static Map<String, Object> entry(Layer l) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("module", l instanceof Model ? "keras.src.models.functional" : Kind.LAYER.module());
    e.put("class_name", l.className());
    e.put("config", l.getConfig());
    e.put("registered_name", registeredName(l));
    return e;
  }

  private static Object registeredName(Layer l) {
    if (l instanceof Model) {
      return null;
    }
    try {
      Registry.declaration(Kind.LAYER, l.className());
      return l.getClass().getName().startsWith("dev.kiln.api.") ? null : l.className();
    } catch (KilnException e) {
      return l.className();
    }
  }

  /** Each layer's calls that belong to this model, in call order: Keras's node indices. */
  private static Map<Layer, List<LayerCall>> nodesOf(Model model) {
    Map<Layer, List<LayerCall>> nodes = new IdentityHashMap<>();
    for (Layer l : model.layers()) {
      nodes.put(l, new ArrayList<>());
    }
    for (KerasTensor in : model.inputs()) {
      nodes.get(in.layer()).add(in.layer().calls().get(in.callIndex()));
    }
    for (LayerCall call : model.callOrder()) {
      List<LayerCall> list = nodes.get(call.layer());
      if (!list.contains(call)) {
        list.add(call);
      }
    }
    for (List<LayerCall> list : nodes.values()) {
      list.sort((a, b) -> a.layer().calls().indexOf(a) - b.layer().calls().indexOf(b));
    }
    return nodes;
  }

  private static Map<String, Object> node(LayerCall call, Map<Layer, List<LayerCall>> nodes) {
    List<Object> tensors = new ArrayList<>();
    for (KerasTensor t : call.inputs()) {
      tensors.add(tensor(t, nodes));
    }
    Map<String, Object> n = new LinkedHashMap<>();
    // One input is passed as itself, several as one list: Keras's call(inputs) convention.
    n.put("args", tensors.size() == 1 ? List.of(tensors.get(0)) : List.of(tensors));
    n.put("kwargs", call.training() == null ? Map.of() : Map.of("training", call.training()));
    return n;
  }

  private static Map<String, Object> tensor(KerasTensor t, Map<Layer, List<LayerCall>> nodes) {
    Map<String, Object> cfg = new LinkedHashMap<>();
    cfg.put("shape", dims(t.shape()));
    cfg.put("dtype", t.dtype().kerasName());
    cfg.put("keras_history", historyOf(t, nodes));
    Map<String, Object> k = new LinkedHashMap<>();
    k.put("class_name", "__keras_tensor__");
    k.put("config", cfg);
    return k;
  }

  private static List<Object> historyOf(KerasTensor t, Map<Layer, List<LayerCall>> nodes) {
    LayerCall call = t.layer().calls().get(t.callIndex());
    List<LayerCall> list = nodes.get(t.layer());
    int node = list == null ? 0 : Math.max(0, list.indexOf(call));
    // Keras counts a nested Functional model's calls from 1: its node 0 is the one made when it
    // was built. A Sequential is no Functional in Keras 3 and counts from 0.
    if (startsAtOne(t.layer())) {
      node++;
    }
    return List.of(t.layer().name(), node, t.tensorIndex());
  }

  private static boolean startsAtOne(Layer l) {
    return l instanceof Model && !(l instanceof Sequential);
  }

  private static List<Object> history(List<KerasTensor> ts, Map<Layer, List<LayerCall>> nodes) {
    List<Object> out = new ArrayList<>();
    for (KerasTensor t : ts) {
      out.add(historyOf(t, nodes));
    }
    return out;
  }

  private static Object buildShape(List<KerasTensor> inputs) {
    if (inputs.size() == 1) {
      return dims(inputs.get(0).shape());
    }
    List<Object> out = new ArrayList<>();
    for (KerasTensor t : inputs) {
      out.add(dims(t.shape()));
    }
    return out;
  }

  private static List<Object> dims(Shape s) {
    List<Object> out = new ArrayList<>();
    for (int d : s.dims()) {
      out.add(d == Shape.UNKNOWN ? null : d);
    }
    return out;
  }

  // ---------------------------------------------------------------- reading

  /**
   * Rebuilds a Functional model: makes every layer from its entry, then calls each node as soon as
   * its input tensors exist (a shared layer's later node may wait for layers listed after it).
   *
   * @throws KilnException naming the layer entry and the JSON path at fault
   */
  @SuppressWarnings("unchecked")
  static Model read(Map<String, Object> config) {
    if (config == null) {
      throw new KilnException("a Functional config is needed, got null");
    }
    if (!(config.get("layers") instanceof List<?> entries)) {
      throw new KilnException("a Functional config needs a `layers` list; got " + config.keySet());
    }
    Map<String, Layer> layers = new LinkedHashMap<>();
    Map<String, List<Object>> pending = new LinkedHashMap<>();
    Map<String, List<List<KerasTensor>>> outputs = new LinkedHashMap<>();
    java.util.Set<String> fromOne = new java.util.HashSet<>();
    for (int i = 0; i < entries.size(); i++) {
      String path = "layers[" + i + "]";
      if (!(entries.get(i) instanceof Map<?, ?> raw)) {
        throw new KilnException(path + " must be a JSON object, got " + entries.get(i));
      }
      Map<String, Object> e = (Map<String, Object>) raw;
      String className = entryClass(e, path);
      Object cfg = entryConfig(e, path, className);
      Layer layer = makeLayer(className, (Map<String, Object>) cfg, path);
      String name = e.get("name") instanceof String n ? n : layer.name();
      layers.put(name, layer);
      if (startsAtOne(layer)) {
        fromOne.add(name);
      }
      outputs.put(name, new ArrayList<>());
      if (layer instanceof InputLayer in) {
        outputs.get(name).add(List.of(in.output()));
      }
      Object inbound = e.get("inbound_nodes");
      pending.put(name, inbound instanceof List<?> l ? new ArrayList<>(l) : new ArrayList<>());
    }
    boolean progress = true;
    while (progress) {
      progress = false;
      for (Map.Entry<String, List<Object>> p : pending.entrySet()) {
        while (!p.getValue().isEmpty()) {
          Object node = p.getValue().get(0);
          List<KerasTensor> in = resolve(node, outputs, fromOne, p.getKey());
          if (in == null) {
            break;
          }
          p.getValue().remove(0);
          if (in.isEmpty()) {
            throw new KilnException(
                "layer \"" + p.getKey() + "\": an inbound node names no input tensors");
          }
          outputs.get(p.getKey()).add(layers.get(p.getKey()).applyAll(in, training(node)));
          progress = true;
        }
      }
    }
    for (Map.Entry<String, List<Object>> p : pending.entrySet()) {
      if (!p.getValue().isEmpty()) {
        throw new KilnException(
            "layer '"
                + p.getKey()
                + "': an inbound node refers to a tensor that no layer of the config produces: "
                + p.getValue().get(0));
      }
    }
    List<KerasTensor> ins = endpoints(config.get("input_layers"), outputs, fromOne, "input_layers");
    List<KerasTensor> outs =
        endpoints(config.get("output_layers"), outputs, fromOne, "output_layers");
    Model m = Model.of(ins, outs, config.get("name") instanceof String n ? n : null);
    if (config.get("trainable") instanceof Boolean t && !t) {
      m.setTrainable(false);
    }
    return m;
  }

  /** The entry's {@code class_name}, checked. */
  private static String entryClass(Map<?, ?> e, String path) {
    if (!(e.get("class_name") instanceof String cls)) {
      throw new KilnException(
          path + ": `class_name` must be a layer class name string, got " + e.get("class_name"));
    }
    return cls;
  }

  /** The entry's {@code config}, checked to be an object. */
  private static Map<?, ?> entryConfig(Map<?, ?> e, String path, String cls) {
    if (!(e.get("config") instanceof Map<?, ?> cfg)) {
      Object c = e.get("config");
      throw new KilnException(
          path
              + " ("
              + cls
              + "): `config` must be a JSON object, got "
              + (c instanceof List ? "a list " : "")
              + c);
    }
    return cfg;
  }

  @SuppressWarnings("unchecked")
  private static Layer makeLayer(String className, Map<String, Object> cfg, String path) {
    try {
      if (className.equals("Functional") || className.equals("Model")) {
        return read(cfg);
      }
      if (className.equals("Sequential")) {
        return readSequential(cfg);
      }
      return Registry.fromConfig(Kind.LAYER, className, cfg);
    } catch (IllegalArgumentException | KilnException e) {
      throw new KilnException(path + " (" + className + "): " + e.getMessage(), e);
    }
  }

  /**
   * Rebuilds a Sequential model from Keras's config: its {@code layers} in order, an {@code
   * InputLayer} entry giving the input shape.
   */
  @SuppressWarnings("unchecked")
  static Sequential readSequential(Map<String, Object> config) {
    if (config == null) {
      throw new KilnException("a Sequential config is needed, got null");
    }
    if (!(config.get("layers") instanceof List<?> entries)) {
      throw new KilnException("a Sequential config needs a `layers` list; got " + config.keySet());
    }
    Sequential s = new Sequential();
    if (config.get("name") instanceof String n) {
      s.name(n);
    }
    if (config.get("dtype") != null) {
      // The model's own policy decides, as in Keras, whether compile adds loss scaling.
      s.dtypePolicy(DTypePolicy.fromConfig(config.get("dtype"), "model '" + s.name() + "'"));
    }
    for (int i = 0; i < entries.size(); i++) {
      String path = "layers[" + i + "]";
      if (!(entries.get(i) instanceof Map<?, ?> e)) {
        throw new KilnException(path + " must be a JSON object, got " + entries.get(i));
      }
      String cls = entryClass(e, path);
      Object cfg = entryConfig(e, path, cls);
      Layer l = makeLayer(cls, (Map<String, Object>) cfg, path);
      if (l instanceof InputLayer in) {
        s.add(in.output());
      } else {
        s.add(l);
      }
    }
    if (config.get("trainable") instanceof Boolean t && !t) {
      s.setTrainable(false);
    }
    return s;
  }

  /**
   * The node's {@code training} keyword (Keras 3's {@code kwargs}, or the fourth item of a Keras 2
   * tensor entry), or null when the call follows the step.
   */
  private static Boolean training(Object node) {
    if (node instanceof Map<?, ?> m) {
      return m.get("kwargs") instanceof Map<?, ?> kw && kw.get("training") instanceof Boolean t
          ? t
          : null;
    }
    if (node instanceof List<?> keras2) {
      for (Object item : keras2) {
        if (item instanceof List<?> l
            && l.size() > 3
            && l.get(3) instanceof Map<?, ?> kw
            && kw.get("training") instanceof Boolean t) {
          return t;
        }
      }
    }
    return null;
  }

  /** The input tensors of one node, or null while one of them is not made yet. */
  @SuppressWarnings("unchecked")
  private static List<KerasTensor> resolve(
      Object node,
      Map<String, List<List<KerasTensor>>> outputs,
      java.util.Set<String> fromOne,
      String layer) {
    List<Object> histories = new ArrayList<>();
    if (node instanceof Map<?, ?> m && m.get("args") instanceof List<?> args) {
      collect(args, histories);
    } else if (node instanceof List<?> keras2) {
      for (Object item : keras2) {
        if (item instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof String) {
          histories.add(l);
        }
      }
    } else {
      throw new KilnException("layer '" + layer + "': cannot read the inbound node " + node);
    }
    List<KerasTensor> in = new ArrayList<>();
    for (Object h : histories) {
      KerasTensor t = lookup(h, outputs, fromOne, layer);
      if (t == null) {
        return null;
      }
      in.add(t);
    }
    return in;
  }

  private static void collect(Object v, List<Object> histories) {
    if (v instanceof Map<?, ?> m
        && "__keras_tensor__".equals(m.get("class_name"))
        && m.get("config") instanceof Map<?, ?> c) {
      histories.add(c.get("keras_history"));
    } else if (v instanceof List<?> l) {
      for (Object x : l) {
        collect(x, histories);
      }
    }
  }

  /**
   * The tensor a {@code keras_history} ({@code [layer name, node index, tensor index]}) names, or
   * null while that node is not made yet.
   */
  private static KerasTensor lookup(
      Object history,
      Map<String, List<List<KerasTensor>>> outputs,
      java.util.Set<String> fromOne,
      String where) {
    if (!(history instanceof List<?> h)
        || h.size() < 3
        || !(h.get(0) instanceof String name)
        || !(h.get(1) instanceof Integer || h.get(1) instanceof Long)
        || !(h.get(2) instanceof Integer || h.get(2) instanceof Long)
        || ((Number) h.get(1)).longValue() < 0
        || ((Number) h.get(2)).longValue() < 0) {
      throw new KilnException(
          "layer '"
              + where
              + "': a tensor's keras_history must be [layer name, node index, tensor index]"
              + " with non-negative indices, got "
              + history);
    }
    List<List<KerasTensor>> made = outputs.get(name);
    if (made == null) {
      throw new KilnException(
          "layer '" + where + "' takes an input from layer '" + name + "', which the config lacks");
    }
    long node = ((Number) h.get(1)).longValue();
    if (fromOne.contains(name) && node > 0) {
      node--;
    }
    long index = ((Number) h.get(2)).longValue();
    if (node >= made.size()) {
      return null;
    }
    List<KerasTensor> outs = made.get((int) node);
    if (index >= outs.size()) {
      throw new KilnException(
          "layer '"
              + where
              + "' takes output "
              + index
              + " of layer '"
              + name
              + "' (node "
              + node
              + "), which has "
              + outs.size()
              + " outputs");
    }
    return outs.get((int) index);
  }

  @SuppressWarnings("unchecked")
  private static List<KerasTensor> endpoints(
      Object spec,
      Map<String, List<List<KerasTensor>>> outputs,
      java.util.Set<String> fromOne,
      String key) {
    if (!(spec instanceof List<?> list) || list.isEmpty()) {
      throw new KilnException("a Functional config needs `" + key + "`; got " + spec);
    }
    // Keras writes one endpoint either bare ([name, node, index]) or in a list of them.
    List<Object> items = list.get(0) instanceof String ? List.of(list) : (List<Object>) list;
    List<KerasTensor> out = new ArrayList<>();
    for (Object item : items) {
      KerasTensor t = lookup(item, outputs, fromOne, key);
      if (t == null) {
        throw new KilnException("`" + key + "` names a node that does not exist: " + item);
      }
      out.add(t);
    }
    return out;
  }
}
