package dev.kiln.api.optimizers;

import dev.kiln.api.KilnException;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import java.util.Locale;
import java.util.Map;

/**
 * Optimizers by Keras class name or lower-case name ({@code "Adam"}, {@code "adam"}, {@code "sgd"},
 * ...) through the {@link Registry}, with Keras's defaults, and from configs.
 *
 * {@snippet :
 * Optimizer a = Optimizers.get("rmsprop");
 * Optimizer b = Optimizers.deserialize(Map.of("class_name", "SGD", "config", Map.of("momentum", 0.9)));
 * }
 */
public final class Optimizers {
  private Optimizers() {}

  /**
   * A new optimizer of this class name or alias, with Keras's defaults; any capitalization of the
   * lower-case names ({@code "RMSProp"}) is accepted.
   *
   * @throws KilnException for an unknown name, naming the nearest known ones
   */
  public static Optimizer get(String name) {
    return fromConfig(name, Map.of());
  }

  /**
   * A new optimizer of this class name or alias with this Keras config, every value checked.
   *
   * @throws KilnException for an unknown name
   * @throws dev.kiln.api.registry.ArgumentException for a config the class does not take
   */
  public static Optimizer fromConfig(String name, Map<String, Object> config) {
    String lower = name.toLowerCase(Locale.ROOT);
    if (!lower.equals(name)) {
      try {
        Registry.declaration(Kind.OPTIMIZER, name);
      } catch (KilnException unknown) {
        return Registry.fromConfig(Kind.OPTIMIZER, lower, config);
      }
    }
    return Registry.fromConfig(Kind.OPTIMIZER, name, config);
  }

  /**
   * The optimizer a config names: a name, a {@code {"class_name", "config"}} map, or an optimizer
   * (returned as it is); null stays null.
   *
   * @throws KilnException for an unknown class or anything else
   */
  public static Optimizer deserialize(Object spec) {
    return Registry.deserialize(Kind.OPTIMIZER, spec);
  }

  /** Keras's serialized form: {@code {"module", "class_name", "config", "registered_name"}}. */
  public static Map<String, Object> serialize(Optimizer optimizer) {
    return Registry.serialize(Kind.OPTIMIZER, optimizer);
  }
}
