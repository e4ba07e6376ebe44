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
 * Dot-product (Luong-style) attention, Keras's {@code Attention}: inputs {@code [query, value]} or
 * {@code [query, value, key]} of shapes {@code (batch, Tq, dim)}, {@code (batch, Tv, dim)}; output
 * {@code (batch, Tq, dim)}, the softmax-weighted sum of the values. Scores are {@code query @
 * key^T} ({@code "dot"}) or {@code sum(tanh(query + key))} ({@code "concat"}), times a learned
 * {@code scale} with {@code use_scale}. Masks come from the inputs (Masking, Embedding with {@code
 * mask_zero}): the value mask hides value steps, the query mask zeroes masked query steps.
 *
 * {@snippet :
 * KerasTensor q = Input.of(8, 16);
 * KerasTensor v = Input.of(10, 16);
 * KerasTensor out = new Attention().useScale(true).useCausalMask(false).apply(q, v);
 * }
 */
public final class Attention extends DenseAttention {
  /** Whether to learn a scalar {@code scale} for the scores. */
  public static final Arg<Boolean> USE_SCALE = Arg.bool("use_scale", false);

  /** {@code "dot"} (default) or {@code "concat"}. */
  public static final Arg<String> SCORE_MODE = Arg.choice("score_mode", "dot", "dot", "concat");

  /** The dropout rate of the attention weights while training. */
  public static final Arg<Double> DROPOUT = Arg.fraction("dropout", 0.0);

  /** Attention's declaration. */
  public static final KerasClass<Attention> KERAS =
      KerasClass.of(
              Kind.LAYER,
              "Attention",
              Attention.class,
              a -> new Attention(),
              USE_SCALE,
              SCORE_MODE,
              DROPOUT)
          .tolerating("seed");

  private Weight scale;
  private Weight concatScoreWeight;

  /** Dot-product attention without scale or dropout. */
  public Attention() {}

  /** Whether to learn a scalar scale for the scores (default false). */
  public Attention useScale(boolean b) {
    args().set(USE_SCALE, b);
    return this;
  }

  /** {@code "dot"} (default) or {@code "concat"}. */
  public Attention scoreMode(String mode) {
    args().set(SCORE_MODE, mode);
    return this;
  }

  /** The dropout rate of the attention weights (default 0). */
  public Attention dropout(double rate) {
    args().set(DROPOUT, rate);
    return this;
  }

  /**
   * Masks the future: query step i attends to value steps 0..i (Keras's {@code use_causal_mask}).
   */
  public Attention useCausalMask(boolean b) {
    setUseCausalMask(b);
    return this;
  }

  /** Adds the attention weights {@code (batch, Tq, Tv)} as a second output. */
  public Attention returnAttentionScores(boolean b) {
    setReturnAttentionScores(b);
    return this;
  }

  @Override
  double dropoutRate() {
    return args().get(DROPOUT);
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    super.build(inputShapes);
    if (args().get(USE_SCALE)) {
      scale = addWeight("scale", new int[0], Initializers.ones(), true);
    }
    if (args().get(SCORE_MODE).equals("concat")) {
      concatScoreWeight = addWeight("concat_score_weight", new int[0], Initializers.ones(), true);
    }
  }

  @Override
  Value scores(Ops ops, Value query, Value key) {
    if (args().get(SCORE_MODE).equals("dot")) {
      Value s = ops.matmul(query, key, false, true);
      return scale == null ? s : ops.mul(s, ops.read(scale));
    }
    Value sum = ops.add(ops.expandDims(query, -2), ops.expandDims(key, -3));
    if (scale != null) {
      sum = ops.mul(sum, ops.read(scale));
    }
    return ops.mul(ops.sum(ops.tanh(sum), false, -1), ops.read(concatScoreWeight));
  }
}
