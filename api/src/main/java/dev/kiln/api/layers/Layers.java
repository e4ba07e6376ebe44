package dev.kiln.api.layers;

import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import java.util.Map;
import java.util.Set;

/**
 * Layers by Keras {@code class_name}: how configs become layers. A thin view of the {@link
 * Registry}'s layer kind; every layer class that declares a {@code KERAS} field is found there.
 *
 * {@snippet :
 * Layer d = Layers.fromConfig("Dense", Map.of("units", 8, "activation", "relu"));
 * Layers.register(MyLayer.KERAS);
 * }
 */
public final class Layers {
  private Layers() {}

  /** Registers a custom layer class so its configs can be read. */
  public static void register(KerasClass<? extends Layer> declaration) {
    if (declaration.kind() != Kind.LAYER) {
      throw new IllegalArgumentException(declaration + " is not a layer class");
    }
    Registry.register(declaration);
  }

  /** The registered class names. */
  public static Set<String> classNames() {
    return Registry.classNames(Kind.LAYER);
  }

  /**
   * A layer from its Keras class name and config, every value checked.
   *
   * @throws dev.kiln.api.KilnException for an unknown class, naming the nearest known ones
   * @throws dev.kiln.api.registry.ArgumentException for a value the layer does not take, naming the
   *     layer and the key
   */
  public static Layer fromConfig(String className, Map<String, Object> config) {
    return Registry.fromConfig(Kind.LAYER, className, config);
  }
}
