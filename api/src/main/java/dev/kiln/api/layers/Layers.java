package dev.kiln.api.layers;

import dev.kiln.api.KilnException;
import dev.kiln.api.layers.core.Activation;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Dropout;
import dev.kiln.api.layers.core.Embedding;
import dev.kiln.api.layers.core.Identity;
import dev.kiln.api.layers.core.Masking;
import dev.kiln.api.layers.merging.Concatenate;
import dev.kiln.api.layers.merging.Dot;
import dev.kiln.api.layers.merging.Merge;
import dev.kiln.api.layers.preprocessing.Normalization;
import dev.kiln.api.layers.preprocessing.Rescaling;
import dev.kiln.api.layers.reshaping.Flatten;
import dev.kiln.api.layers.reshaping.Permute;
import dev.kiln.api.layers.reshaping.RepeatVector;
import dev.kiln.api.layers.reshaping.Reshape;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The registry from Keras {@code class_name} to layer factory: how configs become layers.
 *
 * {@snippet :
 * Layer d = Layers.fromConfig("Dense", Map.of("units", 8, "activation", "relu"));
 * }
 */
public final class Layers {
  private Layers() {}

  private static final Map<String, Function<Map<String, Object>, Layer>> REGISTRY = new TreeMap<>();

  static {
    REGISTRY.put("Dense", Dense::fromConfig);
    REGISTRY.put("Activation", Activation::fromConfig);
    REGISTRY.put("Dropout", Dropout::fromConfig);
    REGISTRY.put("Identity", Identity::fromConfig);
    REGISTRY.put("Embedding", Embedding::fromConfig);
    REGISTRY.put("Masking", Masking::fromConfig);
    REGISTRY.put("Flatten", Flatten::fromConfig);
    REGISTRY.put("Reshape", Reshape::fromConfig);
    REGISTRY.put("Permute", Permute::fromConfig);
    REGISTRY.put("RepeatVector", RepeatVector::fromConfig);
    REGISTRY.put("Rescaling", Rescaling::fromConfig);
    REGISTRY.put("Normalization", Normalization::fromConfig);
    REGISTRY.put("Concatenate", Concatenate::fromConfig);
    REGISTRY.put("Dot", Dot::fromConfig);
    for (String m : new String[] {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}) {
      REGISTRY.put(m, c -> Merge.fromConfig(m, c));
    }
  }

  /** Registers a custom layer class so its configs can be read. */
  public static void register(String className, Function<Map<String, Object>, Layer> factory) {
    REGISTRY.put(className, factory);
  }

  /** The registered class names. */
  public static Set<String> classNames() {
    return REGISTRY.keySet();
  }

  /**
   * A layer from its Keras class name and config.
   *
   * @throws KilnException for an unknown class or a config the layer rejects, naming the class
   */
  public static Layer fromConfig(String className, Map<String, Object> config) {
    Function<Map<String, Object>, Layer> f = REGISTRY.get(className);
    if (f == null) {
      throw new KilnException(
          "Unknown layer class '"
              + className
              + "'. Known classes: "
              + REGISTRY.keySet()
              + "; register custom layers with Layers.register");
    }
    try {
      return f.apply(config);
    } catch (ClassCastException | NullPointerException | IllegalArgumentException e) {
      throw new KilnException(
          "Cannot build a " + className + " from config " + config + ": " + e.getMessage(), e);
    }
  }
}
