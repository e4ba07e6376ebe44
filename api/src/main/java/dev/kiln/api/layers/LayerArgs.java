package dev.kiln.api.layers;

import dev.kiln.api.activations.ActivationFunction;
import dev.kiln.api.activations.Activations;
import dev.kiln.api.constraints.Constraint;
import dev.kiln.api.constraints.Constraints;
import dev.kiln.api.initializers.Initializer;
import dev.kiln.api.initializers.Initializers;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Schemas;
import dev.kiln.api.regularizers.Regularizer;
import dev.kiln.api.regularizers.Regularizers;

/**
 * Arguments many layers declare, with Keras's keys: activations, initializers, regularizers and
 * constraints held as objects and written in Keras's serialized form.
 */
public final class LayerArgs {
  private LayerArgs() {}

  /** Keras's quantization settings; Kiln does not quantize, so only null is taken. */
  public static final Arg<Object> QUANTIZATION_CONFIG =
      Arg.json("quantization_config", null)
          .checked("null (Kiln does not quantize layers)", v -> false);

  /** An activation by Keras name ({@code "relu"}); null is the identity. */
  public static Arg<ActivationFunction> activation(String key, String defaultName) {
    return Arg.<ActivationFunction>of(
            key, "an activation name", null, LayerArgs::readActivation, ActivationFunction::name)
        .schema(Schemas.ref(Kind.ACTIVATION))
        .defaultConfig(defaultName)
        .nullable();
  }

  // Keras 3 writes an activation as its name; a serialized function keeps the name in "config".
  private static ActivationFunction readActivation(Object v) {
    if (v instanceof String s) {
      return Activations.get(s);
    }
    if (v instanceof java.util.Map<?, ?> m && m.get("config") instanceof String s) {
      return Activations.get(s);
    }
    return null;
  }

  /** An initializer, default given by Keras name ({@code "glorot_uniform"}). */
  public static Arg<Initializer> initializer(String key, Object defaultConfig) {
    return Arg.<Initializer>of(
            key,
            "an initializer (a name or a serialized initializer)",
            null,
            Initializers::deserialize,
            Initializers::serialize)
        .schema(Schemas.ref(Kind.INITIALIZER))
        .defaultConfig(defaultConfig);
  }

  /** A regularizer, or null. */
  public static Arg<Regularizer> regularizer(String key) {
    return Arg.<Regularizer>of(
            key,
            "a regularizer (a name, a serialized regularizer or null)",
            null,
            Regularizers::deserialize,
            Regularizers::serialize)
        .schema(Schemas.ref(Kind.REGULARIZER))
        .nullable();
  }

  /** A constraint, or null. */
  public static Arg<Constraint> constraint(String key) {
    return Arg.<Constraint>of(
            key,
            "a constraint (a name, a serialized constraint or null)",
            null,
            Constraints::deserialize,
            Constraints::serialize)
        .schema(Schemas.ref(Kind.CONSTRAINT))
        .nullable();
  }
}
