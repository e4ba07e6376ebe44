package dev.kiln.api.layers.reshaping;

import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;

/**
 * Repeats each step {@code size} times: {@code (batch, steps, features)} to {@code (batch, steps *
 * size, features)}.
 */
public final class UpSampling1D extends Layer {
  /** How many times each step repeats. */
  public static final Arg<Integer> SIZE = Arg.positiveInt("size").defaultTo(2);

  /** UpSampling1D's declaration. */
  public static final KerasClass<UpSampling1D> KERAS =
      KerasClass.of(
          Kind.LAYER, "UpSampling1D", UpSampling1D.class, a -> new UpSampling1D(a.get(SIZE)), SIZE);

  /** Keras's default: each step twice. */
  public UpSampling1D() {
    this(2);
  }

  /**
   * Each step {@code size} times.
   *
   * @throws IllegalArgumentException if {@code size <= 0}
   */
  public UpSampling1D(int size) {
    args().set(SIZE, size);
    this.inputSpec = InputSpec.ndim(3);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    return ops.repeat(x, args().get(SIZE), 1);
  }
}
