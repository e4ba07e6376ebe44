package dev.kiln.api.layers.reshaping;

import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;

/**
 * Flattens every axis after the batch axis: {@code (batch, a, b, ...)} to {@code (batch, a*b*...)}.
 */
public final class Flatten extends Layer {
  /** Keras's data format; Kiln's tensors are channels-last, so that is the only one taken. */
  public static final Arg<String> DATA_FORMAT =
      Arg.choice("data_format", "channels_last", "channels_last");

  /** Flatten's declaration. */
  public static final KerasClass<Flatten> KERAS =
      KerasClass.of(Kind.LAYER, "Flatten", Flatten.class, a -> new Flatten(), DATA_FORMAT);

  /** A flatten layer. */
  public Flatten() {
    this.inputSpec = InputSpec.minNdim(1);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    if (x.rank() == 1) {
      return ops.reshapeBatch(x, 1);
    }
    long n = 1;
    for (int i = 1; i < x.rank(); i++) {
      int d = x.shape().dim(i);
      if (d == Shape.UNKNOWN) {
        throw new IllegalArgumentException(
            "Flatten needs every axis but the batch axis known; received input shape " + x.shape());
      }
      n *= d;
    }
    return ops.reshapeBatch(x, (int) n);
  }
}
