package dev.kiln.spi.ir;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link Graph} one op at a time. Each method checks its operands with the op's shape rule
 * at once, so a bad shape fails where the op is added, naming the op and both shapes.
 *
 * {@snippet :
 * GraphBuilder b = new GraphBuilder();
 * Value x = b.input(TensorType.of(DType.FLOAT32, 2, 3));
 * Value w = b.variable("dense/kernel", TensorType.of(DType.FLOAT32, 3, 4));
 * Value y = b.relu(b.matmul(x, w));
 * Graph g = b.output(y).build();
 * }
 */
public final class GraphBuilder {
  private final List<Node> nodes = new ArrayList<>();
  private final List<Value> inputs = new ArrayList<>();
  private final List<Value> outputs = new ArrayList<>();
  private final Map<String, Value> updates = new LinkedHashMap<>();
  private final Map<String, Value> variableReads = new HashMap<>();
  private final Object identity = new Object();
  private int nextValue;

  /** An empty builder. */
  public GraphBuilder() {}

  /**
   * Adds a node for {@code op} on {@code operands}.
   *
   * @return the node's results
   * @throws ShapeError if the operands do not fit the op
   * @throws IllegalArgumentException if an operand belongs to another graph
   */
  public List<Value> emit(Op op, List<Value> operands) {
    List<TensorType> types = new ArrayList<>(operands.size());
    for (Value v : operands) {
      if (v == null) {
        throw new IllegalArgumentException(op.name() + ": an operand is null");
      }
      if (v.owner() != identity) {
        throw new IllegalArgumentException(
            op.name() + ": operand " + v + " belongs to another graph builder");
      }
      types.add(v.type());
    }
    List<TensorType> results = op.infer(types);
    List<Value> out = new ArrayList<>(results.size());
    for (int i = 0; i < results.size(); i++) {
      out.add(new Value(nextValue++, results.get(i), i, identity));
    }
    Node node = new Node(nodes.size(), op, List.copyOf(operands), List.copyOf(out));
    for (Value v : out) {
      v.attach(node);
    }
    nodes.add(node);
    return node.outputs();
  }

  /** {@link #emit(Op, List)} for a single-result op. */
  public Value emit1(Op op, Value... operands) {
    List<Value> r = emit(op, List.of(operands));
    if (r.size() != 1) {
      throw new IllegalStateException(op.name() + " has " + r.size() + " results");
    }
    return r.get(0);
  }

  // ---------------------------------------------------------------- graph edges

  /** A new graph input; inputs are passed to a run in the order they were added. */
  public Value input(TensorType type) {
    Value v = emit1(new SourceOp.Parameter(inputs.size(), type));
    inputs.add(v);
    return v;
  }

  /** A constant. */
  public Value constant(HostTensor value) {
    return emit1(new SourceOp.Constant(value.copy()));
  }

  /** A rank-0 constant of the given dtype. */
  public Value scalar(double value, DType dtype) {
    return constant(HostTensor.fromDoubles(dtype, Shape.scalar(), new double[] {value}));
  }

  /** A tensor of {@code shape} filled with {@code value}. */
  public Value fill(double value, TensorType type) {
    return broadcastTo(scalar(value, type.dtype()), type.shape());
  }

  /** Zeros shaped like {@code v}. */
  public Value zerosLike(Value v) {
    return fill(0, v.type());
  }

  /** Ones shaped like {@code v}. */
  public Value onesLike(Value v) {
    return fill(1, v.type());
  }

  /**
   * Reads backend variable {@code id}; reading the same id twice returns the same value.
   *
   * @throws IllegalArgumentException if the id was read before with another type
   */
  public Value variable(String id, TensorType type) {
    Value v = variableReads.get(id);
    if (v != null) {
      if (!v.type().equals(type)) {
        throw new IllegalArgumentException(
            "variable '" + id + "' was read as " + v.type() + " and now as " + type);
      }
      return v;
    }
    v = emit1(new SourceOp.VariableRead(id, type));
    variableReads.put(id, v);
    return v;
  }

  /**
   * Sets the value variable {@code id} holds after each run.
   *
   * @throws IllegalArgumentException if the type differs from the variable's or the id is already
   *     updated
   */
  public GraphBuilder update(String id, Value value) {
    Value read = variableReads.get(id);
    if (read != null && !read.type().equals(value.type())) {
      throw new IllegalArgumentException(
          "variable '" + id + "' is " + read.type() + " but the update is " + value.type());
    }
    if (updates.containsKey(id)) {
      throw new IllegalArgumentException("variable '" + id + "' is updated twice");
    }
    updates.put(id, value);
    return this;
  }

  /** Adds graph outputs, in order. */
  public GraphBuilder output(Value... values) {
    outputs.addAll(List.of(values));
    return this;
  }

  /** The graph so far. The builder may go on to build a larger one. */
  public Graph build() {
    return new Graph(nodes, inputs, outputs, updates);
  }

  /** The nodes added so far, in order. */
  public List<Node> nodes() {
    return List.copyOf(nodes);
  }

  /**
   * Replays another graph's nodes in this builder with {@code args} for its inputs.
   *
   * @return the values of its outputs here
   * @throws IllegalArgumentException if the graph updates variables or the arguments do not fit
   */
  public List<Value> inline(Graph g, List<Value> args) {
    if (!g.updates().isEmpty()) {
      throw new IllegalArgumentException("cannot inline a graph that updates variables");
    }
    if (args.size() != g.inputs().size()) {
      throw new IllegalArgumentException(
          "the graph takes " + g.inputs().size() + " inputs but " + args.size() + " were given");
    }
    Map<Value, Value> map = new HashMap<>();
    for (Node n : g.nodes()) {
      List<Value> results;
      if (n.op() instanceof SourceOp.Parameter p) {
        Value a = args.get(p.index());
        if (!a.shape().isCompatibleWith(p.type().shape()) || a.dtype() != p.type().dtype()) {
          throw new IllegalArgumentException(
              "argument " + p.index() + " " + a.type() + " does not fit input " + p.type());
        }
        results = List.of(a);
      } else if (n.op() instanceof SourceOp.VariableRead v) {
        results = List.of(variable(v.id(), v.type()));
      } else {
        List<Value> ops = new ArrayList<>();
        for (Value in : n.inputs()) {
          ops.add(map.get(in));
        }
        results = emit(n.op(), ops);
      }
      for (int i = 0; i < results.size(); i++) {
        map.put(n.outputs().get(i), results.get(i));
      }
    }
    List<Value> out = new ArrayList<>();
    for (Value o : g.outputs()) {
      out.add(map.get(o));
    }
    return out;
  }

  // ---------------------------------------------------------------- elementwise

  /** An elementwise function of one operand. */
  public Value unary(UnaryFn fn, Value x) {
    return emit1(new ElementwiseOp.Unary(fn), x);
  }

  /** An elementwise function of two operands with broadcasting. */
  public Value binary(BinaryFn fn, Value a, Value b) {
    return emit1(new ElementwiseOp.Binary(fn), a, b);
  }

  /** An elementwise comparison with broadcasting. */
  public Value compare(CompareFn fn, Value a, Value b) {
    return emit1(new ElementwiseOp.Compare(fn), a, b);
  }

  /** {@code a + b}. */
  public Value add(Value a, Value b) {
    return binary(BinaryFn.ADD, a, b);
  }

  /** {@code a - b}. */
  public Value sub(Value a, Value b) {
    return binary(BinaryFn.SUB, a, b);
  }

  /** {@code a * b}. */
  public Value mul(Value a, Value b) {
    return binary(BinaryFn.MUL, a, b);
  }

  /** {@code a / b}. */
  public Value div(Value a, Value b) {
    return binary(BinaryFn.DIV, a, b);
  }

  /** {@code a ** b}. */
  public Value pow(Value a, Value b) {
    return binary(BinaryFn.POW, a, b);
  }

  /** Elementwise maximum. */
  public Value max(Value a, Value b) {
    return binary(BinaryFn.MAX, a, b);
  }

  /** Elementwise minimum. */
  public Value min(Value a, Value b) {
    return binary(BinaryFn.MIN, a, b);
  }

  /** {@code -x}. */
  public Value neg(Value x) {
    return unary(UnaryFn.NEG, x);
  }

  /** {@code |x|}. */
  public Value abs(Value x) {
    return unary(UnaryFn.ABS, x);
  }

  /** {@code e^x}. */
  public Value exp(Value x) {
    return unary(UnaryFn.EXP, x);
  }

  /** Natural logarithm. */
  public Value log(Value x) {
    return unary(UnaryFn.LOG, x);
  }

  /** {@code log(1 + x)}. */
  public Value log1p(Value x) {
    return unary(UnaryFn.LOG1P, x);
  }

  /** Square root. */
  public Value sqrt(Value x) {
    return unary(UnaryFn.SQRT, x);
  }

  /** {@code 1 / sqrt(x)}. */
  public Value rsqrt(Value x) {
    return unary(UnaryFn.RSQRT, x);
  }

  /** {@code x * x}. */
  public Value square(Value x) {
    return unary(UnaryFn.SQUARE, x);
  }

  /** Hyperbolic tangent. */
  public Value tanh(Value x) {
    return unary(UnaryFn.TANH, x);
  }

  /** Logistic sigmoid. */
  public Value sigmoid(Value x) {
    return unary(UnaryFn.SIGMOID, x);
  }

  /** The error function. */
  public Value erf(Value x) {
    return unary(UnaryFn.ERF, x);
  }

  /**
   * {@code max(x, 0)} as a select on {@code x <= 0}, so the gradient at exactly 0 is 0 (as
   * Keras's), not the 0.5 a symmetric max rule would give, and NaN stays NaN (every comparison with
   * NaN is false, so it takes {@code x}'s branch).
   */
  public Value relu(Value x) {
    Value zero = scalar(0, x.dtype());
    return select(compare(CompareFn.LESS_EQUAL, x, zero), zero, x);
  }

  /** {@code cond ? a : b} with broadcasting. */
  public Value select(Value cond, Value a, Value b) {
    return emit1(new ElementwiseOp.Select(), cond, a, b);
  }

  /** Converts to {@code dtype}; returns {@code x} when it already has it. */
  public Value cast(Value x, DType dtype) {
    return x.dtype() == dtype ? x : emit1(new ElementwiseOp.Cast(dtype), x);
  }

  // ---------------------------------------------------------------- reductions

  /** A reduction over {@code axes} (any order, negative allowed). */
  public Value reduce(ReduceFn fn, Value x, int[] axes, boolean keepDims) {
    int[] ax =
        Rules.normalizeAxes(
            "reduce_" + fn.name().toLowerCase(java.util.Locale.ROOT), axes, x.type());
    return emit1(new ReductionOp.Reduce(fn, ax, keepDims), x);
  }

  /** Sum over {@code axes}. */
  public Value reduceSum(Value x, int[] axes, boolean keepDims) {
    return reduce(ReduceFn.SUM, x, axes, keepDims);
  }

  /** Mean over {@code axes}. */
  public Value reduceMean(Value x, int[] axes, boolean keepDims) {
    return reduce(ReduceFn.MEAN, x, axes, keepDims);
  }

  /** Maximum over {@code axes}. */
  public Value reduceMax(Value x, int[] axes, boolean keepDims) {
    return reduce(ReduceFn.MAX, x, axes, keepDims);
  }

  /** Sum over every axis, to a scalar. */
  public Value sumAll(Value x) {
    int[] all = new int[x.rank()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    return reduceSum(x, all, false);
  }

  /** The index of the extreme along {@code axis}, as int32. */
  public Value argReduce(ArgFn fn, Value x, int axis, boolean keepDims) {
    int a =
        Rules.normalizeAxis(fn.name().toLowerCase(java.util.Locale.ROOT), axis, x.rank(), x.type());
    return emit1(new ReductionOp.ArgReduce(fn, a, keepDims, DType.INT32), x);
  }

  // ---------------------------------------------------------------- linear algebra and conv

  /** {@code a @ b}. */
  public Value matmul(Value a, Value b) {
    return matmul(a, b, false, false);
  }

  /** {@code op(a) @ op(b)} with optional transposes of the last two axes. */
  public Value matmul(Value a, Value b, boolean transposeA, boolean transposeB) {
    return emit1(new LinalgOp.MatMul(transposeA, transposeB), a, b);
  }

  /** N-D convolution. */
  public Value conv(Value x, Value kernel, ConvSpec spec) {
    return emit1(new ConvolutionOp.Conv(spec), x, kernel);
  }

  /** The input gradient of a convolution. */
  public Value convBackpropInput(Value dy, Value kernel, ConvSpec spec, Shape inputShape) {
    return emit1(new ConvolutionOp.ConvBackpropInput(spec, inputShape), dy, kernel);
  }

  /** The kernel gradient of a convolution. */
  public Value convBackpropFilter(Value x, Value dy, ConvSpec spec, Shape filterShape) {
    return emit1(new ConvolutionOp.ConvBackpropFilter(spec, filterShape), x, dy);
  }

  /** Max or average pooling. */
  public Value pool(PoolFn fn, Value x, PoolSpec spec) {
    return emit1(new PoolingOp.Pool(fn, spec), x);
  }

  // ---------------------------------------------------------------- shape ops

  /**
   * Reshapes; one dimension may be {@link Shape#UNKNOWN} to be inferred from the size, as numpy's
   * {@code -1}.
   */
  public Value reshape(Value x, Shape shape) {
    Shape target = shape;
    int[] d = shape.dims();
    int unknown = -1;
    long known = 1;
    for (int i = 0; i < d.length; i++) {
      if (d[i] == Shape.UNKNOWN) {
        unknown = i;
      } else {
        known *= d[i];
      }
    }
    if (unknown >= 0 && x.shape().isFullyKnown() && known > 0 && x.shape().size() % known == 0) {
      d[unknown] = (int) (x.shape().size() / known);
      target = Shape.of(d);
    }
    return x.shape().equals(target) ? x : emit1(new ShapeOp.Reshape(target), x);
  }

  /** Permutes axes. */
  public Value transpose(Value x, int... perm) {
    return emit1(new ShapeOp.Transpose(perm), x);
  }

  /** Broadcasts to {@code shape}; returns {@code x} when it has it already. */
  public Value broadcastTo(Value x, Shape shape) {
    return x.shape().equals(shape) ? x : emit1(new ShapeOp.BroadcastTo(shape), x);
  }

  /** {@code x[begin : begin + size]}. */
  public Value slice(Value x, int[] begin, int[] size) {
    return emit1(new ShapeOp.Slice(begin, size), x);
  }

  /** {@code x[begin:end:strides]}. */
  public Value stridedSlice(Value x, int[] begin, int[] end, int[] strides) {
    return emit1(new ShapeOp.StridedSlice(begin, end, strides), x);
  }

  /** Joins along {@code axis} (negative allowed). */
  public Value concat(int axis, Value... xs) {
    int a = Rules.normalizeAxis("concat", axis, xs[0].rank(), xs[0].type());
    return emit1(new ShapeOp.Concat(a), xs);
  }

  /** Constant padding. */
  public Value pad(Value x, int[] low, int[] high, double value) {
    return emit1(new ShapeOp.Pad(low, high, value), x);
  }

  /** Gathers along {@code axis} (negative allowed). */
  public Value gather(Value params, Value indices, int axis) {
    int a = Rules.normalizeAxis("gather", axis, params.rank(), params.type());
    return emit1(new IndexingOp.Gather(a), params, indices);
  }

  /** Scatter-adds along {@code axis} (negative allowed). */
  public Value scatterAdd(Value target, Value indices, Value updates, int axis) {
    int a = Rules.normalizeAxis("scatter_add", axis, target.rank(), target.type());
    return emit1(new IndexingOp.ScatterAdd(a), target, indices, updates);
  }

  /** One-hot encoding on a new last axis. */
  public Value oneHot(Value indices, int depth, DType dtype) {
    return emit1(new IndexingOp.OneHot(depth, dtype), indices);
  }

  /** The index along {@code axis} everywhere in a tensor of {@code type}. */
  public Value iota(TensorType type, int axis) {
    return emit1(new SourceOp.Iota(type, axis));
  }

  // ---------------------------------------------------------------- random

  /** Uniform numbers in {@code [low, high)} from {@code seed} (int64 of shape (2,)). */
  public Value randomUniform(Value seed, TensorType type, double low, double high) {
    return emit1(new SourceOp.Random(Distribution.UNIFORM, type, low, high), seed);
  }

  /** Normal numbers from {@code seed}. */
  public Value randomNormal(Value seed, TensorType type, double mean, double stddev) {
    return emit1(new SourceOp.Random(Distribution.NORMAL, type, mean, stddev), seed);
  }

  /** 1 with probability {@code p}, else 0, from {@code seed}. */
  public Value randomBernoulli(Value seed, TensorType type, double p) {
    return emit1(new SourceOp.Random(Distribution.BERNOULLI, type, p, 0), seed);
  }

  // ---------------------------------------------------------------- control flow

  /**
   * A scan; see {@link ControlFlowOp.Scan}.
   *
   * @return the final carries, then the stacked per-step outputs
   */
  public List<Value> scan(
      Graph body,
      List<Value> carries,
      List<Value> sequences,
      List<Value> constants,
      boolean reverse) {
    if (!body.variables().isEmpty()) {
      throw new ShapeError(
          "scan",
          "the body reads or writes variables "
              + body.variables().keySet()
              + "; pass them in as constants");
    }
    int length;
    if (!sequences.isEmpty()) {
      if (sequences.get(0).rank() == 0) {
        throw new ShapeError("scan", "sequence 0 is a scalar " + sequences.get(0).type());
      }
      length = sequences.get(0).shape().dim(0);
    } else {
      throw new ShapeError(
          "scan", "needs at least one sequence; use scan(body, length, ...) otherwise");
    }
    return scan(body, carries, sequences, constants, reverse, length);
  }

  /** A scan with an explicit number of steps. */
  public List<Value> scan(
      Graph body,
      List<Value> carries,
      List<Value> sequences,
      List<Value> constants,
      boolean reverse,
      int length) {
    List<Value> all = new ArrayList<>(carries);
    all.addAll(sequences);
    all.addAll(constants);
    return emit(
        new ControlFlowOp.Scan(body, carries.size(), sequences.size(), length, reverse), all);
  }

  // ---------------------------------------------------------------- composites

  /** Softmax along {@code axis}. */
  public Value softmax(Value x, int axis) {
    return emit1(new CompositeOp.Softmax(axis), x);
  }

  /** Log-softmax along {@code axis}. */
  public Value logSoftmax(Value x, int axis) {
    return emit1(new CompositeOp.LogSoftmax(axis), x);
  }

  /** Log-sum-exp over {@code axes}. */
  public Value logSumExp(Value x, int[] axes, boolean keepDims) {
    return emit1(new CompositeOp.LogSumExp(axes, keepDims), x);
  }

  /** Softmax cross-entropy of {@code labels} (probabilities) against {@code logits}. */
  public Value softmaxCrossEntropy(Value logits, Value labels, int axis) {
    return emit1(new CompositeOp.SoftmaxCrossEntropy(axis), logits, labels);
  }

  /** Elementwise sigmoid cross-entropy. */
  public Value sigmoidCrossEntropy(Value logits, Value labels) {
    return emit1(new CompositeOp.SigmoidCrossEntropy(), logits, labels);
  }

  /** GELU. */
  public Value gelu(Value x, boolean approximate) {
    return emit1(new CompositeOp.Gelu(approximate), x);
  }

  /** SiLU (swish). */
  public Value silu(Value x) {
    return emit1(new CompositeOp.Silu(), x);
  }

  /** Layer normalization over {@code axes}. */
  public Value layerNorm(Value x, Value gamma, Value beta, int[] axes, double epsilon) {
    return emit1(new CompositeOp.LayerNorm(axes, epsilon), x, gamma, beta);
  }

  /** Batch normalization with batch statistics; returns {@code (y, mean, variance)}. */
  public List<Value> batchNormTraining(Value x, Value gamma, Value beta, int axis, double epsilon) {
    return emit(new CompositeOp.BatchNormTraining(axis, epsilon), List.of(x, gamma, beta));
  }

  /**
   * The gradient of {@link #batchNormTraining}: returns {@code (dx, dgamma, dbeta)} for the forward
   * op's operands {@code x, gamma}, its batch statistics {@code mean, variance} and the cotangents
   * of its three results; see {@link CompositeOp.BatchNormTrainingGrad}.
   */
  public List<Value> batchNormTrainingGrad(
      Value x,
      Value gamma,
      Value mean,
      Value variance,
      Value dy,
      Value dmean,
      Value dvariance,
      int axis,
      double epsilon) {
    return emit(
        new CompositeOp.BatchNormTrainingGrad(axis, epsilon),
        List.of(x, gamma, mean, variance, dy, dmean, dvariance));
  }

  /**
   * One Adam step for weight {@code w}: returns {@code (w', m', v')}; see {@link
   * CompositeOp.AdamUpdate}.
   *
   * @param alpha the step size, a scalar: the learning rate with the bias correction folded in
   */
  public List<Value> adamUpdate(
      Value w, Value g, Value m, Value v, Value alpha, double beta1, double beta2, double epsilon) {
    return emit(new CompositeOp.AdamUpdate(beta1, beta2, epsilon), List.of(w, g, m, v, alpha));
  }

  /** Batch normalization with given statistics. */
  public Value batchNormInference(
      Value x, Value mean, Value variance, Value gamma, Value beta, int axis, double epsilon) {
    return emit1(new CompositeOp.BatchNormInference(axis, epsilon), x, mean, variance, gamma, beta);
  }
}
