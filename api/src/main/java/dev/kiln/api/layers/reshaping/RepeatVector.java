package dev.kiln.api.layers.reshaping;

import dev.kiln.api.Tensor;
import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;
import java.util.Arrays;

/**
 * Repeats each sample {@code n} times: {@code (batch, features)} to {@code (batch, n, features)}.
 */
public final class RepeatVector extends Layer {
  /** How many times the input repeats. */
  public static final Arg<Integer> N = Arg.positiveInt("n").required();

  /** RepeatVector's declaration. */
  public static final KerasClass<RepeatVector> KERAS =
      KerasClass.of(
          Kind.LAYER, "RepeatVector", RepeatVector.class, a -> new RepeatVector(a.get(N)), N);

  /**
   * Repeats {@code n} times.
   *
   * @throws IllegalArgumentException if {@code n <= 0}
   */
  public RepeatVector(int n) {
    args().set(N, n);
    this.inputSpec = InputSpec.ndim(2);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    int n = args().get(N);
    float[] ones = new float[n];
    Arrays.fill(ones, 1);
    // Broadcasting against ones keeps an unknown batch axis unknown, where broadcastTo cannot.
    Value rows = ops.cast(ops.constant(Tensor.of(ones, 1, n, 1)), x.dtype());
    return ops.mul(ops.expandDims(x, 1), rows);
  }
}
