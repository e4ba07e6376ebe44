package dev.kiln.api.layers.attention;

import dev.kiln.api.KilnException;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * What Attention and AdditiveAttention share (Keras's {@code Attention.call}): inputs {@code
 * [query, value]} or {@code [query, value, key]}, scores from the subclass, the value mask and the
 * causal mask subtracting 1e9 from the scores, softmax, dropout while training, the weighted sum of
 * the values, and the query mask zeroing masked query steps.
 */
abstract class DenseAttention extends Layer {
  private boolean useCausalMask;
  private boolean returnAttentionScores;

  DenseAttention() {
    this.supportsMasking = true;
  }

  void setUseCausalMask(boolean b) {
    this.useCausalMask = b;
  }

  void setReturnAttentionScores(boolean b) {
    this.returnAttentionScores = b;
  }

  /** Whether a query step only attends to value steps at or before it (a call option in Keras). */
  public boolean useCausalMask() {
    return useCausalMask;
  }

  /** Whether the layer has a second output, the attention weights {@code (batch, Tq, Tv)}. */
  public boolean returnAttentionScores() {
    return returnAttentionScores;
  }

  /** The dropout rate of the attention weights. */
  abstract double dropoutRate();

  /** The scores {@code (batch, Tq, Tv)} of a query {@code (batch, Tq, dim)} and key. */
  abstract Value scores(Ops ops, Value query, Value key);

  /** Checks the shapes of {@code [query, value(, key)]}; returns the feature size. */
  int checkInputs(List<Shape> shapes) {
    if (shapes.size() < 2 || shapes.size() > 3) {
      throw new IllegalArgumentException(
          className()
              + " \""
              + name()
              + "\" takes [query, value] or [query, value, key], but received "
              + shapes.size()
              + " inputs");
    }
    Shape q = shapes.get(0);
    Shape v = shapes.get(1);
    Shape k = shapes.size() > 2 ? shapes.get(2) : v;
    if (q.rank() != 3 || v.rank() != 3 || k.rank() != 3) {
      throw new IllegalArgumentException(
          className()
              + " \""
              + name()
              + "\" needs rank-3 inputs (batch, steps, dim); received query "
              + q
              + ", value "
              + v
              + ", key "
              + k);
    }
    if (q.dim(2) != k.dim(2) || v.dim(1) != k.dim(1)) {
      throw new IllegalArgumentException(
          className()
              + " \""
              + name()
              + "\": the query and key must have the same last axis and the value and key the"
              + " same steps; received query "
              + q
              + ", value "
              + v
              + ", key "
              + k);
    }
    return q.dim(2);
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    checkInputs(inputShapes);
  }

  @Override
  protected Value call(Ops ops, Value input) {
    throw new KilnException(
        className() + " \"" + name() + "\" takes [query, value] or [query, value, key]");
  }

  @Override
  protected List<Value> call(Ops ops, List<Value> inputs) {
    List<Shape> shapes = new ArrayList<>();
    for (Value v : inputs) {
      shapes.add(v.shape());
    }
    checkInputs(shapes);
    Value q = inputs.get(0);
    Value v = inputs.get(1);
    Value k = inputs.size() > 2 ? inputs.get(2) : v;
    Value qMask = AttentionSupport.asFloat(ops, ops.mask(q));
    Value vMask = AttentionSupport.asFloat(ops, ops.mask(v));
    Value scores = scores(ops, q, k);
    Value keep = vMask == null ? null : ops.expandDims(vMask, -2);
    if (useCausalMask) {
      keep =
          AttentionSupport.and(
              ops, keep, AttentionSupport.causal(ops, q.shape().dim(1), v.shape().dim(1)));
    }
    if (keep != null) {
      // Keras subtracts 1e9 where masked and leaves the softmax as it is.
      keep = AttentionSupport.like(ops, keep, scores);
      scores =
          ops.add(
              scores, ops.mul(ops.sub(1.0, keep), AttentionSupport.largeNegative(scores.dtype())));
    }
    Value weights = ops.softmax(scores, -1);
    Value dropped = AttentionSupport.dropout(ops, weights, dropoutRate());
    Value out = ops.matmul(dropped, v);
    if (qMask != null) {
      out = ops.mul(out, ops.expandDims(AttentionSupport.like(ops, qMask, out), -1));
      ops.setMask(out, ops.mask(q));
    }
    return returnAttentionScores ? List.of(out, weights) : List.of(out);
  }
}
