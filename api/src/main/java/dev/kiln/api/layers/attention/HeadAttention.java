package dev.kiln.api.layers.attention;

import dev.kiln.api.layers.ProjectionLayer;
import dev.kiln.api.layers.core.EinsumDense;
import dev.kiln.api.registry.Arg;

/**
 * The multi-head attention layers, {@link MultiHeadAttention} and {@link GroupQueryAttention}: what
 * they share besides the kernel and bias arguments of {@link ProjectionLayer} ({@code dropout},
 * {@code use_bias}, {@code seed}, the call options, the count of inputs and the projections).
 *
 * @param <S> the concrete layer
 */
public abstract class HeadAttention<S extends HeadAttention<S>> extends ProjectionLayer<S> {
  /** The dropout rate of the attention weights while training. */
  public static final Arg<Double> DROPOUT = Arg.fraction("dropout", 0.0);

  /** Whether the projections have biases. */
  public static final Arg<Boolean> USE_BIAS = Arg.bool("use_bias", true);

  /** The dropout seed (kept for the config, which Keras writes it in). */
  public static final Arg<Long> SEED = Arg.seed("seed");

  /** Whether the future is masked (a call option in Keras). */
  protected boolean useCausalMask;

  /** Whether the attention weights are a second output. */
  protected boolean returnAttentionScores;

  /** Whether the last input is an attention mask. */
  protected boolean withAttentionMask;

  /** For subclasses. */
  protected HeadAttention() {}

  /** The dropout rate of the attention weights while training (default 0). */
  public S dropout(double rate) {
    args().set(DROPOUT, rate);
    return self();
  }

  /** Whether the projections have biases (default true). */
  public S useBias(boolean b) {
    args().set(USE_BIAS, b);
    return self();
  }

  /** Masks the future: query step i attends to value steps 0..i (Keras's call option). */
  public S useCausalMask(boolean b) {
    this.useCausalMask = b;
    return self();
  }

  /** Adds the attention weights {@code (batch, heads, Tq, Tv)} as a second output. */
  public S returnAttentionScores(boolean b) {
    this.returnAttentionScores = b;
    return self();
  }

  /** Whether the last input is an {@code attention_mask} {@code (batch, Tq, Tv)}. */
  public S withAttentionMask(boolean b) {
    this.withAttentionMask = b;
    return self();
  }

  /** The layer for messages: its class and name. */
  protected final String what() {
    return className() + " \"" + name() + "\"";
  }

  /**
   * The number of inputs before the attention mask: 2 ({@code [query, value]}) or 3 ({@code [query,
   * value, key]}).
   *
   * @throws IllegalArgumentException for any other count
   */
  protected final int inputCount(int given) {
    int n = given - (withAttentionMask ? 1 : 0);
    if (n < 2 || n > 3) {
      throw new IllegalArgumentException(
          what()
              + " takes [query, value], [query, value, key]"
              + (withAttentionMask ? " and an attention_mask last" : "")
              + ", but received "
              + given
              + " inputs");
    }
    return n;
  }

  /**
   * A projection sublayer named {@code name}: {@code equation} into {@code outputShape}, with a
   * bias over {@code biasAxes} when {@code use_bias}, and this layer's kernel and bias arguments.
   */
  protected final EinsumDense projection(
      String equation, int[] outputShape, String biasAxes, String name) {
    EinsumDense d =
        shareArgs(
            new EinsumDense(equation, outputShape)
                .biasAxes(args().get(USE_BIAS) ? biasAxes : null));
    d.name(name);
    d.dtypePolicy(dtypePolicy());
    return sublayer(d);
  }
}
