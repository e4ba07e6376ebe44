package dev.kiln.api.layers.attention;

import dev.kiln.api.layers.core.EinsumDense;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Grouped-query attention as Keras 3's {@code GroupQueryAttention}: {@code num_query_heads} query
 * heads share {@code num_key_value_heads} key and value heads (each key/value head serves {@code
 * num_query_heads / num_key_value_heads} consecutive query heads). Sublayers {@code query} (kernel
 * {@code (dim, num_query_heads, head_dim)}), {@code key} and {@code value} (kernels {@code (dim,
 * num_key_value_heads, head_dim)}) and {@code attention_output} (kernel {@code (num_query_heads,
 * head_dim, query_dim)}), in that order.
 *
 * <p>Inputs and masks as {@link MultiHeadAttention}: {@code [query, value(, key)]} of shapes {@code
 * (batch, T, dim)}, an {@code attention_mask} last with {@link #withAttentionMask(boolean)}; output
 * {@code (batch, Tq, query_dim)}, and the weights {@code (batch, num_query_heads, Tq, Tv)} with
 * {@link #returnAttentionScores(boolean)}.
 *
 * {@snippet :
 * KerasTensor y = new GroupQueryAttention(16, 8, 2).useCausalMask(true).apply(x, x);
 * }
 */
public final class GroupQueryAttention extends HeadAttention<GroupQueryAttention> {
  /** The size of each head. */
  public static final Arg<Integer> HEAD_DIM = Arg.positiveInt("head_dim").required();

  /** The number of query heads. */
  public static final Arg<Integer> NUM_QUERY_HEADS = Arg.positiveInt("num_query_heads").required();

  /** The number of key and value heads; it divides num_query_heads. */
  public static final Arg<Integer> NUM_KEY_VALUE_HEADS =
      Arg.positiveInt("num_key_value_heads").required();

  /** GroupQueryAttention's declaration. */
  public static final KerasClass<GroupQueryAttention> KERAS =
      KerasClass.of(
              Kind.LAYER,
              "GroupQueryAttention",
              GroupQueryAttention.class,
              a ->
                  new GroupQueryAttention(
                      a.get(HEAD_DIM), a.get(NUM_QUERY_HEADS), a.get(NUM_KEY_VALUE_HEADS)),
              HEAD_DIM,
              NUM_QUERY_HEADS,
              NUM_KEY_VALUE_HEADS,
              DROPOUT,
              USE_BIAS,
              KERNEL_INITIALIZER,
              BIAS_INITIALIZER,
              KERNEL_REGULARIZER,
              BIAS_REGULARIZER,
              ACTIVITY_REGULARIZER,
              KERNEL_CONSTRAINT,
              BIAS_CONSTRAINT,
              SEED)
          .tolerating("flash_attention")
          // Keras exports the layer as GroupQueryAttention, but its Python class, the name a
          // saved Keras file carries, is GroupedQueryAttention.
          .aliases("GroupedQueryAttention");

  private EinsumDense query;
  private EinsumDense key;
  private EinsumDense value;
  private EinsumDense attentionOutput;

  /**
   * Heads of size {@code headDim}: {@code numQueryHeads} for the query, {@code numKeyValueHeads}
   * for the key and value.
   *
   * @throws IllegalArgumentException if a size is not positive or the key/value heads do not divide
   *     the query heads
   */
  public GroupQueryAttention(int headDim, int numQueryHeads, int numKeyValueHeads) {
    args().set(HEAD_DIM, headDim);
    args().set(NUM_QUERY_HEADS, numQueryHeads);
    args().set(NUM_KEY_VALUE_HEADS, numKeyValueHeads);
    if (numQueryHeads % numKeyValueHeads != 0) {
      throw new IllegalArgumentException(
          "GroupQueryAttention \""
              + name()
              + "\": num_query_heads ("
              + numQueryHeads
              + ") must be a multiple of num_key_value_heads ("
              + numKeyValueHeads
              + ")");
    }
    this.supportsMasking = true;
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    int n = inputCount(inputShapes.size());
    for (int i = 0; i < n; i++) {
      if (inputShapes.get(i).rank() != 3) {
        throw new IllegalArgumentException(
            what()
                + " needs rank-3 inputs (batch, steps, dim); input "
                + i
                + " is "
                + inputShapes.get(i));
      }
    }
    int headDim = args().get(HEAD_DIM);
    int qh = args().get(NUM_QUERY_HEADS);
    int kvh = args().get(NUM_KEY_VALUE_HEADS);
    query = projection("bqm,muh->bquh", new int[] {-1, qh, headDim}, "uh", "query");
    key = projection("bkm,mvh->bkvh", new int[] {-1, kvh, headDim}, "vh", "key");
    value = projection("bkm,mvh->bkvh", new int[] {-1, kvh, headDim}, "vh", "value");
    attentionOutput =
        projection(
            "bquh,uhm->bqm", new int[] {-1, inputShapes.get(0).dim(-1)}, "m", "attention_output");
  }

  @Override
  protected Value call(Ops ops, Value input) {
    throw new IllegalArgumentException(what() + " takes [query, value] or [query, value, key]");
  }

  @Override
  protected List<Value> call(Ops ops, List<Value> inputs) {
    int n = inputCount(inputs.size());
    Value q = inputs.get(0);
    Value v = inputs.get(1);
    Value k = n > 2 ? inputs.get(2) : v;
    Value explicit = withAttentionMask ? inputs.get(inputs.size() - 1) : null;
    Value mask = AttentionSupport.attentionMask(ops, q, v, k, explicit, useCausalMask);
    int repeats = args().get(NUM_QUERY_HEADS) / args().get(NUM_KEY_VALUE_HEADS);
    Value pq = query.trace(ops, q);
    // Each key/value head serves `repeats` consecutive query heads.
    Value pk = ops.repeat(key.trace(ops, k), repeats, 2);
    Value pv = ops.repeat(value.trace(ops, v), repeats, 2);
    pq = ops.mul(pq, 1.0 / Math.sqrt(args().get(HEAD_DIM)));
    Value scores = ops.einsum("bquh,bkuh->buqk", pq, pk);
    if (mask != null) {
      mask = ops.expandDims(mask, -3);
    }
    Value probs = AttentionSupport.maskedSoftmax(ops, scores, mask, new int[] {-1});
    Value dropped = AttentionSupport.dropout(ops, probs, args().get(DROPOUT));
    Value out = attentionOutput.trace(ops, ops.einsum("buqk,bkuh->bquh", dropped, pv));
    if (ops.mask(q) != null) {
      ops.setMask(out, ops.mask(q));
    }
    List<Value> result = new ArrayList<>();
    result.add(out);
    if (returnAttentionScores) {
      result.add(probs);
    }
    return result;
  }
}
