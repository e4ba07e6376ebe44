package dev.kiln.api.saving;

import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.models.Model;
import dev.kiln.api.optimizers.Optimizer;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The groups of a Keras 3 weights file for a model, as Keras 3's {@code _walk_saveable} names them:
 * {@code vars} for the model's own variables, {@code layers/<key>/vars} for each layer, where
 * {@code <key>} is the layer's class name in snake case made unique within its container ({@code
 * dense}, {@code dense_1}; never the layer's own name, so two builds of one architecture share
 * their paths), nested objects under their attribute name ({@code lstm/cell/vars}, {@code
 * bidirectional/forward_layer/cell/vars}) and the optimizer's state under {@code optimizer/vars}.
 */
final class KerasTree {
  private KerasTree() {}

  /**
   * One {@code vars} group: its path, the object's name (the group's {@code name} attribute), its
   * class name (the layer's, or the optimizer's), who owns it in words, and its variables.
   */
  record Group(String path, String objectName, String className, String owner, List<Weight> vars) {}

  // Keras 3's MultiHeadAttention keeps its projections in private attributes; Kiln's fields have
  // plain names, so the file paths are mapped to Keras's here.
  private static final Map<String, String> ATTRIBUTE_ALIASES =
      Map.of(
          "MultiHeadAttention.query", "_query_dense",
          "MultiHeadAttention.key", "_key_dense",
          "MultiHeadAttention.value", "_value_dense",
          "MultiHeadAttention.attentionOutput", "_output_dense");

  private static final Field OWN_WEIGHTS = ownWeightsField();

  /**
   * Every {@code vars} group of {@code model} that holds at least one variable, in the order the
   * model's structure visits them; with {@code withOptimizer}, the optimizer's state last.
   */
  static List<Group> groups(Model model, boolean withOptimizer) {
    List<Group> out = new ArrayList<>();
    Set<Object> visited = Collections.newSetFromMap(new IdentityHashMap<>());
    walk(model, "", out, visited);
    if (withOptimizer && model.optimizer() != null) {
      Optimizer o = model.optimizer();
      List<Weight> vars = o.variables();
      if (!vars.isEmpty()) {
        out.add(new Group("optimizer/vars", o.className(), o.className(), "the optimizer", vars));
      }
    }
    return out;
  }

  /** Keras's {@code to_snake_case}: non-word characters dropped, then words split by case. */
  static String snake(String name) {
    return Kiln.snakeCase(name.replaceAll("\\W+", ""));
  }

  private static void walk(Layer layer, String prefix, List<Group> out, Set<Object> visited) {
    if (!visited.add(layer)) {
      return;
    }
    List<Weight> own = ownWeights(layer);
    if (!own.isEmpty()) {
      out.add(
          new Group(
              prefix + "vars",
              layer.name(),
              layer.className(),
              "layer \"" + layer.name() + "\" (" + layer.className() + ")",
              own));
    }
    if (layer instanceof Model m) {
      container(m.layers(), prefix + "layers/", out, visited);
    }
    for (Field f : layerFields(layer.getClass())) {
      Object v;
      try {
        v = f.get(layer);
      } catch (IllegalAccessException e) {
        throw new KilnException(
            "layer \"" + layer.name() + "\": cannot read field " + f.getName() + " to save it", e);
      }
      String attr =
          ATTRIBUTE_ALIASES.getOrDefault(
              layer.getClass().getSimpleName() + "." + f.getName(), snake(f.getName()));
      switch (v) {
        case null -> {}
        case Layer l -> walk(l, prefix + attr + "/", out, visited);
        case Object[] array -> container(List.of(array), prefix + attr + "/", out, visited);
        case Iterable<?> it -> {
          List<Object> items = new ArrayList<>();
          it.forEach(items::add);
          container(items, prefix + attr + "/", out, visited);
        }
        default -> {}
      }
    }
  }

  /** A list of layers: each keyed by its class in snake case, made unique with {@code _1}... */
  private static void container(
      List<?> items, String prefix, List<Group> out, Set<Object> visited) {
    Map<String, Integer> used = new HashMap<>();
    for (Object o : items) {
      if (!(o instanceof Layer l)) {
        continue;
      }
      String key = snake(l.className());
      Integer n = used.get(key);
      used.put(key, n == null ? 0 : n + 1);
      if (n != null) {
        key = key + "_" + (n + 1);
      }
      walk(l, prefix + key + "/", out, visited);
    }
  }

  /** The variables the layer created itself, in creation order (not those of nested layers). */
  @SuppressWarnings("unchecked")
  static List<Weight> ownWeights(Layer layer) {
    try {
      return List.copyOf((List<Weight>) OWN_WEIGHTS.get(layer));
    } catch (IllegalAccessException e) {
      throw new KilnException("cannot read the weights of layer \"" + layer.name() + "\"", e);
    }
  }

  private static Field ownWeightsField() {
    try {
      Field f = Layer.class.getDeclaredField("weights");
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("Layer has no 'weights' field to save from", e);
    }
  }

  private static final ClassValue<List<Field>> FIELDS =
      new ClassValue<>() {
        @Override
        protected List<Field> computeValue(Class<?> type) {
          List<Class<?>> chain = new ArrayList<>();
          for (Class<?> c = type;
              c != null && c != Layer.class && c != Model.class;
              c = c.getSuperclass()) {
            chain.addFirst(c);
          }
          List<Field> out = new ArrayList<>();
          for (Class<?> c : chain) {
            for (Field f : c.getDeclaredFields()) {
              if (Modifier.isStatic(f.getModifiers()) || f.isSynthetic() || !mayHoldLayers(f)) {
                continue;
              }
              if (f.trySetAccessible()) {
                out.add(f);
              }
            }
          }
          return List.copyOf(out);
        }
      };

  /**
   * Fields of a layer that may hold nested layers. A model's own layers are saved under {@code
   * layers}, so a model's fields (a Sequential's stack, a subclass's fields) are not walked again.
   */
  private static List<Field> layerFields(Class<?> type) {
    return Model.class.isAssignableFrom(type) ? List.of() : FIELDS.get(type);
  }

  private static boolean mayHoldLayers(Field f) {
    Class<?> t = f.getType();
    return Layer.class.isAssignableFrom(t)
        || (t.isArray() && Layer.class.isAssignableFrom(t.getComponentType()))
        || Iterable.class.isAssignableFrom(t);
  }
}
