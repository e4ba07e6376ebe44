package dev.kiln.api.layers.core;

import dev.kiln.api.activations.ActivationFunction;
import dev.kiln.api.activations.Activations;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.LayerArgs;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;

/**
 * Applies an activation function by Keras name.
 *
 * {@snippet : new Activation("relu") }
 */
public final class Activation extends Layer {
  /** The activation function. */
  public static final Arg<ActivationFunction> ACTIVATION =
      LayerArgs.activation("activation", null).required();

  /** Activation's declaration. */
  public static final KerasClass<Activation> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "Activation",
          Activation.class,
          a -> new Activation(a.get(ACTIVATION).name()),
          ACTIVATION);

  /**
   * The activation of this name.
   *
   * @throws dev.kiln.api.KilnException for an unknown name
   */
  public Activation(String name) {
    args().set(ACTIVATION, Activations.get(name));
    this.supportsMasking = true;
  }

  @Override
  protected Value call(Ops ops, Value x) {
    return args().get(ACTIVATION).apply(ops, x);
  }
}
