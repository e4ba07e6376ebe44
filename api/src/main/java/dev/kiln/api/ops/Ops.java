package dev.kiln.api.ops;

import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Weight;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.ArgFn;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.ReduceFn;
import dev.kiln.spi.ir.ShapeOp;
import dev.kiln.spi.ir.UnaryFn;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ops a layer's {@code call} emits: every built-in layer, loss, metric and optimizer writes its
 * computation through this class, and so do custom layers. Each method adds nodes to the graph
 * being traced and returns the symbolic result; nothing runs until the graph is compiled.
 *
 * <p>Axes may be negative (counted from the end). Where a method takes a {@code double}, it becomes
 * a scalar of the other operand's dtype. Binary ops broadcast as numpy does.
 *
 * {@snippet :
 * // inside a custom layer
 * protected Value call(Ops ops, Value x) {
 *   return ops.add(ops.matmul(x, ops.read(kernel)), ops.read(bias));
 * }
 * }
 */
public final class Ops {
  private static final long SEED_STRIDE = 0x9E3779B97F4A7C15L;

  private final GraphBuilder b;
  private final boolean training;
  private final Value seed;
  private final Map<Weight, Value> reads = new IdentityHashMap<>();
  private final Map<Weight, Value> updates = new LinkedHashMap<>();
  private final Map<Value, Value> masks = new IdentityHashMap<>();
  private final List<Value> losses = new ArrayList<>();
  private int randomOps;

  /**
   * Ops that add to {@code builder}.
   *
   * @param training whether layers run in training mode (dropout active, batch statistics)
   * @param seed an int64 {@code (2,)} value keying random ops, or null where randomness is not
   *     allowed (shape inference)
   */
  public Ops(GraphBuilder builder, boolean training, Value seed) {
    this.b = builder;
    this.training = training;
    this.seed = seed;
  }

  /** The graph builder, for ops this class does not wrap. */
  public GraphBuilder graph() {
    return b;
  }

  /** True in a training trace. */
  public boolean training() {
    return training;
  }

  /** True when shapes are being inferred (batch size unknown, nothing will run). */
  public boolean symbolic() {
    return seed == null;
  }

  // ---------------------------------------------------------------- state

  /** The current value of a weight. */
  public Value read(Weight w) {
    return reads.computeIfAbsent(w, k -> b.variable(k.id(), k.type()));
  }

  /**
   * Sets the value a (non-trainable) weight holds after the step, as a moving average or a counter.
   */
  public void assign(Weight w, Value v) {
    Value cast = v.dtype() == w.type().dtype() ? v : b.cast(v, w.type().dtype());
    if (!cast.shape().equals(w.type().shape())) {
      cast = b.reshape(cast, w.type().shape());
    }
    updates.put(w, cast);
  }

  /** The weight updates this trace has asked for. */
  public Map<Weight, Value> assignments() {
    return updates;
  }

  /** Adds a scalar to the training loss (activity regularization, auxiliary losses). */
  public void addLoss(Value scalar) {
    losses.add(scalar);
  }

  /** The losses added by {@link #addLoss}. */
  public List<Value> addedLosses() {
    return losses;
  }

  /** The mask carried with {@code x} (bool, shape of {@code x} without its last axis), or null. */
  public Value mask(Value x) {
    return masks.get(x);
  }

  /** Attaches a mask to {@code x}; null removes it. */
  public void setMask(Value x, Value mask) {
    if (mask == null) {
      masks.remove(x);
    } else {
      masks.put(x, mask);
    }
  }

  /**
   * A fresh int64 {@code (2,)} seed for one random op: each op of a trace gets its own key, and
   * each step gets a new one from the step's seed input.
   *
   * @throws IllegalStateException in a symbolic trace
   */
  public Value nextSeed() {
    if (seed == null) {
      throw new IllegalStateException("random ops need a seed; none in a symbolic trace");
    }
    long k = ++randomOps * SEED_STRIDE;
    Value offset = b.constant(HostTensor.of(Shape.of(2), new long[] {k, 0}));
    return b.add(seed, offset);
  }

  // ---------------------------------------------------------------- constants

  /** A float32 scalar. */
  public Value scalar(double v) {
    return b.scalar(v, DType.FLOAT32);
  }

  /** A scalar of {@code dtype}. */
  public Value scalar(double v, DType dtype) {
    return b.scalar(v, dtype);
  }

  /** A scalar of {@code like}'s dtype. */
  public Value scalarLike(double v, Value like) {
    return b.scalar(v, like.dtype());
  }

  /** A constant. */
  public Value constant(Tensor t) {
    return b.constant(t.host());
  }

  /** A tensor of {@code value} in the shape and dtype of {@code like}. */
  public Value fillLike(double value, Value like) {
    return b.broadcastTo(scalarLike(value, like), like.shape());
  }

  // ---------------------------------------------------------------- elementwise

  /** {@code a + b}. */
  public Value add(Value a, Value c) {
    return b.add(a, c);
  }

  /** {@code a + c}. */
  public Value add(Value a, double c) {
    return b.add(a, scalarLike(c, a));
  }

  /** {@code a - c}. */
  public Value sub(Value a, Value c) {
    return b.sub(a, c);
  }

  /** {@code a - c}. */
  public Value sub(Value a, double c) {
    return b.sub(a, scalarLike(c, a));
  }

  /** {@code c - a}. */
  public Value sub(double c, Value a) {
    return b.sub(scalarLike(c, a), a);
  }

  /** {@code a * c}. */
  public Value mul(Value a, Value c) {
    return b.mul(a, c);
  }

  /** {@code a * c}. */
  public Value mul(Value a, double c) {
    return c == 1 ? a : b.mul(a, scalarLike(c, a));
  }

  /** {@code a / c}. */
  public Value div(Value a, Value c) {
    return b.div(a, c);
  }

  /** {@code a / c}. */
  public Value div(Value a, double c) {
    return c == 1 ? a : b.div(a, scalarLike(c, a));
  }

  /** {@code c / a}. */
  public Value div(double c, Value a) {
    return b.div(scalarLike(c, a), a);
  }

  /** {@code a ** c}. */
  public Value pow(Value a, Value c) {
    return b.pow(a, c);
  }

  /** {@code a ** c}. */
  public Value pow(Value a, double c) {
    return b.pow(a, scalarLike(c, a));
  }

  /** Elementwise maximum. */
  public Value maximum(Value a, Value c) {
    return b.max(a, c);
  }

  /** Elementwise maximum with a constant. */
  public Value maximum(Value a, double c) {
    return b.max(a, scalarLike(c, a));
  }

  /** Elementwise minimum. */
  public Value minimum(Value a, Value c) {
    return b.min(a, c);
  }

  /** Elementwise minimum with a constant. */
  public Value minimum(Value a, double c) {
    return b.min(a, scalarLike(c, a));
  }

  /** Clips into {@code [lo, hi]}. */
  public Value clip(Value x, double lo, double hi) {
    return minimum(maximum(x, lo), hi);
  }

  /** An elementwise function. */
  public Value unary(UnaryFn fn, Value x) {
    return b.unary(fn, x);
  }

  /** {@code -x}. */
  public Value neg(Value x) {
    return b.neg(x);
  }

  /** {@code |x|}. */
  public Value abs(Value x) {
    return b.abs(x);
  }

  /** {@code sign(x)}. */
  public Value sign(Value x) {
    return b.unary(UnaryFn.SIGN, x);
  }

  /** {@code e^x}. */
  public Value exp(Value x) {
    return b.exp(x);
  }

  /** {@code ln x}. */
  public Value log(Value x) {
    return b.log(x);
  }

  /** {@code ln(1 + x)}. */
  public Value log1p(Value x) {
    return b.log1p(x);
  }

  /** {@code e^x - 1}. */
  public Value expm1(Value x) {
    return b.unary(UnaryFn.EXPM1, x);
  }

  /** Square root. */
  public Value sqrt(Value x) {
    return b.sqrt(x);
  }

  /** {@code x * x}. */
  public Value square(Value x) {
    return b.square(x);
  }

  /** Hyperbolic tangent. */
  public Value tanh(Value x) {
    return b.tanh(x);
  }

  /** Logistic sigmoid. */
  public Value sigmoid(Value x) {
    return b.sigmoid(x);
  }

  /** {@code max(x, 0)}, with gradient 0 at 0. */
  public Value relu(Value x) {
    return b.relu(x);
  }

  /** {@code log(1 + e^x)}, computed without overflow. */
  public Value softplus(Value x) {
    // max(x, 0) + log1p(exp(-|x|)) never overflows.
    return add(relu(x), log1p(exp(neg(abs(x)))));
  }

  /** Error function. */
  public Value erf(Value x) {
    return b.erf(x);
  }

  /** Floor. */
  public Value floor(Value x) {
    return b.unary(UnaryFn.FLOOR, x);
  }

  /** A comparison (bool result). */
  public Value compare(CompareFn fn, Value a, Value c) {
    return b.compare(fn, a, c);
  }

  /** {@code a > c} (bool). */
  public Value greater(Value a, double c) {
    return b.compare(CompareFn.GREATER, a, scalarLike(c, a));
  }

  /** {@code a == c} (bool). */
  public Value equal(Value a, Value c) {
    return b.compare(CompareFn.EQUAL, a, c);
  }

  /** {@code cond ? a : c} with broadcasting. */
  public Value where(Value cond, Value a, Value c) {
    return b.select(cond, a, c);
  }

  /** Converts to {@code dtype}. */
  public Value cast(Value x, DType dtype) {
    return b.cast(x, dtype);
  }

  /** Converts to float32. */
  public Value toFloat(Value x) {
    return b.cast(x, DType.FLOAT32);
  }

  // ---------------------------------------------------------------- reductions

  /** Sum over {@code axes}. */
  public Value sum(Value x, boolean keepDims, int... axes) {
    return b.reduce(ReduceFn.SUM, x, axes, keepDims);
  }

  /** Sum of every element (a scalar). */
  public Value sumAll(Value x) {
    return x.rank() == 0 ? x : b.reduce(ReduceFn.SUM, x, allAxes(x), false);
  }

  /** Mean over {@code axes}. */
  public Value mean(Value x, boolean keepDims, int... axes) {
    return b.reduce(ReduceFn.MEAN, x, axes, keepDims);
  }

  /** Mean of every element (a scalar). */
  public Value meanAll(Value x) {
    return x.rank() == 0 ? x : b.reduce(ReduceFn.MEAN, x, allAxes(x), false);
  }

  /** Max over {@code axes}. */
  public Value max(Value x, boolean keepDims, int... axes) {
    return b.reduce(ReduceFn.MAX, x, axes, keepDims);
  }

  /** Min over {@code axes}. */
  public Value min(Value x, boolean keepDims, int... axes) {
    return b.reduce(ReduceFn.MIN, x, axes, keepDims);
  }

  /** The index of the largest element along {@code axis}, int32. */
  public Value argmax(Value x, int axis) {
    return b.argReduce(ArgFn.ARGMAX, x, axis, false);
  }

  private static int[] allAxes(Value x) {
    int[] a = new int[x.rank()];
    for (int i = 0; i < a.length; i++) {
      a[i] = i;
    }
    return a;
  }

  // ---------------------------------------------------------------- linear algebra and shape

  /** Matrix product over the last two axes, batched over the leading ones. */
  public Value matmul(Value a, Value c) {
    return b.matmul(a, c);
  }

  /** Matrix product with optional transposes. */
  public Value matmul(Value a, Value c, boolean transposeA, boolean transposeC) {
    return b.matmul(a, c, transposeA, transposeC);
  }

  /** Another shape of the same size; one dimension may be -1 ({@link Shape#UNKNOWN}). */
  public Value reshape(Value x, int... dims) {
    return b.reshape(x, Shape.of(dims));
  }

  /** Reshapes the dims after the batch axis, keeping the batch axis as it is (known or not). */
  public Value reshapeBatch(Value x, int... dims) {
    int[] d = new int[dims.length + 1];
    d[0] = x.shape().dim(0);
    System.arraycopy(dims, 0, d, 1, dims.length);
    if (d[0] == Shape.UNKNOWN) {
      return b.emit1(new ShapeOp.Reshape(Shape.of(d)), x);
    }
    return b.reshape(x, Shape.of(d));
  }

  /** Permutes axes. */
  public Value transpose(Value x, int... perm) {
    return b.transpose(x, perm);
  }

  /** Concatenates along {@code axis}. */
  public Value concat(int axis, List<Value> xs) {
    return b.concat(axis, xs.toArray(Value[]::new));
  }

  /** Inserts an axis of size 1 at {@code axis}. */
  public Value expandDims(Value x, int axis) {
    int r = x.rank() + 1;
    int a = axis < 0 ? axis + r : axis;
    int[] d = new int[r];
    for (int i = 0, j = 0; i < r; i++) {
      d[i] = i == a ? 1 : x.shape().dim(j++);
    }
    return reshapeKeepingUnknown(x, d);
  }

  /** Removes axis {@code axis}, which must have size 1. */
  public Value squeeze(Value x, int axis) {
    int a = axis < 0 ? axis + x.rank() : axis;
    int[] d = new int[x.rank() - 1];
    for (int i = 0, j = 0; i < x.rank(); i++) {
      if (i != a) {
        d[j++] = x.shape().dim(i);
      }
    }
    return reshapeKeepingUnknown(x, d);
  }

  private Value reshapeKeepingUnknown(Value x, int[] d) {
    Shape s = Shape.of(d);
    if (s.equals(x.shape())) {
      return x;
    }
    return b.emit1(new ShapeOp.Reshape(s), x);
  }

  /** Broadcasts to a shape. */
  public Value broadcastTo(Value x, Shape shape) {
    return b.broadcastTo(x, shape);
  }

  /** Takes slices along {@code axis} at {@code indices}. */
  public Value gather(Value params, Value indices, int axis) {
    return b.gather(params, indices, axis);
  }

  /** One-hot float32 encoding of int indices on a new last axis. */
  public Value oneHot(Value indices, int depth) {
    return b.oneHot(indices, depth, DType.FLOAT32);
  }

  /** Softmax along {@code axis}. */
  public Value softmax(Value x, int axis) {
    return b.softmax(x, axis);
  }

  /** Log-softmax along {@code axis}. */
  public Value logSoftmax(Value x, int axis) {
    return b.logSoftmax(x, axis);
  }

  /** Log-sum-exp over {@code axes}. */
  public Value logSumExp(Value x, boolean keepDims, int... axes) {
    return b.logSumExp(x, axes, keepDims);
  }

  /** A float32 tensor of random bits: 1 with probability {@code p}, shaped like {@code like}. */
  public Value bernoulli(Value like, double p) {
    Value bits =
        b.randomBernoulli(nextSeed(), new TensorType(DType.BOOL, like.shape()), Math.min(1, p));
    return b.cast(bits, like.dtype());
  }

  /** The type of a value, for shape arithmetic in layers. */
  public static TensorType type(Value v) {
    return v.type();
  }
}
