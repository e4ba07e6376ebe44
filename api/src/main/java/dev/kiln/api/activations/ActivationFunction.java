package dev.kiln.api.activations;

import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;

/**
 * An elementwise (or, for softmax, last-axis) activation function, named as Keras names it; its
 * config form is that name, which the {@link dev.kiln.api.registry.Registry} finds it by.
 */
public interface ActivationFunction {
  /** Applies the function. */
  Value apply(Ops ops, Value x);

  /** The Keras name ({@code relu}). */
  String name();
}
