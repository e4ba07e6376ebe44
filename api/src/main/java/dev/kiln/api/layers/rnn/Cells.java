package dev.kiln.api.layers.rnn;

import dev.kiln.api.activations.ActivationFunction;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;

/** Helpers the cells share. */
final class Cells {
  private Cells() {}

  /** The known size of the last axis, or an error naming the layer. */
  static int features(Layer layer, Shape input) {
    int in = input.dim(-1);
    if (in == Shape.UNKNOWN) {
      throw new IllegalArgumentException(
          "the last axis of the input must be known to build "
              + layer.className()
              + " '"
              + layer.name()
              + "', but the input shape is "
              + input);
    }
    return in;
  }

  /** {@code f(x)}, or {@code x} for the identity (null). */
  static Value apply(ActivationFunction f, Ops ops, Value x) {
    return f == null ? x : f.apply(ops, x);
  }
}
