package dev.kiln.api.layers.reshaping;

import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.core.Configs;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;
import java.util.Arrays;
import java.util.Map;

/**
 * Permutes the axes after the batch axis; {@code dims} is 1-based as in Keras ({@code Permute(2,
 * 1)} swaps the two axes of each sample).
 */
public final class Permute extends Layer {
  private final int[] dims;

  /**
   * A permutation of {@code 1..n}.
   *
   * @throws IllegalArgumentException if {@code dims} is not one
   */
  public Permute(int... dims) {
    int[] sorted = dims.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < sorted.length; i++) {
      if (sorted[i] != i + 1) {
        throw new IllegalArgumentException(
            "Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims`"
                + " must be consecutive and start from 1. Received dims="
                + Arrays.toString(dims));
      }
    }
    this.dims = dims.clone();
    this.inputSpec = InputSpec.ndim(dims.length + 1);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    int[] perm = new int[dims.length + 1];
    for (int i = 0; i < dims.length; i++) {
      perm[i + 1] = dims[i];
    }
    return ops.transpose(x, perm);
  }

  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = super.getConfig();
    c.put("dims", Arrays.stream(dims).boxed().toList());
    return c;
  }

  /** From a Keras config. */
  public static Permute fromConfig(Map<String, Object> c) {
    Permute p = new Permute(Configs.intsOf(c, "dims"));
    Configs.common(p, c);
    return p;
  }
}
