package dev.kiln.api.layers.attention;

import dev.kiln.api.Tensor;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.DType;
import dev.kiln.spi.ir.Value;

/** The masking and dropout the attention layers share, as Keras 3 computes them. */
final class AttentionSupport {
  /** What Keras 3 adds to a masked score in float32 ({@code _large_negative_number}). */
  static final double LARGE_NEGATIVE = -1e9;

  /**
   * The number added to masked scores, as Keras's {@code _large_negative_number}: -1e9, or -3e4 in
   * float16, where -1e9 is -inf and a fully masked row would give NaN.
   */
  static double largeNegative(DType scores) {
    return scores == DType.FLOAT16 ? -3e4 : LARGE_NEGATIVE;
  }

  /**
   * {@code mask} in {@code like}'s dtype (a float16 score under mixed precision); null stays null.
   */
  static Value like(Ops ops, Value mask, Value like) {
    return mask == null || mask.dtype() == like.dtype() ? mask : ops.cast(mask, like.dtype());
  }

  private AttentionSupport() {}

  /** Keras 3's causal mask, {@code (1, tq, tv)}: query step i sees value steps 0..i. */
  static Value causal(Ops ops, int tq, int tv) {
    if (tq < 0 || tv < 0) {
      throw new IllegalArgumentException(
          "a causal mask needs known sequence lengths; query has " + tq + " and value " + tv);
    }
    float[] m = new float[tq * tv];
    for (int i = 0; i < tq; i++) {
      for (int j = 0; j <= i && j < tv; j++) {
        m[i * tv + j] = 1;
      }
    }
    return ops.constant(Tensor.of(m, 1, tq, tv));
  }

  /** {@code a * b} where either may be null (no mask). */
  static Value and(Ops ops, Value a, Value b) {
    if (a == null) {
      return b;
    }
    return b == null ? a : ops.mul(a, b);
  }

  /** A mask of any dtype as 0/1 floats (non-zero counts as kept, as Keras's cast to bool). */
  static Value asFloat(Ops ops, Value mask) {
    if (mask == null) {
      return null;
    }
    Value f = ops.toFloat(mask);
    return ops.toFloat(ops.notEqual(f, ops.scalarLike(0, f)));
  }

  /**
   * Keras 3's {@code Softmax(axis)(scores, mask)}: adds a large negative number where the mask is
   * 0, takes the softmax over {@code axes}, then zeroes the masked entries (so a row masked whole
   * gives zeros, not a uniform distribution).
   */
  static Value maskedSoftmax(Ops ops, Value scores, Value mask, int[] axes) {
    Value s = scores;
    mask = like(ops, mask, scores);
    if (mask != null) {
      s = ops.add(s, ops.mul(ops.sub(1.0, mask), largeNegative(s.dtype())));
    }
    Value p;
    if (axes.length == 1) {
      p = ops.softmax(s, axes[0]);
    } else {
      p = ops.exp(ops.sub(s, ops.logSumExp(s, true, axes)));
    }
    return mask == null ? p : ops.mul(p, mask);
  }

  /** Inverted dropout of the attention probabilities while training. */
  static Value dropout(Ops ops, Value x, double rate) {
    if (!ops.training() || ops.symbolic() || rate == 0) {
      return x;
    }
    if (rate >= 1) {
      return ops.mul(x, 0.0);
    }
    return ops.mul(ops.mul(x, ops.bernoulli(x, 1 - rate)), 1 / (1 - rate));
  }

  /**
   * Keras 3's {@code _compute_attention_mask}: the explicit {@code attention_mask} {@code (batch,
   * Tq, Tv)} and-ed with the query mask (on the query axis), the value and key masks (on the value
   * axis) and the causal mask; null when there is none. Every mask is a 0/1 float.
   */
  static Value attentionMask(
      Ops ops, Value query, Value value, Value key, Value attentionMask, boolean causal) {
    Value auto = null;
    Value qMask = asFloat(ops, ops.mask(query));
    if (qMask != null) {
      auto = ops.expandDims(qMask, -1);
    }
    Value vMask = asFloat(ops, ops.mask(value));
    if (vMask != null) {
      auto = and(ops, auto, ops.expandDims(vMask, -2));
    }
    Value kMask = key == value ? null : asFloat(ops, ops.mask(key));
    if (kMask != null) {
      auto = and(ops, auto, ops.expandDims(kMask, -2));
    }
    if (causal) {
      auto = and(ops, auto, causal(ops, query.shape().dim(1), value.shape().dim(1)));
    }
    return and(ops, asFloat(ops, attentionMask), auto);
  }
}
