package dev.kiln.api.layers;

import dev.kiln.api.KilnException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Finds the sub-layers a layer holds in its fields, as Keras's auto-tracking and PyTorch's module
 * registration do: non-static fields of a {@link Layer} type, arrays of layers, and collections
 * whose element type is a layer, declared in subclasses of {@link Layer}. The fields are looked up
 * once per class; their values are read on every call, so a field assigned late is still found.
 */
final class TrackedFields {
  private static final ClassValue<List<Field>> FIELDS =
      new ClassValue<>() {
        @Override
        protected List<Field> computeValue(Class<?> type) {
          return scan(type);
        }
      };

  private TrackedFields() {}

  /**
   * The layers held in {@code owner}'s fields: superclass fields first, then each class's fields in
   * declaration order (the order HotSpot reports them), elements of a list or array in their order,
   * each layer once.
   */
  static List<Layer> layersOf(Layer owner) {
    List<Field> fields = FIELDS.get(owner.getClass());
    if (fields.isEmpty()) {
      return List.of();
    }
    Set<Layer> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    seen.add(owner);
    List<Layer> out = new ArrayList<>();
    for (Field f : fields) {
      Object v;
      try {
        v = f.get(owner);
      } catch (IllegalAccessException e) {
        throw new KilnException(
            "layer \"" + owner.name() + "\": cannot read field " + f + " to track its layers", e);
      }
      switch (v) {
        case null -> {}
        case Layer l -> add(l, seen, out);
        case Object[] array -> {
          for (Object o : array) {
            if (o instanceof Layer l) {
              add(l, seen, out);
            }
          }
        }
        case Iterable<?> it -> {
          for (Object o : it) {
            if (o instanceof Layer l) {
              add(l, seen, out);
            }
          }
        }
        default -> {}
      }
    }
    return out;
  }

  private static void add(Layer l, Set<Layer> seen, List<Layer> out) {
    if (seen.add(l)) {
      out.add(l);
    }
  }

  private static List<Field> scan(Class<?> type) {
    List<Class<?>> chain = new ArrayList<>();
    for (Class<?> c = type; c != null && c != Layer.class; c = c.getSuperclass()) {
      chain.addFirst(c);
    }
    List<Field> out = new ArrayList<>();
    for (Class<?> c : chain) {
      for (Field f : c.getDeclaredFields()) {
        // Synthetic fields include an inner class's reference to its enclosing instance.
        if (Modifier.isStatic(f.getModifiers()) || f.isSynthetic() || !holdsLayers(f)) {
          continue;
        }
        if (!f.trySetAccessible()) {
          throw new KilnException(
              "cannot track the layers in field "
                  + f
                  + ": the field is not accessible to dev.kiln.api; open its package to it");
        }
        out.add(f);
      }
    }
    return List.copyOf(out);
  }

  private static boolean holdsLayers(Field f) {
    Class<?> t = f.getType();
    if (Layer.class.isAssignableFrom(t)) {
      return true;
    }
    if (t.isArray()) {
      return Layer.class.isAssignableFrom(t.getComponentType());
    }
    if (Iterable.class.isAssignableFrom(t)
        && f.getGenericType() instanceof ParameterizedType p
        && p.getActualTypeArguments().length == 1) {
      return isLayerType(p.getActualTypeArguments()[0]);
    }
    return false;
  }

  private static boolean isLayerType(Type t) {
    return switch (t) {
      case Class<?> c -> Layer.class.isAssignableFrom(c);
      case ParameterizedType p -> isLayerType(p.getRawType());
      case WildcardType w -> w.getUpperBounds().length == 1 && isLayerType(w.getUpperBounds()[0]);
      default -> false;
    };
  }
}
