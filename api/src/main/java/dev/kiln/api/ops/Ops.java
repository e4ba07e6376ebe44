package dev.kiln.api.ops;

import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Weight;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.autodiff.Autodiff;
import dev.kiln.spi.ir.ArgFn;
import dev.kiln.spi.ir.BinaryFn;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.ConvSpec;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.PoolFn;
import dev.kiln.spi.ir.PoolSpec;
import dev.kiln.spi.ir.ReduceFn;
import dev.kiln.spi.ir.ShapeOp;
import dev.kiln.spi.ir.UnaryFn;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ops a layer's {@code call} emits: every built-in layer, loss, metric and optimizer writes its
 * computation through this class, and so do custom layers. Each method adds nodes to the graph
 * being traced and returns the symbolic result; nothing runs until the graph is compiled.
 *
 * <p>Ops is the stateless vocabulary: the state of the trace (weight reads, assignments, masks,
 * added losses, random keys, the training flag) lives in its {@link TraceContext}, and the state
 * methods here ({@link #read}, {@link #assign}, {@link #mask}, ...) delegate to it. Layouts are
 * Keras's: channels last, kernels {@code (window..., in, out)}.
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
  private final GraphBuilder b;
  private final TraceContext ctx;

  /**
   * Ops that add to {@code builder}, with a new {@link TraceContext} of their own.
   *
   * @param training whether layers run in training mode (dropout active, batch statistics)
   * @param seed an int64 {@code (2,)} value keying random ops, or null where randomness is not
   *     allowed (shape inference)
   */
  public Ops(GraphBuilder builder, boolean training, Value seed) {
    this(builder, new TraceContext(builder, training, seed));
  }

  /**
   * Ops that add to {@code builder} and keep their state in {@code context}.
   *
   * @throws IllegalArgumentException if the context belongs to another builder
   */
  public Ops(GraphBuilder builder, TraceContext context) {
    if (context.graph() != builder) {
      throw new IllegalArgumentException("the trace context belongs to another graph builder");
    }
    this.b = builder;
    this.ctx = context;
  }

  /** The trace state these ops delegate to. */
  public TraceContext context() {
    return ctx;
  }

  // ---------------------------------------------------------------- state (the trace context's)

  /** True in a training trace; see {@link TraceContext#training()}. */
  public boolean training() {
    return ctx.training();
  }

  /** True when shapes are being inferred; see {@link TraceContext#symbolic()}. */
  public boolean symbolic() {
    return ctx.symbolic();
  }

  /** The current value of a weight; see {@link TraceContext#read(Weight)}. */
  public Value read(Weight w) {
    return ctx.read(w);
  }

  /** Sets a weight's value after the step; see {@link TraceContext#assign(Weight, Value)}. */
  public void assign(Weight w, Value v) {
    ctx.assign(w, v);
  }

  /** The weight updates this trace has asked for; see {@link TraceContext#assignments()}. */
  public Map<Weight, Value> assignments() {
    return ctx.assignments();
  }

  /** Adds a scalar to the training loss; see {@link TraceContext#addLoss(Value)}. */
  public void addLoss(Value scalar) {
    ctx.addLoss(scalar);
  }

  /** The losses added by {@link #addLoss}; see {@link TraceContext#addedLosses()}. */
  public List<Value> addedLosses() {
    return ctx.addedLosses();
  }

  /** The mask carried with {@code x}, or null; see {@link TraceContext#mask(Value)}. */
  public Value mask(Value x) {
    return ctx.mask(x);
  }

  /** Attaches a mask to {@code x}; null removes it. */
  public void setMask(Value x, Value mask) {
    ctx.setMask(x, mask);
  }

  /** A fresh key for one random op; see {@link TraceContext#nextSeed()}. */
  public Value nextSeed() {
    return ctx.nextSeed();
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

  /**
   * A tensor of {@code type} filled with {@code value}, such as a recurrent layer's initial state;
   * an unknown batch axis stays unknown in a symbolic trace.
   */
  public Value fill(double value, TensorType type) {
    return b.fill(value, type);
  }

  /** Zeros of {@code type}; see {@link #fill}. */
  public Value zeros(TensorType type) {
    return b.fill(0, type);
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

  /** Ceiling. */
  public Value ceil(Value x) {
    return b.unary(UnaryFn.CEIL, x);
  }

  /** Rounds to the nearest integer, halves to even (as numpy and Keras). */
  public Value round(Value x) {
    return b.unary(UnaryFn.ROUND, x);
  }

  /** {@code 1 / sqrt(x)}. */
  public Value rsqrt(Value x) {
    return b.rsqrt(x);
  }

  /** {@code 1 / x}. */
  public Value reciprocal(Value x) {
    return b.unary(UnaryFn.RECIPROCAL, x);
  }

  /** Sine. */
  public Value sin(Value x) {
    return b.unary(UnaryFn.SIN, x);
  }

  /** Cosine. */
  public Value cos(Value x) {
    return b.unary(UnaryFn.COS, x);
  }

  /** Remainder with the sign of the divisor, as Python's {@code %}. */
  public Value mod(Value a, Value c) {
    return b.binary(BinaryFn.MOD, a, c);
  }

  /**
   * The Gaussian error linear unit {@code x * Phi(x)}; with {@code approximate} its tanh form, as
   * Keras's {@code gelu(x, approximate=True)}.
   */
  public Value gelu(Value x, boolean approximate) {
    return b.gelu(x, approximate);
  }

  /** {@code x * sigmoid(x)} (SiLU, swish). */
  public Value silu(Value x) {
    return b.silu(x);
  }

  // ---------------------------------------------------------------- logic

  /** Elementwise {@code a && c} of bool values. */
  public Value logicalAnd(Value a, Value c) {
    return b.binary(BinaryFn.LOGICAL_AND, a, c);
  }

  /** Elementwise {@code a || c} of bool values. */
  public Value logicalOr(Value a, Value c) {
    return b.binary(BinaryFn.LOGICAL_OR, a, c);
  }

  /** Elementwise {@code a != c} of bool values. */
  public Value logicalXor(Value a, Value c) {
    return b.binary(BinaryFn.LOGICAL_XOR, a, c);
  }

  /** Elementwise {@code !x} of a bool value. */
  public Value logicalNot(Value x) {
    return b.unary(UnaryFn.LOGICAL_NOT, x);
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

  /** {@code a != c} (bool). */
  public Value notEqual(Value a, Value c) {
    return b.compare(CompareFn.NOT_EQUAL, a, c);
  }

  /** {@code a > c} (bool). */
  public Value greater(Value a, Value c) {
    return b.compare(CompareFn.GREATER, a, c);
  }

  /** {@code a >= c} (bool). */
  public Value greaterEqual(Value a, Value c) {
    return b.compare(CompareFn.GREATER_EQUAL, a, c);
  }

  /** {@code a < c} (bool). */
  public Value less(Value a, Value c) {
    return b.compare(CompareFn.LESS, a, c);
  }

  /** {@code a < c} (bool). */
  public Value less(Value a, double c) {
    return b.compare(CompareFn.LESS, a, scalarLike(c, a));
  }

  /** {@code a <= c} (bool). */
  public Value lessEqual(Value a, Value c) {
    return b.compare(CompareFn.LESS_EQUAL, a, c);
  }

  /** {@code cond ? a : c} with broadcasting. */
  public Value where(Value cond, Value a, Value c) {
    return b.select(cond, a, c);
  }

  /** Converts to {@code dtype}. */
  public Value cast(Value x, DType dtype) {
    return b.cast(x, dtype);
  }

  /**
   * {@code x} cast to float32 when it is float16 or bfloat16, else {@code x} itself: how losses,
   * metrics and the training loss take a mixed precision model's 16-bit outputs, as Keras computes
   * them in float32.
   */
  public Value widenHalf(Value x) {
    return x.dtype() == DType.FLOAT16 || x.dtype() == DType.BFLOAT16 ? b.cast(x, DType.FLOAT32) : x;
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
    return reshapeAny(x, d);
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
    return reshapeAny(x, d);
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

  /**
   * Softmax cross-entropy per example: {@code -sum(labels * logSoftmax(logits))} along {@code
   * axis}, computed stably; {@code labels} are probabilities shaped like {@code logits}.
   */
  public Value softmaxCrossEntropy(Value logits, Value labels, int axis) {
    return b.softmaxCrossEntropy(logits, labels, axis);
  }

  /**
   * Elementwise sigmoid cross-entropy {@code -(t log sigmoid(z) + (1 - t) log(1 - sigmoid(z)))} of
   * labels {@code t} against logits {@code z}, computed stably.
   */
  public Value sigmoidCrossEntropy(Value logits, Value labels) {
    return b.sigmoidCrossEntropy(logits, labels);
  }

  /** A float32 tensor of random bits: 1 with probability {@code p}, shaped like {@code like}. */
  public Value bernoulli(Value like, double p) {
    Value bits =
        b.randomBernoulli(nextSeed(), new TensorType(DType.BOOL, like.shape()), Math.min(1, p));
    return b.cast(bits, like.dtype());
  }

  /** Uniform random numbers in {@code [low, high)} of {@code type}, from a fresh key. */
  public Value randomUniform(TensorType type, double low, double high) {
    return b.randomUniform(nextSeed(), type, low, high);
  }

  /** Normal random numbers of {@code type}, from a fresh key. */
  public Value randomNormal(TensorType type, double mean, double stddev) {
    return b.randomNormal(nextSeed(), type, mean, stddev);
  }

  /** Joins along {@code axis}. */
  public Value concat(int axis, Value... xs) {
    return b.concat(axis, xs);
  }

  /**
   * Stacks values of one shape on a new axis: {@code axis} counts in the result, so {@code 0} puts
   * the stacked axis first and {@code -1} last.
   *
   * @throws IllegalArgumentException if {@code xs} is empty or the shapes differ
   */
  public Value stack(List<Value> xs, int axis) {
    if (xs.isEmpty()) {
      throw new IllegalArgumentException("stack needs at least one value");
    }
    int a = axisOf(axis, xs.get(0).rank() + 1, "stack", xs.get(0).shape());
    Value[] parts = new Value[xs.size()];
    for (int i = 0; i < parts.length; i++) {
      parts[i] = expandDims(xs.get(i), a);
    }
    return parts.length == 1 ? parts[0] : b.concat(a, parts);
  }

  /**
   * The slices of {@code x} along {@code axis}, each without that axis: the inverse of {@link
   * #stack}.
   *
   * @throws IllegalArgumentException if the axis has no known size
   */
  public List<Value> unstack(Value x, int axis) {
    int a = axisOf(axis, x.rank(), "unstack", x.shape());
    int n = knownDim(x, a, "unstack");
    List<Value> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(squeeze(sliceAxis(x, a, i, 1), a));
    }
    return out;
  }

  /**
   * Splits {@code x} into {@code sections} equal parts along {@code axis}, as Keras's {@code
   * split(x, sections, axis)}: an LSTM's four gates from one matmul.
   *
   * @throws IllegalArgumentException if the axis size is unknown or not divisible by {@code
   *     sections}
   */
  public List<Value> split(Value x, int sections, int axis) {
    int a = axisOf(axis, x.rank(), "split", x.shape());
    int n = knownDim(x, a, "split");
    if (sections < 1 || n % sections != 0) {
      throw new IllegalArgumentException(
          "split: axis "
              + axis
              + " of shape "
              + x.shape()
              + " cannot be split into "
              + sections
              + " equal sections");
    }
    int[] sizes = new int[sections];
    java.util.Arrays.fill(sizes, n / sections);
    return split(x, sizes, a);
  }

  /**
   * Splits {@code x} into consecutive parts of the given sizes along {@code axis}.
   *
   * @throws IllegalArgumentException if the sizes do not add up to the axis size
   */
  public List<Value> split(Value x, int[] sizes, int axis) {
    int a = axisOf(axis, x.rank(), "split", x.shape());
    int n = knownDim(x, a, "split");
    int total = 0;
    for (int s : sizes) {
      if (s < 0) {
        throw new IllegalArgumentException(
            "split: sizes must be >= 0; received sizes=" + java.util.Arrays.toString(sizes));
      }
      total += s;
    }
    if (total != n) {
      throw new IllegalArgumentException(
          "split: sizes "
              + java.util.Arrays.toString(sizes)
              + " add up to "
              + total
              + " but axis "
              + axis
              + " of shape "
              + x.shape()
              + " has "
              + n);
    }
    List<Value> out = new ArrayList<>(sizes.length);
    int start = 0;
    for (int s : sizes) {
      out.add(sliceAxis(x, a, start, s));
      start += s;
    }
    return out;
  }

  /**
   * The block {@code x[begin : begin + size]} on every axis, as Keras's {@code slice}; a size of -1
   * takes the rest of the axis. An axis of unknown size (the batch axis of a symbolic trace) can
   * only be taken whole.
   *
   * @throws IllegalArgumentException if the block is outside {@code x}
   */
  public Value slice(Value x, int[] begin, int[] size) {
    int r = x.rank();
    if (begin.length != r || size.length != r) {
      throw new IllegalArgumentException(
          "slice: begin "
              + java.util.Arrays.toString(begin)
              + " and size "
              + java.util.Arrays.toString(size)
              + " need one value per axis of shape "
              + x.shape());
    }
    int[] sz = new int[r];
    boolean whole = true;
    for (int i = 0; i < r; i++) {
      int d = x.shape().dim(i);
      if (size[i] == -1) {
        if (d == Shape.UNKNOWN && begin[i] != 0) {
          throw new IllegalArgumentException(
              "slice: axis " + i + " of shape " + x.shape() + " has unknown size; take it whole");
        }
        sz[i] = d == Shape.UNKNOWN ? Shape.UNKNOWN : d - begin[i];
      } else {
        sz[i] = size[i];
      }
      boolean unknownWhole = d == Shape.UNKNOWN && sz[i] == Shape.UNKNOWN;
      if (!unknownWhole
          && (begin[i] < 0 || sz[i] < 0 || (d != Shape.UNKNOWN && begin[i] + sz[i] > d))) {
        throw new IllegalArgumentException(
            "slice: begin "
                + java.util.Arrays.toString(begin)
                + " with size "
                + java.util.Arrays.toString(size)
                + " is outside shape "
                + x.shape()
                + " on axis "
                + i);
      }
      whole &= unknownWhole || (begin[i] == 0 && sz[i] == d);
    }
    if (whole) {
      return x;
    }
    if (x.shape().isFullyKnown()) {
      return b.slice(x, begin, sz);
    }
    // The IR's slice needs known sizes; a shape with an unknown axis only comes from a symbolic
    // trace, which never runs, so a gather per cut axis gives the same shape.
    Value y = x;
    for (int i = 0; i < r; i++) {
      int d = x.shape().dim(i);
      if (sz[i] != Shape.UNKNOWN && !(begin[i] == 0 && sz[i] == d)) {
        int[] idx = new int[sz[i]];
        for (int k = 0; k < idx.length; k++) {
          idx[k] = begin[i] + k;
        }
        y = b.gather(y, indexConstant(idx), i);
      }
    }
    return y;
  }

  /**
   * {@code x[start : start + size]} along one axis, the other axes whole; a size of -1 takes the
   * rest of the axis.
   */
  public Value sliceAxis(Value x, int axis, int start, int size) {
    int a = axisOf(axis, x.rank(), "slice", x.shape());
    int[] begin = new int[x.rank()];
    int[] sz = new int[x.rank()];
    java.util.Arrays.fill(sz, -1);
    begin[a] = start;
    sz[a] = size;
    return slice(x, begin, sz);
  }

  /**
   * {@code x[begin:end:stride]} on every axis with explicit non-negative indices (the IR's {@code
   * strided_slice}): an end of {@link Integer#MAX_VALUE} runs to the end of the axis; a negative
   * stride walks backward from {@code begin} down to, not including, {@code end} (-1 to include
   * index 0). An axis of unknown size must be taken whole ({@code 0, MAX_VALUE, 1}).
   *
   * @throws IllegalArgumentException if an index or stride does not fit its axis
   */
  public Value stridedSlice(Value x, int[] begin, int[] end, int[] strides) {
    int r = x.rank();
    if (begin.length != r || end.length != r || strides.length != r) {
      throw new IllegalArgumentException(
          "strided_slice: begin, end and strides need one value per axis of shape " + x.shape());
    }
    int[] e = end.clone();
    for (int i = 0; i < r; i++) {
      int d = x.shape().dim(i);
      if (d == Shape.UNKNOWN) {
        if (begin[i] != 0 || end[i] != Integer.MAX_VALUE || strides[i] != 1) {
          throw new IllegalArgumentException(
              "strided_slice: axis "
                  + i
                  + " of shape "
                  + x.shape()
                  + " has unknown size; take it whole");
        }
      } else if (e[i] == Integer.MAX_VALUE && strides[i] > 0) {
        e[i] = d;
      }
    }
    if (x.shape().isFullyKnown()) {
      return b.stridedSlice(x, begin, e, strides);
    }
    // As in slice: only symbolic traces get here, and gathers give the same shape.
    Value y = x;
    for (int i = 0; i < r; i++) {
      int d = x.shape().dim(i);
      if (d == Shape.UNKNOWN) {
        continue;
      }
      Value probe =
          b.stridedSlice(
              b.iota(TensorType.of(DType.INT32, d), 0),
              new int[] {begin[i]},
              new int[] {e[i]},
              new int[] {strides[i]});
      y = b.gather(y, probe, i);
    }
    return y;
  }

  /** {@code x} with the order of {@code axis} reversed. */
  public Value reverse(Value x, int axis) {
    int a = axisOf(axis, x.rank(), "reverse", x.shape());
    int n = knownDim(x, a, "reverse");
    int r = x.rank();
    int[] begin = new int[r];
    int[] end = new int[r];
    int[] st = new int[r];
    java.util.Arrays.fill(end, Integer.MAX_VALUE);
    java.util.Arrays.fill(st, 1);
    begin[a] = n - 1;
    end[a] = -1;
    st[a] = -1;
    return stridedSlice(x, begin, end, st);
  }

  /**
   * Repeats each element {@code repeats} times along {@code axis}, as numpy's {@code repeat}:
   * {@code [a, b]} becomes {@code [a, a, b, b]} (UpSampling layers).
   */
  public Value repeat(Value x, int repeats, int axis) {
    int a = axisOf(axis, x.rank(), "repeat", x.shape());
    if (repeats < 1) {
      throw new IllegalArgumentException("repeat: repeats must be >= 1; received " + repeats);
    }
    if (repeats == 1) {
      return x;
    }
    int[] d = x.shape().dims();
    int[] expanded = new int[d.length + 1];
    int[] wide = new int[d.length + 1];
    for (int i = 0, j = 0; i < expanded.length; i++) {
      if (i == a + 1) {
        expanded[i] = 1;
        wide[i] = repeats;
      } else {
        expanded[i] = d[j];
        wide[i] = d[j++];
      }
    }
    Value spread = b.broadcastTo(reshapeAny(x, expanded), Shape.of(wide));
    d[a] = d[a] == Shape.UNKNOWN ? Shape.UNKNOWN : d[a] * repeats;
    return reshapeAny(spread, d);
  }

  /**
   * {@code x} repeated {@code multiples[i]} times along each axis, as numpy's {@code tile}: {@code
   * [a, b]} tiled twice is {@code [a, b, a, b]}.
   */
  public Value tile(Value x, int... multiples) {
    int r = x.rank();
    if (multiples.length != r) {
      throw new IllegalArgumentException(
          "tile: multiples "
              + java.util.Arrays.toString(multiples)
              + " need one value per axis of shape "
              + x.shape());
    }
    int[] d = x.shape().dims();
    int[] expanded = new int[2 * r];
    int[] wide = new int[2 * r];
    int[] out = new int[r];
    boolean same = true;
    for (int i = 0; i < r; i++) {
      if (multiples[i] < 1) {
        throw new IllegalArgumentException(
            "tile: multiples must be >= 1; received " + java.util.Arrays.toString(multiples));
      }
      same &= multiples[i] == 1;
      expanded[2 * i] = 1;
      expanded[2 * i + 1] = d[i];
      wide[2 * i] = multiples[i];
      wide[2 * i + 1] = d[i];
      out[i] = d[i] == Shape.UNKNOWN ? Shape.UNKNOWN : d[i] * multiples[i];
    }
    if (same) {
      return x;
    }
    return reshapeAny(b.broadcastTo(reshapeAny(x, expanded), Shape.of(wide)), out);
  }

  /**
   * Pads every axis with {@code paddings[i] = {before, after}} copies of {@code value}, as Keras's
   * {@code pad(x, pad_width, constant_values=value)}.
   */
  public Value pad(Value x, int[][] paddings, double value) {
    if (paddings.length != x.rank()) {
      throw new IllegalArgumentException(
          "pad: paddings need one {before, after} pair per axis of shape "
              + x.shape()
              + "; received "
              + paddings.length);
    }
    int[] low = new int[paddings.length];
    int[] high = new int[paddings.length];
    boolean none = true;
    for (int i = 0; i < paddings.length; i++) {
      if (paddings[i].length != 2) {
        throw new IllegalArgumentException(
            "pad: axis " + i + " needs a {before, after} pair; received " + paddings[i].length);
      }
      low[i] = paddings[i][0];
      high[i] = paddings[i][1];
      none &= low[i] == 0 && high[i] == 0;
    }
    return none ? x : b.pad(x, low, high, value);
  }

  /** Pads every axis with zeros; see {@link #pad(Value, int[][], double)}. */
  public Value pad(Value x, int[][] paddings) {
    return pad(x, paddings, 0);
  }

  /**
   * {@code target} with {@code updates} added at {@code indices} along {@code axis}: the adjoint of
   * {@link #gather}; repeated indices accumulate.
   */
  public Value scatterAdd(Value target, Value indices, Value updates, int axis) {
    return b.scatterAdd(target, indices, updates, axis);
  }

  // ---------------------------------------------------------------- convolution and pooling

  /**
   * N-D convolution (cross-correlation, as Keras) of channels-last {@code x} {@code (batch,
   * spatial..., in)} with {@code kernel} {@code (window..., in / groups, out)}, Keras's layout; the
   * result is {@code (batch, spatial'..., out)}. With {@code groups > 1} the input channels split
   * into groups, each convolved with its own slice of {@code out / groups} filters.
   *
   * {@snippet :
   * // Conv2D(filters=8, kernel_size=3, strides=2, padding="same")
   * Value y = ops.conv(x, ops.read(kernel), new int[] {2, 2}, Padding.SAME, null, 1);
   * }
   *
   * @param strides per spatial axis, or one value for all, or null for 1
   * @param padding {@link Padding#VALID}, {@link Padding#SAME} (TensorFlow's: the odd pixel after)
   *     or explicit pairs
   * @param dilations per spatial axis, or one value for all, or null for 1
   * @throws IllegalArgumentException if the shapes do not fit, naming both
   */
  public Value conv(
      Value x, Value kernel, int[] strides, Padding padding, int[] dilations, int groups) {
    int r = spatialRank(x, "conv");
    return b.conv(
        x,
        kernel,
        new ConvSpec(
            perAxis(strides, r, "conv", "strides"),
            padding,
            perAxis(dilations, r, "conv", "dilations"),
            groups));
  }

  /** {@link #conv(Value, Value, int[], Padding, int[], int)} without dilation, in one group. */
  public Value conv(Value x, Value kernel, int[] strides, Padding padding) {
    return conv(x, kernel, strides, padding, null, 1);
  }

  /**
   * Depthwise convolution, as Keras's {@code DepthwiseConv2D}: each input channel is convolved with
   * its own {@code multiplier} filters. {@code kernel} is {@code (window..., in, multiplier)};
   * output channel {@code c * multiplier + m} comes from input channel {@code c}.
   *
   * @throws IllegalArgumentException if the kernel's input channels differ from {@code x}'s
   */
  public Value depthwiseConv(
      Value x, Value kernel, int[] strides, Padding padding, int[] dilations) {
    int r = spatialRank(x, "depthwise_conv");
    int cin = x.shape().dim(-1);
    if (kernel.rank() != r + 2 || cin == Shape.UNKNOWN || kernel.shape().dim(-2) != cin) {
      throw new IllegalArgumentException(
          "depthwise_conv: kernel "
              + kernel.shape()
              + " must be (window..., in_channels, multiplier) for input "
              + x.shape());
    }
    int[] k = kernel.shape().dims();
    k[r + 1] = cin * k[r + 1];
    k[r] = 1;
    // (window, in, mult) and (window, 1, in * mult) are the same bytes: filter c*mult + m of the
    // grouped conv is multiplier m of channel c, as Keras orders the outputs.
    return conv(x, b.reshape(kernel, Shape.of(k)), strides, padding, dilations, cin);
  }

  /**
   * Transposed convolution, as Keras's {@code Conv2DTranspose}: the gradient of a convolution with
   * respect to its input, which upsamples by the strides. {@code x} is {@code (batch, spatial...,
   * in)} and {@code kernel} {@code (window..., filters, in)}, Keras's layout; the result is {@code
   * (batch, spatial'..., filters)} with Keras's output size: {@code in * stride + max(window -
   * stride, 0)} for valid padding, {@code in * stride} for same, or with {@code outputPadding}
   * {@code (in - 1) * stride + window - 2 * (window / 2 if same else 0) + outputPadding} (window
   * dilated).
   *
   * @param outputPadding extra size on the high side per spatial axis, or null
   * @throws IllegalArgumentException if a spatial size of {@code x} is unknown or the shapes do not
   *     fit
   */
  public Value convTranspose(
      Value x, Value kernel, int[] strides, Padding padding, int[] dilations, int[] outputPadding) {
    int r = spatialRank(x, "conv_transpose");
    int[] st = perAxis(strides, r, "conv_transpose", "strides");
    int[] dl = perAxis(dilations, r, "conv_transpose", "dilations");
    int[] op = outputPadding == null ? null : perAxis(outputPadding, r, "conv_transpose", "pad");
    if (kernel.rank() != r + 2 || kernel.shape().dim(-1) != x.shape().dim(-1)) {
      throw new IllegalArgumentException(
          "conv_transpose: kernel "
              + kernel.shape()
              + " must be (window..., filters, in_channels) for input "
              + x.shape());
    }
    int[] out = new int[r + 2];
    out[0] = x.shape().dim(0);
    out[r + 1] = kernel.shape().dim(-2);
    for (int i = 0; i < r; i++) {
      int in = x.shape().dim(i + 1);
      if (in == Shape.UNKNOWN) {
        throw new IllegalArgumentException(
            "conv_transpose: spatial axis " + i + " of input " + x.shape() + " is unknown");
      }
      int eff = (kernel.shape().dim(i) - 1) * dl[i] + 1;
      int padTotal =
          switch (padding.mode()) {
            case VALID -> 0;
            case SAME -> 2 * (eff / 2);
            case EXPLICIT -> padding.low()[i] + padding.high()[i];
          };
      if (op != null) {
        out[i + 1] = (in - 1) * st[i] + eff - padTotal + op[i];
      } else if (padding.mode() == Padding.Mode.VALID) {
        out[i + 1] = in * st[i] + Math.max(eff - st[i], 0);
      } else if (padding.mode() == Padding.Mode.SAME) {
        out[i + 1] = in * st[i];
      } else {
        out[i + 1] = (in - 1) * st[i] + eff - padTotal;
      }
    }
    return b.convBackpropInput(x, kernel, new ConvSpec(st, padding, dl, 1), Shape.of(out));
  }

  /**
   * Max pooling of channels-last {@code x} {@code (batch, spatial..., channels)}.
   *
   * @param window the pool size per spatial axis, or one value for all
   * @param strides per spatial axis, one value for all, or null for the window (Keras's default)
   */
  public Value maxPool(Value x, int[] window, int[] strides, Padding padding) {
    return pool(PoolFn.MAX, x, window, strides, padding);
  }

  /**
   * Average pooling of channels-last {@code x}; with same padding, each window averages only the
   * positions inside the input (as Keras).
   *
   * @see #maxPool
   */
  public Value avgPool(Value x, int[] window, int[] strides, Padding padding) {
    return pool(PoolFn.AVG, x, window, strides, padding);
  }

  private Value pool(PoolFn fn, Value x, int[] window, int[] strides, Padding padding) {
    String name = fn == PoolFn.MAX ? "max_pool" : "avg_pool";
    int r = spatialRank(x, name);
    int[] w = perAxis(window, r, name, "pool_size");
    int[] s = strides == null ? w : perAxis(strides, r, name, "strides");
    return b.pool(fn, x, new PoolSpec(w, s, padding));
  }

  // ---------------------------------------------------------------- normalization

  /**
   * Batch normalization with the batch's statistics, as in a training step: normalizes over every
   * axis but {@code axis} and returns the output and the batch mean and (biased) variance, shaped
   * {@code (C,)}, for the moving averages. A null {@code gamma} scales by 1, a null {@code beta}
   * shifts by 0 (Keras's {@code scale=False}, {@code center=False}).
   */
  public BatchNormResult batchNormTraining(
      Value x, Value gamma, Value beta, int axis, double epsilon) {
    Shape c = channelShape(x, axis, "batch_norm");
    List<Value> r =
        b.batchNormTraining(x, orFill(gamma, 1, x, c), orFill(beta, 0, x, c), axis, epsilon);
    return new BatchNormResult(r.get(0), r.get(1), r.get(2));
  }

  /**
   * Batch normalization with given statistics, as in inference: {@code (x - mean) / sqrt(variance +
   * epsilon) * gamma + beta} per channel of {@code axis}; null {@code gamma} or {@code beta} as in
   * {@link #batchNormTraining}.
   */
  public Value batchNormInference(
      Value x, Value mean, Value variance, Value gamma, Value beta, int axis, double epsilon) {
    Shape c = channelShape(x, axis, "batch_norm");
    return b.batchNormInference(
        x, mean, variance, orFill(gamma, 1, x, c), orFill(beta, 0, x, c), axis, epsilon);
  }

  /**
   * Layer normalization over {@code axes} (biased variance), as Keras's {@code LayerNormalization}:
   * {@code gamma} and {@code beta} have the sizes of {@code x} on {@code axes}; null ones scale by
   * 1 and shift by 0.
   */
  public Value layerNorm(Value x, Value gamma, Value beta, int[] axes, double epsilon) {
    int[] p = new int[axes.length];
    for (int i = 0; i < axes.length; i++) {
      p[i] = knownDim(x, axisOf(axes[i], x.rank(), "layer_norm", x.shape()), "layer_norm");
    }
    Shape ps = Shape.of(p);
    return b.layerNorm(x, orFill(gamma, 1, x, ps), orFill(beta, 0, x, ps), axes, epsilon);
  }

  /** The result of {@link #batchNormTraining}: the output and the batch statistics. */
  public record BatchNormResult(Value output, Value mean, Value variance) {}

  private Value orFill(Value v, double fill, Value like, Shape shape) {
    return v != null ? v : b.fill(fill, new TensorType(like.dtype(), shape));
  }

  private static Shape channelShape(Value x, int axis, String op) {
    int a = axisOf(axis, x.rank(), op, x.shape());
    return Shape.of(knownDim(x, a, op));
  }

  // ---------------------------------------------------------------- optimizers and gradients

  /**
   * One Adam step for weight {@code w}, in one op a backend may run in one pass: returns {@code
   * (w', m', v')}; see {@link CompositeOp.AdamUpdate}.
   *
   * @param alpha the step size, a scalar of {@code w}'s dtype: the learning rate with the bias
   *     correction folded in
   */
  public List<Value> adamUpdate(
      Value w, Value g, Value m, Value v, Value alpha, double beta1, double beta2, double epsilon) {
    return b.adamUpdate(w, g, m, v, alpha, beta1, beta2, epsilon);
  }

  /**
   * The gradients of scalar {@code loss} with respect to each of {@code wrt} (values of this trace,
   * such as {@code read(weight)}), by reverse-mode autodiff on the graph: zeros where the loss does
   * not depend on one.
   *
   * @throws IllegalArgumentException if the loss is not a floating-point scalar
   */
  public List<Value> gradients(Value loss, List<Value> wrt) {
    return Autodiff.gradients(b, loss, wrt);
  }

  // ---------------------------------------------------------------- control flow

  /**
   * One step of a {@link #scan}: given ops bound to the body's graph, the carries entering the step
   * and one slice of each sequence, returns the carries leaving it and the step's outputs.
   */
  @FunctionalInterface
  public interface ScanBody {
    /**
     * Traces one step.
     *
     * @param ops ops that add to the body graph; {@code ops.read(weight)} works as outside
     * @param carries the carries entering the step, typed as the initial carries
     * @param slices each sequence at the current step, without the leading axis
     */
    ScanStep step(Ops ops, List<Value> carries, List<Value> slices);
  }

  /**
   * What a {@link ScanBody} returns.
   *
   * @param carries the carries leaving the step, typed exactly as they entered
   * @param outputs per-step outputs, stacked by the scan on a new leading axis
   */
  public record ScanStep(List<Value> carries, List<Value> outputs) {
    /** Copies the lists. */
    public ScanStep {
      carries = List.copyOf(carries);
      outputs = List.copyOf(outputs);
    }
  }

  /**
   * What a {@link #scan} returns.
   *
   * @param carries the final carries
   * @param outputs each per-step output stacked on a new leading axis of the scan's length
   */
  public record ScanResult(List<Value> carries, List<Value> outputs) {
    /** Copies the lists. */
    public ScanResult {
      carries = List.copyOf(carries);
      outputs = List.copyOf(outputs);
    }
  }

  /**
   * A loop over the leading axis of {@code sequences}, as {@code jax.lax.scan} (recurrent layers).
   * {@code body} is traced once into a graph of its own: it gets ops bound to that graph, the
   * carries and one slice of each sequence, and returns the new carries and per-step outputs.
   * Inside the body {@code ops.read(weight)} gives the weight's value, captured from this trace as
   * a loop-invariant operand, so autodiff gives the weight a gradient through the loop; other
   * values of this trace enter with {@code ops.context().capture(value)}.
   *
   * {@snippet :
   * // h_t = tanh(x_t W + h_{t-1} U), x time-major (T, batch, in)
   * ScanResult r =
   *     ops.scan(List.of(h0), List.of(x), false, (o, h, xt) -> {
   *       Value next = o.tanh(o.add(o.matmul(xt.get(0), o.read(w)), o.matmul(h.get(0), o.read(u))));
   *       return new ScanStep(List.of(next), List.of(next));
   *     });
   * Value last = r.carries().get(0); // (batch, units)
   * Value all = r.outputs().get(0); // (T, batch, units)
   * }
   *
   * @param reverse whether to run from the last step to the first (outputs stay at their step's
   *     index)
   * @throws IllegalArgumentException if {@code sequences} is empty, the sequences' leading axes
   *     differ, or the body returns carries of other types
   */
  public ScanResult scan(
      List<Value> carries, List<Value> sequences, boolean reverse, ScanBody body) {
    if (sequences.isEmpty()) {
      throw new IllegalArgumentException(
          "scan needs at least one sequence; give the length with scan(length, ...) otherwise");
    }
    Value first = sequences.get(0);
    if (first.rank() == 0 || first.shape().dim(0) == Shape.UNKNOWN) {
      throw new IllegalArgumentException(
          "scan: sequence 0 " + first.type() + " needs a leading axis of known length");
    }
    return scan(first.shape().dim(0), carries, sequences, reverse, body);
  }

  /** {@link #scan(List, List, boolean, ScanBody)} with an explicit number of steps. */
  public ScanResult scan(
      int length, List<Value> carries, List<Value> sequences, boolean reverse, ScanBody body) {
    GraphBuilder bb = new GraphBuilder();
    TraceContext bodyContext = ctx.scanBody(bb);
    List<Value> carryIn = new ArrayList<>();
    for (Value c : carries) {
      carryIn.add(bb.input(c.type()));
    }
    List<Value> sliceIn = new ArrayList<>();
    for (int i = 0; i < sequences.size(); i++) {
      Value s = sequences.get(i);
      if (s.rank() == 0 || s.shape().dim(0) != length) {
        throw new IllegalArgumentException(
            "scan: sequence " + i + " " + s.type() + " must have leading axis " + length);
      }
      int[] d = s.shape().dims();
      sliceIn.add(
          bb.input(
              new TensorType(s.dtype(), Shape.of(java.util.Arrays.copyOfRange(d, 1, d.length)))));
    }
    ScanStep step = body.step(new Ops(bb, bodyContext), List.copyOf(carryIn), List.copyOf(sliceIn));
    if (step == null || step.carries().size() != carries.size()) {
      throw new IllegalArgumentException(
          "scan: the body must return "
              + carries.size()
              + " carries; it returned "
              + (step == null ? "null" : step.carries().size()));
    }
    java.util.Set<Value> bodyValues = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    for (var n : bb.nodes()) {
      bodyValues.addAll(n.outputs());
    }
    List<Value> outs = new ArrayList<>(step.carries());
    outs.addAll(step.outputs());
    for (int i = 0; i < outs.size(); i++) {
      Value v = outs.get(i);
      String what = i < carries.size() ? "carry " + i : "per-step output " + (i - carries.size());
      if (!bodyValues.contains(v)) {
        throw new IllegalArgumentException(
            "scan: the body's "
                + what
                + " is not a value of the body graph; bring an enclosing value in with"
                + " ops.context().capture(value)");
      }
      if (i < carries.size() && !v.type().equals(carries.get(i).type())) {
        throw new IllegalArgumentException(
            "scan: the body returns "
                + what
                + " as "
                + v.type()
                + " but it enters as "
                + carries.get(i).type());
      }
    }
    Graph g = bb.output(outs.toArray(Value[]::new)).build();
    List<Value> r = b.scan(g, carries, sequences, bodyContext.capturedOperands(), reverse, length);
    int k = carries.size();
    return new ScanResult(r.subList(0, k), r.subList(k, r.size()));
  }

  // ---------------------------------------------------------------- helpers

  private static int axisOf(int axis, int rank, String op, Shape shape) {
    int a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) {
      throw new IllegalArgumentException(
          op + ": axis " + axis + " is out of range for shape " + shape + " (rank " + rank + ")");
    }
    return a;
  }

  private static int knownDim(Value x, int axis, String op) {
    int n = x.shape().dim(axis);
    if (n == Shape.UNKNOWN) {
      throw new IllegalArgumentException(
          op + ": axis " + axis + " of shape " + x.shape() + " must have a known size");
    }
    return n;
  }

  private static int spatialRank(Value x, String op) {
    if (x.rank() < 3) {
      throw new IllegalArgumentException(
          op + " expects input of shape (batch, spatial..., channels); received " + x.shape());
    }
    return x.rank() - 2;
  }

  private static int[] perAxis(int[] v, int rank, String op, String what) {
    int[] out = new int[rank];
    if (v == null) {
      java.util.Arrays.fill(out, 1);
    } else if (v.length == 1) {
      java.util.Arrays.fill(out, v[0]);
    } else if (v.length == rank) {
      System.arraycopy(v, 0, out, 0, rank);
    } else {
      throw new IllegalArgumentException(
          op
              + ": "
              + what
              + " needs 1 or "
              + rank
              + " values; received "
              + what
              + "="
              + java.util.Arrays.toString(v));
    }
    return out;
  }

  private Value indexConstant(int[] idx) {
    return b.constant(HostTensor.of(Shape.of(idx.length), idx));
  }

  /** Reshapes, keeping unknown dims as they are (symbolic traces). */
  private Value reshapeAny(Value x, int[] d) {
    Shape s = Shape.of(d);
    if (s.equals(x.shape())) {
      return x;
    }
    return x.shape().isFullyKnown() ? b.reshape(x, s) : b.emit1(new ShapeOp.Reshape(s), x);
  }

  /** The type of a value, for shape arithmetic in layers. */
  public static TensorType type(Value v) {
    return v.type();
  }

  // ---- reshaping/image and attention layers

  /**
   * Resizes channels-last images {@code (batch, height, width, channels)} to {@code (batch,
   * newHeight, newWidth, channels)} as Keras 3's {@code ops.image.resize} without antialiasing
   * (TensorFlow's half-pixel centers): {@code "nearest"} or {@code "bilinear"}. Each axis is one
   * product with a constant interpolation matrix, so the gradient flows back to the input.
   *
   * @throws IllegalArgumentException for another interpolation or unknown spatial sizes
   */
  public Value resizeImages(Value x, int newHeight, int newWidth, String interpolation) {
    if (!interpolation.equals("nearest") && !interpolation.equals("bilinear")) {
      throw new IllegalArgumentException(
          "resize: interpolation must be \"nearest\" or \"bilinear\"; received \""
              + interpolation
              + "\"");
    }
    if (x.rank() != 4 || x.shape().dim(1) == Shape.UNKNOWN || x.shape().dim(2) == Shape.UNKNOWN) {
      throw new IllegalArgumentException(
          "resize: needs images (batch, height, width, channels) of known height and width;"
              + " received "
              + x.shape());
    }
    boolean bilinear = interpolation.equals("bilinear");
    int h = x.shape().dim(1);
    int w = x.shape().dim(2);
    Value y = x;
    if (h != newHeight) {
      // (b, h, w, c) -> (b, w, c, h) @ (h, newHeight) -> back to (b, newHeight, w, c)
      Value t = transpose(y, 0, 2, 3, 1);
      t = matmul(t, cast(constant(resizeMatrix(h, newHeight, bilinear)), x.dtype()));
      y = transpose(t, 0, 3, 1, 2);
    }
    if (w != newWidth) {
      Value t = transpose(y, 0, 1, 3, 2);
      t = matmul(t, cast(constant(resizeMatrix(w, newWidth, bilinear)), x.dtype()));
      y = transpose(t, 0, 1, 3, 2);
    }
    return y;
  }

  /**
   * The {@code (in, out)} matrix whose column {@code o} holds the weights of the input samples for
   * output sample {@code o}: TensorFlow's half-pixel mapping {@code (o + 0.5) * in / out}, floored
   * for nearest, and minus 0.5 then interpolated between the two neighbours (clamped to the edges)
   * for bilinear. Float arithmetic, as TensorFlow's kernels.
   */
  private static Tensor resizeMatrix(int in, int out, boolean bilinear) {
    float[] m = new float[in * out];
    float scale = (float) in / out;
    for (int o = 0; o < out; o++) {
      if (bilinear) {
        float src = (o + 0.5f) * scale - 0.5f;
        float floor = (float) Math.floor(src);
        int lower = Math.max((int) floor, 0);
        int upper = Math.min((int) Math.ceil(src), in - 1);
        float lerp = src - floor;
        m[lower * out + o] += 1 - lerp;
        m[upper * out + o] += lerp;
      } else {
        int src = Math.min((int) Math.floor((o + 0.5f) * scale), in - 1);
        m[src * out + o] = 1;
      }
    }
    return Tensor.of(m, in, out);
  }

  /**
   * Einstein summation of two operands, {@code "abc,cde->abde"}: one letter per axis, no ellipsis
   * and no repeated letter within an operand. A letter in both operands and the output is a batch
   * axis, in both but not the output is summed over (contracted), in one operand and the output is
   * kept, and in one operand only is summed out first. It lowers to transposes, reshapes and one
   * batched {@link #matmul}, which covers every equation the attention layers and EinsumDense use.
   *
   * @throws IllegalArgumentException if the equation does not fit the operands, naming both
   */
  public Value einsum(String equation, Value a, Value c) {
    String eq = equation.replace(" ", "");
    int arrow = eq.indexOf("->");
    int comma = eq.indexOf(',');
    if (arrow < 0 || comma < 0 || comma > arrow || eq.contains(".")) {
      throw new IllegalArgumentException(
          "einsum: the equation must read \"xy,yz->xz\" (two operands, letters only); received \""
              + equation
              + "\"");
    }
    String sa = eq.substring(0, comma);
    String sc = eq.substring(comma + 1, arrow);
    String so = eq.substring(arrow + 2);
    checkSpec(equation, sa, a, "first operand");
    checkSpec(equation, sc, c, "second operand");
    checkSpec(equation, so, null, "output");
    for (char ch : so.toCharArray()) {
      if (sa.indexOf(ch) < 0 && sc.indexOf(ch) < 0) {
        throw new IllegalArgumentException(
            "einsum: output letter '" + ch + "' of \"" + equation + "\" is in no operand");
      }
    }
    // Letters in one operand only and not in the output are summed out first.
    Value[] ops2 = {a, c};
    String[] specs = {sa, sc};
    for (int k = 0; k < 2; k++) {
      String other = specs[1 - k];
      StringBuilder kept = new StringBuilder();
      List<Integer> gone = new ArrayList<>();
      for (int i = 0; i < specs[k].length(); i++) {
        char ch = specs[k].charAt(i);
        if (other.indexOf(ch) < 0 && so.indexOf(ch) < 0) {
          gone.add(i);
        } else {
          kept.append(ch);
        }
      }
      if (!gone.isEmpty()) {
        ops2[k] = sum(ops2[k], false, gone.stream().mapToInt(Integer::intValue).toArray());
        specs[k] = kept.toString();
      }
    }
    sa = specs[0];
    sc = specs[1];
    a = ops2[0];
    c = ops2[1];
    StringBuilder batch = new StringBuilder();
    StringBuilder contract = new StringBuilder();
    StringBuilder freeA = new StringBuilder();
    StringBuilder freeC = new StringBuilder();
    for (char ch : sa.toCharArray()) {
      boolean inC = sc.indexOf(ch) >= 0;
      boolean inOut = so.indexOf(ch) >= 0;
      if (inC) {
        int da = a.shape().dim(sa.indexOf(ch));
        int dc = c.shape().dim(sc.indexOf(ch));
        if (da != dc) {
          throw new IllegalArgumentException(
              "einsum: letter '"
                  + ch
                  + "' of \""
                  + equation
                  + "\" has size "
                  + da
                  + " in the first operand "
                  + a.shape()
                  + " but "
                  + dc
                  + " in the second "
                  + c.shape());
        }
        (inOut ? batch : contract).append(ch);
      } else {
        freeA.append(ch);
      }
    }
    for (char ch : sc.toCharArray()) {
      if (sa.indexOf(ch) < 0) {
        freeC.append(ch);
      }
    }
    String nb = batch.toString();
    String na = freeA.toString();
    String nk = contract.toString();
    String nc = freeC.toString();
    Value left = transpose(a, positions(sa, nb + na + nk));
    Value right = transpose(c, positions(sc, nb + nk + nc));
    int[] bDims = dimsOf(a, sa, nb);
    int[] lead = java.util.Arrays.copyOf(bDims, bDims.length + 2);
    lead[bDims.length] = product(dimsOf(a, sa, na));
    lead[bDims.length + 1] = product(dimsOf(a, sa, nk));
    left = reshapeAny(left, lead);
    int[] rd = java.util.Arrays.copyOf(bDims, bDims.length + 2);
    rd[bDims.length] = product(dimsOf(c, sc, nk));
    rd[bDims.length + 1] = product(dimsOf(c, sc, nc));
    right = reshapeAny(right, rd);
    Value prod = matmul(left, right);
    int[] aDims = dimsOf(a, sa, na);
    int[] cDims = dimsOf(c, sc, nc);
    int[] full = new int[bDims.length + aDims.length + cDims.length];
    System.arraycopy(bDims, 0, full, 0, bDims.length);
    System.arraycopy(aDims, 0, full, bDims.length, aDims.length);
    System.arraycopy(cDims, 0, full, bDims.length + aDims.length, cDims.length);
    prod = reshapeAny(prod, full);
    return transpose(prod, positions(nb + na + nc, so));
  }

  private static void checkSpec(String equation, String spec, Value x, String what) {
    for (int i = 0; i < spec.length(); i++) {
      char ch = spec.charAt(i);
      if (!Character.isLetter(ch) || spec.indexOf(ch) != i) {
        throw new IllegalArgumentException(
            "einsum: the "
                + what
                + " \""
                + spec
                + "\" of \""
                + equation
                + "\" must be distinct letters");
      }
    }
    if (x != null && x.rank() != spec.length()) {
      throw new IllegalArgumentException(
          "einsum: the "
              + what
              + " \""
              + spec
              + "\" of \""
              + equation
              + "\" names "
              + spec.length()
              + " axes but the operand has shape "
              + x.shape());
    }
  }

  /** For each letter of {@code to}, its position in {@code from}. */
  private static int[] positions(String from, String to) {
    int[] p = new int[to.length()];
    for (int i = 0; i < p.length; i++) {
      p[i] = from.indexOf(to.charAt(i));
    }
    return p;
  }

  private static int[] dimsOf(Value x, String spec, String letters) {
    int[] d = new int[letters.length()];
    for (int i = 0; i < d.length; i++) {
      d[i] = x.shape().dim(spec.indexOf(letters.charAt(i)));
    }
    return d;
  }

  /** The product of sizes; unknown if any is (only in symbolic traces, which never run). */
  private static int product(int[] dims) {
    int p = 1;
    for (int d : dims) {
      if (d == Shape.UNKNOWN) {
        return Shape.UNKNOWN;
      }
      p *= d;
    }
    return p;
  }
}
