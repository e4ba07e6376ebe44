package dev.kiln.api.layers.attention;

import dev.kiln.api.layers.core.EinsumDense;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Multi-head attention as Keras 3's {@code MultiHeadAttention}: the query, key and value are
 * projected by {@link EinsumDense} sublayers named {@code query}, {@code key} and {@code value}
 * (kernels {@code (dim, num_heads, key_dim)}, {@code (dim, num_heads, value_dim)}, biases {@code
 * (num_heads, key_dim)}...), the scaled dot-product scores are softmaxed over the attention axes,
 * the values are summed with those weights, and {@code attention_output} (kernel {@code (num_heads,
 * value_dim, out)}) projects the heads back to {@code output_shape} (default the query's last
 * axis). Weights in Keras's order: query kernel and bias, key, value, attention_output.
 *
 * <p>Inputs: {@code [query, value]} or {@code [query, value, key]} of shapes {@code (batch, Tq,
 * dim)} and {@code (batch, Tv, dim)}; with {@link #withAttentionMask(boolean)}, one more input
 * last, the {@code attention_mask} {@code (batch, Tq, Tv)} (1 where a query step may attend to a
 * value step). Masks of the inputs (Masking, Embedding with {@code mask_zero}) and {@code
 * use_causal_mask} are combined with it as Keras does. Output {@code (batch, Tq, out)}, and with
 * {@link #returnAttentionScores(boolean)} the weights {@code (batch, num_heads, Tq, Tv)}. The last
 * three are Keras's call arguments, so they are settings of the layer here and not part of its
 * config.
 *
 * {@snippet :
 * KerasTensor x = Input.of(16, 32);
 * KerasTensor y = new MultiHeadAttention(4, 8).useCausalMask(true).apply(x, x);
 * }
 */
public final class MultiHeadAttention extends HeadAttention<MultiHeadAttention> {
  /** The number of heads. */
  public static final Arg<Integer> NUM_HEADS = Arg.positiveInt("num_heads").required();

  /** The size of each head of the query and key. */
  public static final Arg<Integer> KEY_DIM = Arg.positiveInt("key_dim").required();

  /** The size of each head of the value (default key_dim). */
  public static final Arg<Integer> VALUE_DIM =
      Arg.integer("value_dim", null).checked("a positive integer", v -> v > 0).nullable();

  /** The output's shape without batch and query axes; null for the query's last axis. */
  public static final Arg<int[]> OUTPUT_SHAPE =
      Arg.ints("output_shape", null)
          .checked("positive sizes", v -> Arrays.stream(v).allMatch(d -> d > 0))
          .nullable();

  /** The axes attention runs over; null for every axis between batch and features. */
  public static final Arg<int[]> ATTENTION_AXES = Arg.ints("attention_axes", null).nullable();

  /** MultiHeadAttention's declaration. */
  public static final KerasClass<MultiHeadAttention> KERAS =
      KerasClass.of(
              Kind.LAYER,
              "MultiHeadAttention",
              MultiHeadAttention.class,
              a -> new MultiHeadAttention(a.get(NUM_HEADS), a.get(KEY_DIM)),
              NUM_HEADS,
              KEY_DIM,
              VALUE_DIM,
              DROPOUT,
              USE_BIAS,
              OUTPUT_SHAPE,
              ATTENTION_AXES,
              KERNEL_INITIALIZER,
              BIAS_INITIALIZER,
              KERNEL_REGULARIZER,
              BIAS_REGULARIZER,
              ACTIVITY_REGULARIZER,
              KERNEL_CONSTRAINT,
              BIAS_CONSTRAINT,
              SEED)
          .tolerating("flash_attention");

  // Sublayers in Keras's order, which is the order of the weights.
  private EinsumDense query;
  private EinsumDense key;
  private EinsumDense value;
  private EinsumDense attentionOutput;

  private String dotEquation;
  private String combineEquation;
  private int[] normAxes;
  private int attentionAxisCount;

  /**
   * {@code numHeads} heads of size {@code keyDim} (the value heads too, unless {@link
   * #valueDim(int)} says otherwise).
   *
   * @throws IllegalArgumentException if a size is not positive
   */
  public MultiHeadAttention(int numHeads, int keyDim) {
    args().set(NUM_HEADS, numHeads);
    args().set(KEY_DIM, keyDim);
    args().set(VALUE_DIM, keyDim);
    this.supportsMasking = true;
  }

  /** The size of each value head (default key_dim). */
  public MultiHeadAttention valueDim(int d) {
    args().set(VALUE_DIM, d);
    return this;
  }

  /** The output's shape after the batch and query axes (default the query's last axis). */
  public MultiHeadAttention outputShape(int... shape) {
    args().set(OUTPUT_SHAPE, shape.clone());
    return this;
  }

  /** The axes attention runs over (default every axis between batch and features). */
  public MultiHeadAttention attentionAxes(int... axes) {
    args().set(ATTENTION_AXES, axes.clone());
    return this;
  }

  /** The number of heads. */
  public int numHeads() {
    return args().get(NUM_HEADS);
  }

  /** The size of each query and key head. */
  public int keyDim() {
    return args().get(KEY_DIM);
  }

  /** The size of each value head. */
  public int valueDim() {
    Integer v = args().get(VALUE_DIM);
    return v == null ? keyDim() : v;
  }

  /** The query projection; null before build. */
  public EinsumDense queryDense() {
    return query;
  }

  /** The key projection; null before build. */
  public EinsumDense keyDense() {
    return key;
  }

  /** The value projection; null before build. */
  public EinsumDense valueDense() {
    return value;
  }

  /** The output projection; null before build. */
  public EinsumDense outputDense() {
    return attentionOutput;
  }

  private static final String LETTERS = "abcdefghijklmnopqrstuvwxyz";

  /**
   * Keras's {@code _build_proj_equation}: {@code free} axes kept, {@code bound} axes contracted
   * with the kernel, {@code out} new axes; returns the equation and the bias axes.
   */
  static String[] projEquation(int free, int bound, int out) {
    String in = LETTERS.substring(0, free) + LETTERS.substring(free, free + bound);
    String kernel = LETTERS.substring(free, free + bound + out);
    String output =
        LETTERS.substring(0, free) + LETTERS.substring(free + bound, free + bound + out);
    return new String[] {
      in + "," + kernel + "->" + output, LETTERS.substring(free + bound, free + bound + out)
    };
  }

  /** Keras's {@code _get_output_shape}: unknown sizes, then the known last ones. */
  private static int[] partialShape(int rank, int... last) {
    int[] s = new int[rank];
    Arrays.fill(s, -1);
    System.arraycopy(last, 0, s, rank - last.length, last.length);
    return s;
  }

  // Keras's _build_proj_equation gives the equation and the bias axes together.
  private EinsumDense projection(String[] eq, int[] outputShape, String name) {
    return projection(eq[0], outputShape, eq[1], name);
  }

  private List<Shape> split(List<Shape> shapes) {
    return shapes.subList(0, inputCount(shapes.size()));
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    List<Shape> s = split(inputShapes);
    Shape q = s.get(0);
    Shape v = s.get(1);
    Shape k = s.size() > 2 ? s.get(2) : v;
    if (q.rank() < 3 || v.rank() != q.rank() || k.rank() != q.rank()) {
      throw new IllegalArgumentException(
          what()
              + " needs query, value and key of the same rank >= 3; received query "
              + q
              + ", value "
              + v
              + ", key "
              + k);
    }
    int heads = numHeads();
    String[] pq = projEquation(q.rank() - 1, 1, 2);
    int rank = q.rank() + 1;
    query = projection(pq, partialShape(rank - 1, heads, keyDim()), "query");
    key =
        projection(
            projEquation(k.rank() - 1, 1, 2), partialShape(rank - 1, heads, keyDim()), "key");
    value =
        projection(
            projEquation(v.rank() - 1, 1, 2), partialShape(rank - 1, heads, valueDim()), "value");
    int[] out = args().get(OUTPUT_SHAPE);
    if (out == null) {
      out = new int[] {q.dim(-1)};
    }
    String[] po = projEquation(q.rank() - 1, 2, out.length);
    attentionOutput =
        projection(po, partialShape(q.rank() - 2 + out.length, out), "attention_output");
    buildAttention(rank);
  }

  /** Keras's {@code _build_attention_equation} for projected tensors of {@code rank} axes. */
  private void buildAttention(int rank) {
    int[] given = args().get(ATTENTION_AXES);
    int[] axes;
    if (given == null) {
      axes = new int[rank - 3];
      for (int i = 0; i < axes.length; i++) {
        axes[i] = i + 1;
      }
    } else {
      axes = new int[given.length];
      for (int i = 0; i < given.length; i++) {
        axes[i] = given[i] < 0 ? given[i] + rank - 1 : given[i];
        if (axes[i] <= 0 || axes[i] >= rank - 2) {
          throw new IllegalArgumentException(
              what()
                  + ": attention_axes "
                  + Arrays.toString(given)
                  + " must name axes between the batch and feature axes of a rank-"
                  + (rank - 1)
                  + " query");
        }
      }
    }
    List<Integer> batch = new ArrayList<>();
    for (int i = 0; i < rank - 1; i++) {
      final int ax = i;
      if (Arrays.stream(axes).noneMatch(x -> x == ax)) {
        batch.add(i);
      }
    }
    StringBuilder target = new StringBuilder(LETTERS.substring(0, rank));
    StringBuilder source = new StringBuilder();
    int offset = rank;
    for (int i = 0; i < rank; i++) {
      if (batch.contains(i) || i == rank - 1) {
        source.append(LETTERS.charAt(i));
      } else {
        source.append(LETTERS.charAt(offset++));
      }
    }
    StringBuilder product = new StringBuilder();
    for (int i : batch) {
      product.append(target.charAt(i));
    }
    for (int i : axes) {
      product.append(target.charAt(i));
    }
    for (int i : axes) {
      product.append(source.charAt(i));
    }
    dotEquation = source + "," + target + "->" + product;
    combineEquation = product + "," + source + "->" + target;
    int scoresRank = product.length();
    normAxes = new int[axes.length];
    for (int i = 0; i < axes.length; i++) {
      normAxes[i] = scoresRank - axes.length + i;
    }
    attentionAxisCount = axes.length;
  }

  @Override
  protected Value call(Ops ops, Value input) {
    throw new IllegalArgumentException(what() + " takes [query, value] or [query, value, key]");
  }

  @Override
  protected List<Value> call(Ops ops, List<Value> inputs) {
    List<Shape> shapes = new ArrayList<>();
    for (Value v : inputs) {
      shapes.add(v.shape());
    }
    int n = split(shapes).size();
    Value q = inputs.get(0);
    Value v = inputs.get(1);
    Value k = n > 2 ? inputs.get(2) : v;
    Value explicit = withAttentionMask ? inputs.get(inputs.size() - 1) : null;
    if (explicit != null && explicit.rank() != 3) {
      throw new IllegalArgumentException(
          what() + ": attention_mask must be (batch, Tq, Tv); received " + explicit.shape());
    }
    Value mask = AttentionSupport.attentionMask(ops, q, v, k, explicit, useCausalMask);
    Value pq = query.trace(ops, q);
    Value pk = key.trace(ops, k);
    Value pv = value.trace(ops, v);
    pq = ops.mul(pq, 1.0 / Math.sqrt(keyDim()));
    Value scores = ops.einsum(dotEquation, pk, pq);
    if (mask != null) {
      int expand = -attentionAxisCount * 2 - 1;
      while (mask.rank() < scores.rank()) {
        mask = ops.expandDims(mask, expand);
      }
    }
    Value probs = AttentionSupport.maskedSoftmax(ops, scores, mask, normAxes);
    Value dropped = AttentionSupport.dropout(ops, probs, args().get(DROPOUT));
    Value o = ops.einsum(combineEquation, dropped, pv);
    Value out = attentionOutput.trace(ops, o);
    if (ops.mask(q) != null) {
      ops.setMask(out, ops.mask(q));
    }
    return returnAttentionScores ? List.of(out, probs) : List.of(out);
  }
}
