package dev.kiln.spi.ir;

import static dev.kiln.spi.ir.Rules.arity;
import static dev.kiln.spi.ir.Rules.broadcast;
import static dev.kiln.spi.ir.Rules.normalizeAxes;
import static dev.kiln.spi.ir.Rules.normalizeAxis;
import static dev.kiln.spi.ir.Rules.one;
import static dev.kiln.spi.ir.Rules.reducedShape;
import static dev.kiln.spi.ir.Rules.requireFloat;
import static dev.kiln.spi.ir.Rules.sameDtype;
import static dev.kiln.spi.ir.Rules.str;

import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * Ops that have a decomposition into other ops. A backend runs each either directly or as its
 * decomposition, which {@link Rewrites#expand} emits; autodiff differentiates most of them through
 * it.
 */
public sealed interface CompositeOp extends Op
    permits CompositeOp.Softmax,
        CompositeOp.LogSoftmax,
        CompositeOp.LogSumExp,
        CompositeOp.SoftmaxCrossEntropy,
        CompositeOp.SigmoidCrossEntropy,
        CompositeOp.BatchNormTraining,
        CompositeOp.BatchNormTrainingGrad,
        CompositeOp.BatchNormInference,
        CompositeOp.LayerNorm,
        CompositeOp.Gelu,
        CompositeOp.Silu,
        CompositeOp.AdamUpdate {
  /**
   * Emits the ops that compute this op. The decomposition may use other composites; {@link
   * Rewrites#expand} expands those in turn.
   *
   * @param b the builder to emit into
   * @param inputs the operands, as the op received them
   * @return the results, matching {@link #infer}
   */
  List<Value> decompose(GraphBuilder b, List<Value> inputs);

  /** {@code exp(x - max) / sum(exp(x - max))} along {@code axis}. */
  record Softmax(int axis) implements CompositeOp {
    @Override
    public String name() {
      return "softmax";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      requireFloat(name(), in.get(0));
      normalizeAxis(name(), axis, in.get(0).rank(), in.get(0));
      return List.of(in.get(0));
    }

    @Override
    public List<Value> decompose(GraphBuilder b, List<Value> in) {
      Value x = in.get(0);
      int a = x.shape().normalizeAxis(axis);
      Value shifted = b.sub(x, b.reduceMax(x, new int[] {a}, true));
      Value e = b.exp(shifted);
      return List.of(b.div(e, b.reduceSum(e, new int[] {a}, true)));
    }

    @Override
    public String attributes() {
      return "axis=" + axis;
    }
  }

  /** {@code x - logsumexp(x)} along {@code axis}. */
  record LogSoftmax(int axis) implements CompositeOp {
    @Override
    public String name() {
      return "log_softmax";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      requireFloat(name(), in.get(0));
      normalizeAxis(name(), axis, in.get(0).rank(), in.get(0));
      return List.of(in.get(0));
    }

    @Override
    public List<Value> decompose(GraphBuilder b, List<Value> in) {
      Value x = in.get(0);
      int a = x.shape().normalizeAxis(axis);
      Value shifted = b.sub(x, b.reduceMax(x, new int[] {a}, true));
      Value lse = b.log(b.reduceSum(b.exp(shifted), new int[] {a}, true));
      return List.of(b.sub(shifted, lse));
    }

    @Override
    public String attributes() {
      return "axis=" + axis;
    }
  }

  /** {@code log(sum(exp(x)))} over {@code axes}, computed stably. */
  record LogSumExp(int[] axes, boolean keepDims) implements CompositeOp {
    /** Copies the array attributes: the op is a value and must not change after construction. */
    public LogSumExp {
      axes = axes.clone();
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof LogSumExp o && Arrays.equals(o.axes, axes) && o.keepDims == keepDims;
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(axes) * 31 + Boolean.hashCode(keepDims);
    }

    @Override
    public String toString() {
      return "LogSumExp[axes=" + str(axes) + ", keepDims=" + keepDims + "]";
    }

    @Override
    public String name() {
      return "logsumexp";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      requireFloat(name(), in.get(0));
      int[] ax = normalizeAxes(name(), axes, in.get(0));
      return one(in.get(0).dtype(), reducedShape(in.get(0).shape(), ax, keepDims));
    }

    @Override
    public List<Value> decompose(GraphBuilder b, List<Value> in) {
      Value x = in.get(0);
      int[] ax = normalizeAxes(name(), axes, x.type());
      // The max is held constant: shifting by any value gives the same result, and it keeps
      // exp() from overflowing.
      Value m = b.reduceMax(x, ax, true);
      Value s = b.log(b.reduceSum(b.exp(b.sub(x, m)), ax, true));
      Value r = b.add(s, m);
      return List.of(keepDims ? r : b.reshape(r, reducedShape(x.shape(), ax, false)));
    }

    @Override
    public String attributes() {
      return "axes=" + str(axes) + ", keep_dims=" + keepDims;
    }
  }

  /**
   * Cross-entropy of a probability distribution {@code labels} against {@code logits} along {@code
   * axis}: {@code -sum(labels * log_softmax(logits))}; the axis is removed.
   */
  record SoftmaxCrossEntropy(int axis) implements CompositeOp {
    @Override
    public String name() {
      return "softmax_cross_entropy";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 2);
      DType d = sameDtype(name(), in);
      requireFloat(name(), in.get(0));
      if (!in.get(0).shape().isCompatibleWith(in.get(1).shape())) {
        throw new ShapeError(
            name(),
            "logits " + in.get(0) + " and labels " + in.get(1) + " must have the same shape");
      }
      int a = normalizeAxis(name(), axis, in.get(0).rank(), in.get(0));
      return one(d, reducedShape(in.get(0).shape(), new int[] {a}, false));
    }

    @Override
    public List<Value> decompose(GraphBuilder b, List<Value> in) {
      int a = in.get(0).shape().normalizeAxis(axis);
      Value lsm = b.logSoftmax(in.get(0), a);
      return List.of(b.neg(b.reduceSum(b.mul(in.get(1), lsm), new int[] {a}, false)));
    }

    @Override
    public String attributes() {
      return "axis=" + axis;
    }
  }

  /**
   * Elementwise binary cross-entropy of {@code labels} against {@code logits}, computed stably as
   * {@code max(x, 0) - x * z + log1p(exp(-|x|))}.
   */
  record SigmoidCrossEntropy() implements CompositeOp {
    @Override
    public String name() {
      return "sigmoid_cross_entropy";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 2);
      DType d = sameDtype(name(), in);
      requireFloat(name(), in.get(0));
      return one(d, broadcast(name(), in.get(0), in.get(1)));
    }

    @Override
    public List<Value> decompose(GraphBuilder b, List<Value> in) {
      Value x = in.get(0);
      Value z = in.get(1);
      Value zero = b.scalar(0, x.dtype());
      Value relu = b.max(x, zero);
      return List.of(b.add(b.sub(relu, b.mul(x, z)), b.log1p(b.exp(b.neg(b.abs(x))))));
    }
  }

  /**
   * Batch normalization with batch statistics: operands {@code (x, gamma, beta)}, the scale and
   * offset of shape {@code (C,)} for {@code C = x.shape[axis]}; results {@code (y, mean, variance)}
   * with the biased variance over every axis but {@code axis}.
   */
  record BatchNormTraining(int axis, double epsilon) implements CompositeOp {
    @Override
    public String name() {
      return "batch_norm_training";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 3);
      DType d = sameDtype(name(), in);
      requireFloat(name(), in.get(0));
      Shape c = channelShape(name(), in.get(0), axis);
      for (int i = 1; i < 3; i++) {
        if (!in.get(i).shape().isCompatibleWith(c)) {
          throw new ShapeError(
              name(),
              (i == 1 ? "gamma " : "beta ")
                  + in.get(i)
                  + " must have shape "
                  + c
                  + " for input "
                  + in.get(0));
        }
      }
      return List.of(in.get(0), new TensorType(d, c), new TensorType(d, c));
    }

    @Override
    public List<Value> decompose(GraphBuilder b, List<Value> in) {
      Value x = in.get(0);
      int a = x.shape().normalizeAxis(axis);
      int[] reduce = allBut(x.rank(), a);
      Value mean = b.reduceMean(x, reduce, true);
      Value centered = b.sub(x, mean);
      Value var = b.reduceMean(b.square(centered), reduce, true);
      Value inv = b.rsqrt(b.add(var, b.scalar(epsilon, x.dtype())));
      Shape bc = keepOnly(x.shape(), a);
      Value y =
          b.add(b.mul(b.mul(centered, inv), b.reshape(in.get(1), bc)), b.reshape(in.get(2), bc));
      Shape c = Shape.of(x.shape().dim(a));
      return List.of(y, b.reshape(mean, c), b.reshape(var, c));
    }

    @Override
    public String attributes() {
      return "axis=" + axis + ", epsilon=" + epsilon;
    }
  }

  /**
   * The gradient of {@link BatchNormTraining}: operands {@code (x, gamma, mean, variance, dy,
   * dmean, dvariance)}, where {@code mean} and {@code variance} are the forward op's batch
   * statistics and {@code dy}, {@code dmean}, {@code dvariance} the cotangents of its three
   * results; results {@code (dx, dgamma, dbeta)}. With {@code n} values per channel, {@code inv =
   * 1/sqrt(variance + epsilon)} and {@code xhat = (x - mean) * inv}:
   *
   * <pre>{@code
   * dbeta  = sum(dy)
   * dgamma = sum(dy * xhat)
   * dx     = gamma * inv * (dy - dbeta / n - xhat * dgamma / n)
   *          + dmean / n + 2 * dvariance * (x - mean) / n
   * }</pre>
   *
   * <p>A backend that runs it directly reads {@code x} and {@code dy} twice, where the
   * differentiated decomposition makes a dozen passes.
   */
  record BatchNormTrainingGrad(int axis, double epsilon) implements CompositeOp {
    @Override
    public String name() {
      return "batch_norm_training_grad";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 7);
      DType d = sameDtype(name(), in);
      requireFloat(name(), in.get(0));
      Shape c = channelShape(name(), in.get(0), axis);
      if (!in.get(4).shape().isCompatibleWith(in.get(0).shape())) {
        throw new ShapeError(name(), "dy " + in.get(4) + " must have the shape of x " + in.get(0));
      }
      String[] names = {"gamma ", "mean ", "variance ", null, "dmean ", "dvariance "};
      for (int i = 1; i < 7; i++) {
        if (i != 4 && !in.get(i).shape().isCompatibleWith(c)) {
          throw new ShapeError(
              name(), names[i - 1] + in.get(i) + " must have shape " + c + " for x " + in.get(0));
        }
      }
      return List.of(in.get(0), new TensorType(d, c), new TensorType(d, c));
    }

    @Override
    public List<Value> decompose(GraphBuilder b, List<Value> in) {
      Value x = in.get(0);
      DType d = x.dtype();
      int a = x.shape().normalizeAxis(axis);
      int[] reduce = allBut(x.rank(), a);
      Shape bc = keepOnly(x.shape(), a);
      Shape c = Shape.of(x.shape().dim(a));
      double n = (double) x.shape().size() / x.shape().dim(a);
      Value inv = b.rsqrt(b.add(in.get(3), b.scalar(epsilon, d)));
      Value centered = b.sub(x, b.reshape(in.get(2), bc));
      Value dy = in.get(4);
      Value dbeta = b.reduceSum(dy, reduce, false);
      Value dgamma = b.mul(b.reduceSum(b.mul(dy, centered), reduce, false), inv);
      Value scale = b.mul(in.get(1), inv);
      Value centeredCoef =
          b.sub(
              b.mul(in.get(6), b.scalar(2 / n, d)),
              b.mul(b.mul(scale, b.mul(inv, dgamma)), b.scalar(1 / n, d)));
      Value constant = b.mul(b.sub(in.get(5), b.mul(scale, dbeta)), b.scalar(1 / n, d));
      Value dx =
          b.add(
              b.add(b.mul(dy, b.reshape(scale, bc)), b.mul(centered, b.reshape(centeredCoef, bc))),
              b.reshape(constant, bc));
      return List.of(dx, b.reshape(dgamma, c), b.reshape(dbeta, c));
    }

    @Override
    public String attributes() {
      return "axis=" + axis + ", epsilon=" + epsilon;
    }
  }

  /**
   * Batch normalization with given statistics: operands {@code (x, mean, variance, gamma, beta)},
   * the last four of shape {@code (C,)}.
   */
  record BatchNormInference(int axis, double epsilon) implements CompositeOp {
    @Override
    public String name() {
      return "batch_norm_inference";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 5);
      sameDtype(name(), in);
      requireFloat(name(), in.get(0));
      Shape c = channelShape(name(), in.get(0), axis);
      String[] names = {"mean ", "variance ", "gamma ", "beta "};
      for (int i = 1; i < 5; i++) {
        if (!in.get(i).shape().isCompatibleWith(c)) {
          throw new ShapeError(
              name(),
              names[i - 1] + in.get(i) + " must have shape " + c + " for input " + in.get(0));
        }
      }
      return List.of(in.get(0));
    }

    @Override
    public List<Value> decompose(GraphBuilder b, List<Value> in) {
      Value x = in.get(0);
      Shape bc = keepOnly(x.shape(), x.shape().normalizeAxis(axis));
      Value inv = b.rsqrt(b.add(in.get(2), b.scalar(epsilon, x.dtype())));
      Value scale = b.mul(inv, in.get(3));
      Value y = b.mul(b.sub(x, b.reshape(in.get(1), bc)), b.reshape(scale, bc));
      return List.of(b.add(y, b.reshape(in.get(4), bc)));
    }

    @Override
    public String attributes() {
      return "axis=" + axis + ", epsilon=" + epsilon;
    }
  }

  /**
   * Layer normalization over {@code axes}: operands {@code (x, gamma, beta)}, the scale and offset
   * shaped like {@code x} on {@code axes}; biased variance.
   */
  record LayerNorm(int[] axes, double epsilon) implements CompositeOp {
    /** Copies the array attributes: the op is a value and must not change after construction. */
    public LayerNorm {
      axes = axes.clone();
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof LayerNorm o
          && Arrays.equals(o.axes, axes)
          && Double.compare(o.epsilon, epsilon) == 0;
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(axes) * 31 + Double.hashCode(epsilon);
    }

    @Override
    public String toString() {
      return "LayerNorm[axes=" + str(axes) + ", epsilon=" + epsilon + "]";
    }

    @Override
    public String name() {
      return "layer_norm";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 3);
      sameDtype(name(), in);
      requireFloat(name(), in.get(0));
      int[] ax = normalizeAxes(name(), axes, in.get(0));
      Shape p = paramShape(in.get(0).shape(), ax);
      for (int i = 1; i < 3; i++) {
        if (!in.get(i).shape().isCompatibleWith(p)) {
          throw new ShapeError(
              name(),
              (i == 1 ? "gamma " : "beta ")
                  + in.get(i)
                  + " must have shape "
                  + p
                  + " for input "
                  + in.get(0));
        }
      }
      return List.of(in.get(0));
    }

    static Shape paramShape(Shape x, int[] axes) {
      int[] p = new int[axes.length];
      for (int i = 0; i < axes.length; i++) {
        p[i] = x.dim(axes[i]);
      }
      return Shape.of(p);
    }

    @Override
    public List<Value> decompose(GraphBuilder b, List<Value> in) {
      Value x = in.get(0);
      int[] ax = normalizeAxes(name(), axes, x.type());
      Value mean = b.reduceMean(x, ax, true);
      Value centered = b.sub(x, mean);
      Value var = b.reduceMean(b.square(centered), ax, true);
      Value y = b.mul(centered, b.rsqrt(b.add(var, b.scalar(epsilon, x.dtype()))));
      int[] bc = x.shape().dims();
      outer:
      for (int i = 0; i < bc.length; i++) {
        for (int a : ax) {
          if (a == i) {
            continue outer;
          }
        }
        bc[i] = 1;
      }
      Shape s = Shape.of(bc);
      return List.of(b.add(b.mul(y, b.reshape(in.get(1), s)), b.reshape(in.get(2), s)));
    }

    @Override
    public String attributes() {
      return "axes=" + str(axes) + ", epsilon=" + epsilon;
    }
  }

  /**
   * The Gaussian error linear unit: {@code x * Φ(x)}, or with {@code approximate} the tanh form
   * {@code 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))}.
   */
  record Gelu(boolean approximate) implements CompositeOp {
    @Override
    public String name() {
      return "gelu";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      requireFloat(name(), in.get(0));
      return List.of(in.get(0));
    }

    @Override
    public List<Value> decompose(GraphBuilder b, List<Value> in) {
      Value x = in.get(0);
      DType d = x.dtype();
      Value half = b.scalar(0.5, d);
      Value one = b.scalar(1, d);
      if (approximate) {
        Value inner =
            b.mul(
                b.scalar(Math.sqrt(2 / Math.PI), d),
                b.add(x, b.mul(b.scalar(0.044715, d), b.mul(x, b.square(x)))));
        return List.of(b.mul(b.mul(half, x), b.add(one, b.tanh(inner))));
      }
      Value cdf = b.mul(half, b.add(one, b.erf(b.mul(x, b.scalar(1 / Math.sqrt(2), d)))));
      return List.of(b.mul(x, cdf));
    }

    @Override
    public String attributes() {
      return "approximate=" + approximate;
    }
  }

  /** {@code x * sigmoid(x)} (swish). */
  record Silu() implements CompositeOp {
    @Override
    public String name() {
      return "silu";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      requireFloat(name(), in.get(0));
      return List.of(in.get(0));
    }

    @Override
    public List<Value> decompose(GraphBuilder b, List<Value> in) {
      return List.of(b.mul(in.get(0), b.sigmoid(in.get(0))));
    }
  }

  /**
   * One Adam step for one weight, as Keras computes it: operands {@code (w, g, m, v, alpha)} with
   * the gradient {@code g} and moments {@code m}, {@code v} shaped like {@code w} and the step size
   * {@code alpha} (the learning rate with the bias correction folded in, {@code lr * sqrt(1 -
   * beta2^t) / (1 - beta1^t)}) a scalar; results {@code (w', m', v')}: {@code m' = m + (g - m)(1 -
   * beta1)}, {@code v' = v + (g^2 - v)(1 - beta2)}, {@code w' = w - m' alpha / (sqrt(v') +
   * epsilon)}. As one op a backend can run the update in one pass over memory.
   */
  record AdamUpdate(double beta1, double beta2, double epsilon) implements CompositeOp {
    @Override
    public String name() {
      return "adam_update";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 5);
      sameDtype(name(), in);
      requireFloat(name(), in.get(0));
      String[] names = {"gradient ", "m ", "v "};
      for (int i = 1; i < 4; i++) {
        if (!in.get(i).shape().equals(in.get(0).shape())) {
          throw new ShapeError(
              name(), names[i - 1] + in.get(i) + " must have the shape of weight " + in.get(0));
        }
      }
      if (in.get(4).shape().size() != 1) {
        throw new ShapeError(name(), "step size " + in.get(4) + " must be a scalar");
      }
      return List.of(in.get(0), in.get(0), in.get(0));
    }

    @Override
    public List<Value> decompose(GraphBuilder b, List<Value> in) {
      Value w = in.get(0);
      Value g = in.get(1);
      DType d = w.dtype();
      Value alpha = in.get(4).rank() == 0 ? in.get(4) : b.reshape(in.get(4), Shape.of());
      Value m = b.add(in.get(2), b.mul(b.sub(g, in.get(2)), b.scalar(1 - beta1, d)));
      Value v = b.add(in.get(3), b.mul(b.sub(b.square(g), in.get(3)), b.scalar(1 - beta2, d)));
      Value step = b.div(b.mul(m, alpha), b.add(b.sqrt(v), b.scalar(epsilon, d)));
      return List.of(b.sub(w, step), m, v);
    }

    @Override
    public String attributes() {
      return "beta1=" + beta1 + ", beta2=" + beta2 + ", epsilon=" + epsilon;
    }
  }

  private static Shape channelShape(String op, TensorType x, int axis) {
    int a = normalizeAxis(op, axis, x.rank(), x);
    return Shape.of(x.shape().dim(a));
  }

  /** Every axis but {@code keep}. */
  private static int[] allBut(int rank, int keep) {
    int[] r = new int[rank - 1];
    int k = 0;
    for (int i = 0; i < rank; i++) {
      if (i != keep) {
        r[k++] = i;
      }
    }
    return r;
  }

  /** Ones everywhere but {@code keep}, which keeps its size: a per-channel broadcast shape. */
  private static Shape keepOnly(Shape s, int keep) {
    int[] d = new int[s.rank()];
    Arrays.fill(d, 1);
    d[keep] = s.dim(keep);
    return Shape.of(d);
  }
}
