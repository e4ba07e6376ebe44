package dev.kiln.api.layers.reshaping;

import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;
import java.util.Arrays;

/**
 * Permutes the axes after the batch axis; {@code dims} is 1-based as in Keras ({@code Permute(2,
 * 1)} swaps the two axes of each sample).
 */
public final class Permute extends Layer {
  /** The permutation of the axes after the batch axis, 1-based. */
  public static final Arg<int[]> DIMS =
      Arg.ints("dims", null)
          .required()
          .checked("a permutation of 1..n (the axes after the batch axis)", Permute::isPermutation);

  /** Permute's declaration. */
  public static final KerasClass<Permute> KERAS =
      KerasClass.of(Kind.LAYER, "Permute", Permute.class, a -> new Permute(a.get(DIMS)), DIMS);

  private static boolean isPermutation(int[] dims) {
    int[] sorted = dims.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < sorted.length; i++) {
      if (sorted[i] != i + 1) {
        return false;
      }
    }
    return true;
  }

  /**
   * A permutation of {@code 1..n}.
   *
   * @throws IllegalArgumentException if {@code dims} is not one
   */
  public Permute(int... dims) {
    args().set(DIMS, dims.clone());
    this.inputSpec = InputSpec.ndim(dims.length + 1);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    int[] dims = args().get(DIMS);
    int[] perm = new int[dims.length + 1];
    for (int i = 0; i < dims.length; i++) {
      perm[i + 1] = dims[i];
    }
    return ops.transpose(x, perm);
  }
}
