package dev.kiln.api.layers.attention;

import dev.kiln.api.initializers.Initializers;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.List;

/**
 * Additive (Bahdanau-style) attention, Keras's {@code AdditiveAttention}: as {@link Attention} but
 * with scores {@code sum(scale * tanh(query + key), -1)}, where {@code scale} is a learned vector
 * {@code (dim,)} with {@code use_scale} (the default) and 1 without.
 *
 * {@snippet :
 * KerasTensor out = new AdditiveAttention().apply(query, value);
 * }
 */
public final class AdditiveAttention extends DenseAttention {
  /** Whether to learn a per-feature {@code scale} (default true). */
  public static final Arg<Boolean> USE_SCALE = Arg.bool("use_scale", true);

  /** The dropout rate of the attention weights while training. */
  public static final Arg<Double> DROPOUT = Arg.fraction("dropout", 0.0);

  /** AdditiveAttention's declaration. */
  public static final KerasClass<AdditiveAttention> KERAS =
      KerasClass.of(
              Kind.LAYER,
              "AdditiveAttention",
              AdditiveAttention.class,
              a -> new AdditiveAttention(),
              USE_SCALE,
              DROPOUT)
          .tolerating("seed");

  private Weight scale;

  /** Additive attention with a learned scale. */
  public AdditiveAttention() {}

  /** Whether to learn a per-feature scale (default true). */
  public AdditiveAttention useScale(boolean b) {
    args().set(USE_SCALE, b);
    return this;
  }

  /** The dropout rate of the attention weights (default 0). */
  public AdditiveAttention dropout(double rate) {
    args().set(DROPOUT, rate);
    return this;
  }

  /** Masks the future: query step i attends to value steps 0..i. */
  public AdditiveAttention useCausalMask(boolean b) {
    setUseCausalMask(b);
    return this;
  }

  /** Adds the attention weights {@code (batch, Tq, Tv)} as a second output. */
  public AdditiveAttention returnAttentionScores(boolean b) {
    setReturnAttentionScores(b);
    return this;
  }

  @Override
  double dropoutRate() {
    return args().get(DROPOUT);
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    int dim = checkInputs(inputShapes);
    if (args().get(USE_SCALE)) {
      scale = addWeight("scale", new int[] {dim}, Initializers.glorotUniform(), true);
    }
  }

  @Override
  Value scores(Ops ops, Value query, Value key) {
    Value t = ops.tanh(ops.add(ops.expandDims(query, -2), ops.expandDims(key, -3)));
    if (scale != null) {
      t = ops.mul(t, ops.read(scale));
    }
    return ops.sum(t, false, -1);
  }
}
