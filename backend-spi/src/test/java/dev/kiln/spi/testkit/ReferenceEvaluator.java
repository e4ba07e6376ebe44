package dev.kiln.spi.testkit;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.ArgFn;
import dev.kiln.spi.ir.BinaryFn;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.CompositeOp;
import dev.kiln.spi.ir.ControlFlowOp;
import dev.kiln.spi.ir.ConvSpec;
import dev.kiln.spi.ir.ConvolutionOp;
import dev.kiln.spi.ir.ElementwiseOp;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphPrinter;
import dev.kiln.spi.ir.IndexingOp;
import dev.kiln.spi.ir.LinalgOp;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.PoolFn;
import dev.kiln.spi.ir.PoolSpec;
import dev.kiln.spi.ir.PoolingOp;
import dev.kiln.spi.ir.ReduceFn;
import dev.kiln.spi.ir.ReductionOp;
import dev.kiln.spi.ir.ShapeOp;
import dev.kiln.spi.ir.SourceOp;
import dev.kiln.spi.ir.UnaryFn;
import dev.kiln.spi.ir.Value;
import dev.kiln.spi.math.SpecialFunctions;
import dev.kiln.spi.random.Philox;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference semantics of every IR op, in plain Java: each op computes in float64 from its
 * operands' values and rounds its result to the result dtype (float32, half precision, integer
 * wrap-around), as a backend computing in that dtype would to within rounding.
 *
 * <p>Clarity over speed: every op is a loop over output (or input) indices. Integer values are held
 * as doubles, exact up to 2^53.
 */
public class ReferenceEvaluator {

  /** A value during evaluation: its type and its elements, already rounded to the dtype. */
  protected record Buf(TensorType type, double[] data) {
    Shape shape() {
      return type.shape();
    }

    DType dtype() {
      return type.dtype();
    }

    HostTensor toHost() {
      HostTensor h = HostTensor.zeros(type.dtype(), type.shape());
      for (int i = 0; i < data.length; i++) {
        if (type.dtype().isFloating()) {
          h.setDouble(i, data[i]);
        } else {
          h.setLong(i, (long) data[i]);
        }
      }
      return h;
    }

    static Buf of(HostTensor h) {
      return new Buf(h.type(), h.toDoubleArray());
    }
  }

  /**
   * The outputs of one run and the new values of the variables it updates.
   *
   * @param outputs one tensor per graph output
   * @param updates new variable values by id
   */
  public record Result(List<HostTensor> outputs, Map<String, HostTensor> updates) {}

  /**
   * Evaluates a graph.
   *
   * @param graph the graph; every shape must be known
   * @param inputs one tensor per graph input
   * @param variables current values of the variables the graph reads
   */
  public Result run(Graph graph, List<HostTensor> inputs, Map<String, HostTensor> variables) {
    List<Buf> in = new ArrayList<>();
    for (HostTensor h : inputs) {
      in.add(Buf.of(h));
    }
    Map<Value, Buf> env = evaluate(graph, in, variables);
    List<HostTensor> outs = new ArrayList<>();
    for (Value v : graph.outputs()) {
      outs.add(env.get(v).toHost());
    }
    Map<String, HostTensor> ups = new LinkedHashMap<>();
    graph.updates().forEach((id, v) -> ups.put(id, env.get(v).toHost()));
    return new Result(outs, ups);
  }

  /** Evaluates a graph without variables and returns its outputs. */
  public List<HostTensor> run(Graph graph, List<HostTensor> inputs) {
    return run(graph, inputs, Map.of()).outputs();
  }

  private Map<Value, Buf> evaluate(Graph g, List<Buf> inputs, Map<String, HostTensor> vars) {
    if (inputs.size() != g.inputs().size()) {
      throw new IllegalArgumentException(
          "the graph takes " + g.inputs().size() + " inputs but received " + inputs.size());
    }
    Map<Value, Buf> env = new HashMap<>();
    for (Node n : g.nodes()) {
      List<Buf> args = new ArrayList<>();
      for (Value v : n.inputs()) {
        args.add(env.get(v));
      }
      List<Buf> out;
      if (n.op() instanceof SourceOp.Parameter p) {
        Buf b = inputs.get(p.index());
        if (!b.type().equals(p.type())) {
          throw new IllegalArgumentException(
              "input " + p.index() + " must be " + p.type() + " but is " + b.type());
        }
        out = List.of(b);
      } else if (n.op() instanceof SourceOp.VariableRead v) {
        HostTensor h = vars.get(v.id());
        if (h == null) {
          throw new IllegalArgumentException("variable '" + v.id() + "' has no value");
        }
        out = List.of(Buf.of(h));
      } else {
        try {
          out = apply(n, args);
        } catch (RuntimeException e) {
          throw new IllegalStateException(
              "reference evaluation failed at " + GraphPrinter.describe(n) + ": " + e.getMessage(),
              e);
        }
      }
      for (int i = 0; i < out.size(); i++) {
        env.put(n.outputs().get(i), out.get(i));
      }
    }
    return env;
  }

  /**
   * Computes one node. Subclasses in tests override this to plant a wrong kernel and prove the
   * conformance checks can fail.
   */
  protected List<Buf> apply(Node n, List<Buf> x) {
    List<TensorType> types = new ArrayList<>();
    for (Value v : n.outputs()) {
      types.add(v.type());
    }
    TensorType t = types.get(0);
    return switch (n.op()) {
      case SourceOp.Parameter p -> throw new IllegalStateException("handled by evaluate");
      case SourceOp.VariableRead v -> throw new IllegalStateException("handled by evaluate");
      case SourceOp.Constant c -> List.of(Buf.of(c.value()));
      case SourceOp.Iota io -> List.of(iota(t, io.axis()));
      case SourceOp.Random r -> List.of(random(r, t, x.get(0)));
      case ElementwiseOp.Unary u -> List.of(map(t, x.get(0), v -> unary(u.fn(), v)));
      case ElementwiseOp.Binary b -> List.of(binary(b.fn(), t, x.get(0), x.get(1)));
      case ElementwiseOp.Compare c -> List.of(compare(c.fn(), t, x.get(0), x.get(1)));
      case ElementwiseOp.Select s -> List.of(select(t, x.get(0), x.get(1), x.get(2)));
      case ElementwiseOp.Cast c -> List.of(map(t, x.get(0), v -> v));
      case ReductionOp.Reduce r -> List.of(reduce(r.fn(), r.axes(), t, x.get(0)));
      case ReductionOp.ArgReduce a -> List.of(argReduce(a, t, x.get(0)));
      case LinalgOp.MatMul m -> List.of(matmul(m, t, x.get(0), x.get(1)));
      case ConvolutionOp.Conv c -> List.of(Convolution.forward(c.spec(), t, x.get(0), x.get(1)));
      case ConvolutionOp.ConvBackpropInput c ->
          List.of(Convolution.backpropInput(c.spec(), t, x.get(0), x.get(1)));
      case ConvolutionOp.ConvBackpropFilter c ->
          List.of(Convolution.backpropFilter(c.spec(), t, x.get(0), x.get(1)));
      case PoolingOp.Pool p -> List.of(Pooling.forward(p.fn(), p.spec(), t, x.get(0)));
      case PoolingOp.MaxPoolBackward p ->
          List.of(Pooling.maxBackward(p.spec(), t, x.get(0), x.get(1)));
      case PoolingOp.AvgPoolBackward p -> List.of(Pooling.avgBackward(p.spec(), t, x.get(0)));
      case ShapeOp.Reshape r -> List.of(new Buf(t, x.get(0).data().clone()));
      case ShapeOp.Transpose tr -> List.of(transpose(tr.perm(), t, x.get(0)));
      case ShapeOp.BroadcastTo bt -> List.of(map(t, broadcast(x.get(0), t.shape()), v -> v));
      case ShapeOp.Slice s -> List.of(stridedSlice(s.begin(), ones(s.begin().length), t, x.get(0)));
      case ShapeOp.StridedSlice s -> List.of(stridedSlice(s.begin(), s.strides(), t, x.get(0)));
      case ShapeOp.Concat c -> List.of(concat(c.axis(), t, x));
      case ShapeOp.Pad p -> List.of(pad(p, t, x.get(0)));
      case IndexingOp.Gather ga -> List.of(gather(ga.axis(), t, x.get(0), x.get(1)));
      case IndexingOp.ScatterAdd s ->
          List.of(scatterAdd(s.axis(), t, x.get(0), x.get(1), x.get(2)));
      case IndexingOp.OneHot o -> List.of(oneHot(o.depth(), t, x.get(0)));
      case ControlFlowOp.Scan s -> scan(s, types, x);
      case CompositeOp.Softmax s -> List.of(softmax(s.axis(), t, x.get(0), false));
      case CompositeOp.LogSoftmax s -> List.of(softmax(s.axis(), t, x.get(0), true));
      case CompositeOp.LogSumExp l -> List.of(logSumExp(l.axes(), t, x.get(0)));
      case CompositeOp.SoftmaxCrossEntropy s ->
          List.of(softmaxCrossEntropy(s.axis(), t, x.get(0), x.get(1)));
      case CompositeOp.SigmoidCrossEntropy s -> List.of(sigmoidCrossEntropy(t, x.get(0), x.get(1)));
      case CompositeOp.BatchNormTraining bn -> batchNormTraining(bn, types, x);
      case CompositeOp.BatchNormTrainingGrad bn -> batchNormTrainingGrad(bn, types, x);
      case CompositeOp.BatchNormInference bn -> List.of(batchNormInference(bn, t, x));
      case CompositeOp.LayerNorm ln -> List.of(layerNorm(ln, t, x));
      case CompositeOp.Gelu ge -> List.of(map(t, x.get(0), v -> gelu(v, ge.approximate())));
      case CompositeOp.Silu si -> List.of(map(t, x.get(0), v -> v / (1 + Math.exp(-v))));
      case CompositeOp.AdamUpdate a -> adamUpdate(a, t, x);
    };
  }

  // ---------------------------------------------------------------- rounding and indexing

  /** Rounds a float64 result to {@code d} as a kernel computing in {@code d} stores it. */
  static double round(DType d, double v) {
    return switch (d) {
      case FLOAT64 -> v;
      case FLOAT32 -> (float) v;
      case FLOAT16 -> Float.float16ToFloat(Float.floatToFloat16((float) v));
      case BFLOAT16 -> {
        HostTensor h = HostTensor.zeros(DType.BFLOAT16, Shape.scalar());
        h.setDouble(0, v);
        yield h.getDouble(0);
      }
      case BOOL -> v != 0 ? 1 : 0;
      // Integer results wrap; float-to-integer casts saturate (see castToInteger).
      case INT8 -> (byte) (long) v;
      case UINT8 -> ((long) v) & 0xFF;
      case INT32 -> (int) (long) v;
      case INT64 -> (long) v;
    };
  }

  static double castValue(DType from, DType to, double v) {
    if (from.isFloating() && to.isInteger()) {
      HostTensor h = HostTensor.zeros(to, Shape.scalar());
      h.setDouble(0, v);
      return h.getDouble(0);
    }
    return round(to, v);
  }

  interface Fn {
    double apply(double v);
  }

  static Buf map(TensorType t, Buf x, Fn f) {
    double[] out = new double[x.data().length];
    for (int i = 0; i < out.length; i++) {
      out[i] = castValue(x.dtype(), t.dtype(), f.apply(x.data()[i]));
    }
    return new Buf(t, out);
  }

  static int[] ones(int n) {
    int[] a = new int[n];
    Arrays.fill(a, 1);
    return a;
  }

  /** The multi-index of flat position {@code flat} in {@code dims}. */
  static int[] unravel(long flat, int[] dims) {
    int[] idx = new int[dims.length];
    for (int i = dims.length - 1; i >= 0; i--) {
      idx[i] = (int) (flat % dims[i]);
      flat /= dims[i];
    }
    return idx;
  }

  static int ravel(int[] idx, int[] dims) {
    int flat = 0;
    for (int i = 0; i < dims.length; i++) {
      flat = flat * dims[i] + idx[i];
    }
    return flat;
  }

  /** {@code x} broadcast to {@code shape} (numpy rules), materialized. */
  static Buf broadcast(Buf x, Shape shape) {
    int[] od = shape.dims();
    int[] xd = x.shape().dims();
    int extra = od.length - xd.length;
    double[] out = new double[shape.intSize()];
    int[] xi = new int[xd.length];
    for (int f = 0; f < out.length; f++) {
      int[] oi = unravel(f, od);
      for (int i = 0; i < xd.length; i++) {
        xi[i] = xd[i] == 1 ? 0 : oi[i + extra];
      }
      out[f] = x.data()[ravel(xi, xd)];
    }
    return new Buf(new TensorType(x.dtype(), shape), out);
  }

  // ---------------------------------------------------------------- elementwise

  static double unary(UnaryFn fn, double v) {
    return switch (fn) {
      case NEG -> -v;
      case ABS -> Math.abs(v);
      case SIGN -> Math.signum(v);
      case EXP -> Math.exp(v);
      case EXPM1 -> Math.expm1(v);
      case LOG -> Math.log(v);
      case LOG1P -> Math.log1p(v);
      case SQRT -> Math.sqrt(v);
      case RSQRT -> 1 / Math.sqrt(v);
      case SQUARE -> v * v;
      case RECIPROCAL -> 1 / v;
      case SIN -> Math.sin(v);
      case COS -> Math.cos(v);
      case TANH -> Math.tanh(v);
      case SIGMOID -> 1 / (1 + Math.exp(-v));
      case ERF -> erf(v);
      case FLOOR -> Math.floor(v);
      case CEIL -> Math.ceil(v);
      case ROUND -> Math.rint(v);
      case LOGICAL_NOT -> v != 0 ? 0 : 1;
    };
  }

  static double erf(double x) {
    return SpecialFunctions.erf(x);
  }

  static double gelu(double v, boolean approximate) {
    if (approximate) {
      return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
    }
    return 0.5 * v * (1 + erf(v / Math.sqrt(2)));
  }

  static Buf binary(BinaryFn fn, TensorType t, Buf a, Buf b) {
    Buf x = broadcast(a, t.shape());
    Buf y = broadcast(b, t.shape());
    boolean integer = !t.dtype().isFloating();
    double[] out = new double[x.data().length];
    for (int i = 0; i < out.length; i++) {
      double p = x.data()[i];
      double q = y.data()[i];
      double r =
          switch (fn) {
            case ADD -> p + q;
            case SUB -> p - q;
            case MUL -> p * q;
            case DIV -> integer ? (q == 0 ? 0 : Math.floorDiv((long) p, (long) q)) : p / q;
            case POW -> Math.pow(p, q);
            case MAX -> Double.isNaN(p) || Double.isNaN(q) ? Double.NaN : Math.max(p, q);
            case MIN -> Double.isNaN(p) || Double.isNaN(q) ? Double.NaN : Math.min(p, q);
            case MOD ->
                integer
                    ? (q == 0 ? 0 : Math.floorMod((long) p, (long) q))
                    : p - q * Math.floor(p / q);
            case LOGICAL_AND -> (p != 0 && q != 0) ? 1 : 0;
            case LOGICAL_OR -> (p != 0 || q != 0) ? 1 : 0;
            case LOGICAL_XOR -> ((p != 0) != (q != 0)) ? 1 : 0;
          };
      out[i] = round(t.dtype(), r);
    }
    return new Buf(t, out);
  }

  static Buf compare(CompareFn fn, TensorType t, Buf a, Buf b) {
    Buf x = broadcast(a, t.shape());
    Buf y = broadcast(b, t.shape());
    double[] out = new double[x.data().length];
    for (int i = 0; i < out.length; i++) {
      double p = x.data()[i];
      double q = y.data()[i];
      boolean r =
          switch (fn) {
            case EQUAL -> p == q;
            case NOT_EQUAL -> p != q;
            case LESS -> p < q;
            case LESS_EQUAL -> p <= q;
            case GREATER -> p > q;
            case GREATER_EQUAL -> p >= q;
          };
      out[i] = r ? 1 : 0;
    }
    return new Buf(t, out);
  }

  static Buf select(TensorType t, Buf c, Buf a, Buf b) {
    Buf cc = broadcast(c, t.shape());
    Buf x = broadcast(a, t.shape());
    Buf y = broadcast(b, t.shape());
    double[] out = new double[x.data().length];
    for (int i = 0; i < out.length; i++) {
      out[i] = cc.data()[i] != 0 ? x.data()[i] : y.data()[i];
    }
    return new Buf(t, out);
  }

  // ---------------------------------------------------------------- reductions

  static Buf reduce(ReduceFn fn, int[] axes, TensorType t, Buf x) {
    int[] xd = x.shape().dims();
    boolean[] reduced = new boolean[xd.length];
    long count = 1;
    for (int a : axes) {
      reduced[a] = true;
      count *= xd[a];
    }
    int[] kd = xd.clone();
    for (int a : axes) {
      kd[a] = 1;
    }
    int outSize = t.shape().intSize();
    double[] acc = new double[outSize];
    double init =
        switch (fn) {
          case SUM, MEAN -> 0;
          case PROD -> 1;
          case MAX -> Double.NEGATIVE_INFINITY;
          case MIN -> Double.POSITIVE_INFINITY;
        };
    Arrays.fill(acc, init);
    for (int f = 0; f < x.data().length; f++) {
      int[] idx = unravel(f, xd);
      for (int i = 0; i < idx.length; i++) {
        if (reduced[i]) {
          idx[i] = 0;
        }
      }
      int o = ravel(idx, kd);
      double v = x.data()[f];
      acc[o] =
          switch (fn) {
            case SUM, MEAN -> acc[o] + v;
            case PROD -> acc[o] * v;
            case MAX -> Double.isNaN(v) || v > acc[o] ? v : acc[o];
            case MIN -> Double.isNaN(v) || v < acc[o] ? v : acc[o];
          };
    }
    for (int i = 0; i < outSize; i++) {
      acc[i] = round(t.dtype(), fn == ReduceFn.MEAN ? acc[i] / count : acc[i]);
    }
    return new Buf(t, acc);
  }

  static Buf argReduce(ReductionOp.ArgReduce a, TensorType t, Buf x) {
    int[] xd = x.shape().dims();
    int axis = a.axis();
    int[] kd = xd.clone();
    kd[axis] = 1;
    double[] best = new double[t.shape().intSize()];
    double[] out = new double[best.length];
    Arrays.fill(best, Double.NaN);
    for (int f = 0; f < x.data().length; f++) {
      int[] idx = unravel(f, xd);
      int pos = idx[axis];
      idx[axis] = 0;
      int o = ravel(idx, kd);
      double v = x.data()[f];
      boolean better =
          pos == 0
              || (!Double.isNaN(best[o])
                  && (Double.isNaN(v) || (a.fn() == ArgFn.ARGMAX ? v > best[o] : v < best[o])));
      if (better) {
        best[o] = v;
        out[o] = pos;
      }
    }
    return new Buf(t, out);
  }

  // ---------------------------------------------------------------- linear algebra

  static Buf matmul(LinalgOp.MatMul m, TensorType t, Buf a, Buf b) {
    int[] od = t.shape().dims();
    int r = od.length;
    int rows = od[r - 2];
    int cols = od[r - 1];
    int k = a.shape().dim(m.transposeA() ? -2 : -1);
    int[] ad = a.shape().dims();
    int[] bd = b.shape().dims();
    double[] out = new double[t.shape().intSize()];
    for (int f = 0; f < out.length; f++) {
      int[] oi = unravel(f, od);
      int i = oi[r - 2];
      int j = oi[r - 1];
      double s = 0;
      for (int p = 0; p < k; p++) {
        s +=
            a.data()[batchIndex(oi, ad, m.transposeA() ? p : i, m.transposeA() ? i : p)]
                * b.data()[batchIndex(oi, bd, m.transposeB() ? j : p, m.transposeB() ? p : j)];
      }
      out[f] = round(t.dtype(), s);
    }
    if (rows < 0 || cols < 0) {
      throw new IllegalStateException("unknown matmul dimensions");
    }
    return new Buf(t, out);
  }

  /** Flat index into an operand of shape {@code d} at output batch index {@code oi}, row, col. */
  private static int batchIndex(int[] oi, int[] d, int row, int col) {
    int r = d.length;
    int extra = oi.length - r;
    int flat = 0;
    for (int i = 0; i < r - 2; i++) {
      int v = d[i] == 1 ? 0 : oi[i + extra];
      flat = flat * d[i] + v;
    }
    flat = flat * d[r - 2] + row;
    return flat * d[r - 1] + col;
  }

  // ---------------------------------------------------------------- shape ops

  static Buf iota(TensorType t, int axis) {
    int[] d = t.shape().dims();
    int a = t.shape().normalizeAxis(axis);
    double[] out = new double[t.shape().intSize()];
    for (int f = 0; f < out.length; f++) {
      out[f] = round(t.dtype(), unravel(f, d)[a]);
    }
    return new Buf(t, out);
  }

  static Buf transpose(int[] perm, TensorType t, Buf x) {
    int[] od = t.shape().dims();
    int[] xd = x.shape().dims();
    int[] xi = new int[xd.length];
    double[] out = new double[x.data().length];
    for (int f = 0; f < out.length; f++) {
      int[] oi = unravel(f, od);
      for (int i = 0; i < perm.length; i++) {
        xi[perm[i]] = oi[i];
      }
      out[f] = x.data()[ravel(xi, xd)];
    }
    return new Buf(t, out);
  }

  static Buf stridedSlice(int[] begin, int[] strides, TensorType t, Buf x) {
    int[] od = t.shape().dims();
    int[] xd = x.shape().dims();
    int[] xi = new int[xd.length];
    double[] out = new double[t.shape().intSize()];
    for (int f = 0; f < out.length; f++) {
      int[] oi = unravel(f, od);
      for (int i = 0; i < xi.length; i++) {
        xi[i] = begin[i] + oi[i] * strides[i];
      }
      out[f] = x.data()[ravel(xi, xd)];
    }
    return new Buf(t, out);
  }

  static Buf concat(int axis, TensorType t, List<Buf> xs) {
    int[] od = t.shape().dims();
    double[] out = new double[t.shape().intSize()];
    int offset = 0;
    for (Buf x : xs) {
      int[] xd = x.shape().dims();
      for (int f = 0; f < x.data().length; f++) {
        int[] idx = unravel(f, xd);
        idx[axis] += offset;
        out[ravel(idx, od)] = x.data()[f];
      }
      offset += xd[axis];
    }
    return new Buf(t, out);
  }

  static Buf pad(ShapeOp.Pad p, TensorType t, Buf x) {
    int[] od = t.shape().dims();
    int[] xd = x.shape().dims();
    double[] out = new double[t.shape().intSize()];
    Arrays.fill(out, round(t.dtype(), p.value()));
    for (int f = 0; f < x.data().length; f++) {
      int[] idx = unravel(f, xd);
      for (int i = 0; i < idx.length; i++) {
        idx[i] += p.low()[i];
      }
      out[ravel(idx, od)] = x.data()[f];
    }
    return new Buf(t, out);
  }

  static Buf gather(int axis, TensorType t, Buf params, Buf indices) {
    int[] pd = params.shape().dims();
    int[] od = t.shape().dims();
    int ir = indices.shape().rank();
    int[] id = indices.shape().dims();
    double[] out = new double[t.shape().intSize()];
    int[] pi = new int[pd.length];
    int[] ii = new int[ir];
    for (int f = 0; f < out.length; f++) {
      int[] oi = unravel(f, od);
      System.arraycopy(oi, axis, ii, 0, ir);
      long raw = (long) indices.data()[ir == 0 ? 0 : ravel(ii, id)];
      for (int i = 0; i < axis; i++) {
        pi[i] = oi[i];
      }
      pi[axis] = (int) Math.clamp(raw, 0, pd[axis] - 1);
      for (int i = axis + 1; i < pd.length; i++) {
        pi[i] = oi[i - 1 + ir];
      }
      out[f] = params.data()[ravel(pi, pd)];
    }
    return new Buf(t, out);
  }

  static Buf scatterAdd(int axis, TensorType t, Buf target, Buf indices, Buf updates) {
    int[] td = target.shape().dims();
    int[] ud = updates.shape().dims();
    int ir = indices.shape().rank();
    int[] id = indices.shape().dims();
    double[] out = target.data().clone();
    int[] ti = new int[td.length];
    int[] ii = new int[ir];
    for (int f = 0; f < updates.data().length; f++) {
      int[] ui = unravel(f, ud);
      System.arraycopy(ui, axis, ii, 0, ir);
      long raw = (long) indices.data()[ir == 0 ? 0 : ravel(ii, id)];
      if (raw < 0 || raw >= td[axis]) {
        continue;
      }
      for (int i = 0; i < axis; i++) {
        ti[i] = ui[i];
      }
      ti[axis] = (int) raw;
      for (int i = axis + 1; i < td.length; i++) {
        ti[i] = ui[i - 1 + ir];
      }
      int o = ravel(ti, td);
      out[o] = out[o] + updates.data()[f];
    }
    for (int i = 0; i < out.length; i++) {
      out[i] = round(t.dtype(), out[i]);
    }
    return new Buf(t, out);
  }

  static Buf oneHot(int depth, TensorType t, Buf indices) {
    double[] out = new double[t.shape().intSize()];
    for (int i = 0; i < indices.data().length; i++) {
      long k = (long) indices.data()[i];
      if (k >= 0 && k < depth) {
        out[i * depth + (int) k] = 1;
      }
    }
    return new Buf(t, out);
  }

  static Buf random(SourceOp.Random r, TensorType t, Buf seed) {
    long key = (long) seed.data()[0];
    long counter = (long) seed.data()[1];
    double[] out = new double[t.shape().intSize()];
    for (int i = 0; i < out.length; i++) {
      double v =
          switch (r.distribution()) {
            case UNIFORM -> r.a() + (r.b() - r.a()) * Philox.uniform(key, counter, i);
            case NORMAL -> r.a() + r.b() * Philox.normal(key, counter, i);
            case BERNOULLI -> Philox.uniform(key, counter, i) < r.a() ? 1 : 0;
          };
      out[i] = round(t.dtype(), v);
    }
    return new Buf(t, out);
  }

  // ---------------------------------------------------------------- control flow

  private List<Buf> scan(ControlFlowOp.Scan s, List<TensorType> types, List<Buf> x) {
    int k = s.numCarries();
    int m = s.numSequences();
    List<Buf> carries = new ArrayList<>(x.subList(0, k));
    List<Buf> seqs = x.subList(k, k + m);
    List<Buf> consts = x.subList(k + m, x.size());
    int numY = types.size() - k;
    double[][] ys = new double[numY][];
    for (int j = 0; j < numY; j++) {
      ys[j] = new double[types.get(k + j).shape().intSize()];
    }
    Graph body = s.body();
    for (int step = 0; step < s.length(); step++) {
      int t = s.reverse() ? s.length() - 1 - step : step;
      List<Buf> args = new ArrayList<>(carries);
      for (Buf seq : seqs) {
        int per = seq.data().length / s.length();
        TensorType st = body.inputs().get(args.size()).type();
        args.add(new Buf(st, Arrays.copyOfRange(seq.data(), t * per, (t + 1) * per)));
      }
      args.addAll(consts);
      Map<Value, Buf> env = evaluate(body, args, Map.of());
      for (int i = 0; i < k; i++) {
        carries.set(i, env.get(body.outputs().get(i)));
      }
      for (int j = 0; j < numY; j++) {
        double[] y = env.get(body.outputs().get(k + j)).data();
        System.arraycopy(y, 0, ys[j], t * y.length, y.length);
      }
    }
    List<Buf> out = new ArrayList<>(carries);
    for (int j = 0; j < numY; j++) {
      out.add(new Buf(types.get(k + j), ys[j]));
    }
    return out;
  }

  // ---------------------------------------------------------------- composites, directly

  /** Applies {@code f} to each 1-D lane along {@code axis}, writing a lane of the same length. */
  interface LaneFn {
    void apply(double[] in, double[] out);
  }

  static Buf lanes(int axis, TensorType t, Buf x, LaneFn f) {
    int[] d = x.shape().dims();
    int a = x.shape().normalizeAxis(axis);
    int n = d[a];
    long stride = x.shape().strides()[a];
    double[] out = new double[x.data().length];
    double[] lin = new double[n];
    double[] lout = new double[n];
    for (int f0 = 0; f0 < out.length; f0++) {
      if (unravel(f0, d)[a] != 0) {
        continue;
      }
      for (int i = 0; i < n; i++) {
        lin[i] = x.data()[(int) (f0 + i * stride)];
      }
      f.apply(lin, lout);
      for (int i = 0; i < n; i++) {
        out[(int) (f0 + i * stride)] = round(t.dtype(), lout[i]);
      }
    }
    return new Buf(t, out);
  }

  static Buf softmax(int axis, TensorType t, Buf x, boolean log) {
    return lanes(
        axis,
        t,
        x,
        (in, out) -> {
          double max = Double.NEGATIVE_INFINITY;
          for (double v : in) {
            max = Math.max(max, v);
          }
          double sum = 0;
          for (double v : in) {
            sum += Math.exp(v - max);
          }
          for (int i = 0; i < in.length; i++) {
            out[i] = log ? in[i] - max - Math.log(sum) : Math.exp(in[i] - max) / sum;
          }
        });
  }

  static Buf logSumExp(int[] axes, TensorType t, Buf x) {
    int[] ax = axes.clone();
    for (int i = 0; i < ax.length; i++) {
      ax[i] = x.shape().normalizeAxis(ax[i]);
    }
    Arrays.sort(ax);
    TensorType f64 = new TensorType(DType.FLOAT64, t.shape());
    Buf max = reduce(ReduceFn.MAX, ax, new TensorType(DType.FLOAT64, keep(x.shape(), ax)), x);
    Buf mb = broadcast(max, x.shape());
    double[] e = new double[x.data().length];
    for (int i = 0; i < e.length; i++) {
      e[i] = Math.exp(x.data()[i] - mb.data()[i]);
    }
    Buf sum =
        reduce(
            ReduceFn.SUM,
            ax,
            new TensorType(DType.FLOAT64, keep(x.shape(), ax)),
            new Buf(new TensorType(DType.FLOAT64, x.shape()), e));
    double[] out = new double[sum.data().length];
    for (int i = 0; i < out.length; i++) {
      out[i] = round(t.dtype(), Math.log(sum.data()[i]) + max.data()[i]);
    }
    return new Buf(new TensorType(t.dtype(), f64.shape()), out);
  }

  private static Shape keep(Shape s, int[] axes) {
    int[] d = s.dims();
    for (int a : axes) {
      d[a] = 1;
    }
    return Shape.of(d);
  }

  static Buf softmaxCrossEntropy(int axis, TensorType t, Buf logits, Buf labels) {
    TensorType f64 = new TensorType(DType.FLOAT64, logits.shape());
    Buf lsm = softmax(axis, f64, logits, true);
    double[] prod = new double[lsm.data().length];
    for (int i = 0; i < prod.length; i++) {
      prod[i] = -labels.data()[i] * lsm.data()[i];
    }
    int a = logits.shape().normalizeAxis(axis);
    return reduce(ReduceFn.SUM, new int[] {a}, t, new Buf(f64, prod));
  }

  static Buf sigmoidCrossEntropy(TensorType t, Buf logits, Buf labels) {
    Buf x = broadcast(logits, t.shape());
    Buf z = broadcast(labels, t.shape());
    double[] out = new double[x.data().length];
    for (int i = 0; i < out.length; i++) {
      double p = 1 / (1 + Math.exp(-x.data()[i]));
      double v = x.data()[i];
      // -z log p - (1 - z) log(1 - p), written with log-sigmoid to stay finite for large |x|.
      double logP = -Math.log1p(Math.exp(-Math.abs(v))) + Math.min(v, 0);
      double log1mP = -Math.log1p(Math.exp(-Math.abs(v))) + Math.min(-v, 0);
      out[i] = round(t.dtype(), -z.data()[i] * logP - (1 - z.data()[i]) * log1mP);
      if (Double.isNaN(p)) {
        out[i] = Double.NaN;
      }
    }
    return new Buf(t, out);
  }

  private static double[] channelStats(Buf x, int axis, boolean variance, double[] mean) {
    int[] d = x.shape().dims();
    int c = d[axis];
    double[] acc = new double[c];
    long count = x.data().length / Math.max(c, 1);
    for (int f = 0; f < x.data().length; f++) {
      int ch = unravel(f, d)[axis];
      double v = x.data()[f];
      acc[ch] += variance ? (v - mean[ch]) * (v - mean[ch]) : v;
    }
    for (int i = 0; i < c; i++) {
      acc[i] /= count;
    }
    return acc;
  }

  private List<Buf> batchNormTraining(
      CompositeOp.BatchNormTraining bn, List<TensorType> types, List<Buf> x) {
    Buf in = x.get(0);
    int a = in.shape().normalizeAxis(bn.axis());
    double[] mean = channelStats(in, a, false, null);
    double[] var = channelStats(in, a, true, mean);
    Buf y =
        normalizeChannels(
            types.get(0), in, a, mean, var, x.get(1).data(), x.get(2).data(), bn.epsilon());
    double[] m = new double[mean.length];
    double[] v = new double[var.length];
    for (int i = 0; i < m.length; i++) {
      m[i] = round(types.get(1).dtype(), mean[i]);
      v[i] = round(types.get(2).dtype(), var[i]);
    }
    return List.of(y, new Buf(types.get(1), m), new Buf(types.get(2), v));
  }

  /** The textbook batch-norm backward pass, plus the terms from the statistics' cotangents. */
  private static List<Buf> batchNormTrainingGrad(
      CompositeOp.BatchNormTrainingGrad bn, List<TensorType> types, List<Buf> x) {
    Buf in = x.get(0);
    int[] d = in.shape().dims();
    int a = in.shape().normalizeAxis(bn.axis());
    int c = d[a];
    double n = (double) in.data().length / c;
    double[] gamma = x.get(1).data();
    double[] mean = x.get(2).data();
    double[] dy = x.get(4).data();
    double[] inv = new double[c];
    for (int i = 0; i < c; i++) {
      inv[i] = 1 / Math.sqrt(x.get(3).data()[i] + bn.epsilon());
    }
    double[] sumDy = new double[c];
    double[] sumDyXhat = new double[c];
    for (int f = 0; f < dy.length; f++) {
      int ch = unravel(f, d)[a];
      sumDy[ch] += dy[f];
      sumDyXhat[ch] += dy[f] * (in.data()[f] - mean[ch]) * inv[ch];
    }
    double[] dx = new double[dy.length];
    for (int f = 0; f < dx.length; f++) {
      int ch = unravel(f, d)[a];
      double xc = in.data()[f] - mean[ch];
      double v =
          gamma[ch] * inv[ch] / n * (n * dy[f] - sumDy[ch] - xc * inv[ch] * sumDyXhat[ch])
              + x.get(5).data()[ch] / n
              + 2 * x.get(6).data()[ch] * xc / n;
      dx[f] = round(types.get(0).dtype(), v);
    }
    double[] dgamma = new double[c];
    double[] dbeta = new double[c];
    for (int i = 0; i < c; i++) {
      dgamma[i] = round(types.get(1).dtype(), sumDyXhat[i]);
      dbeta[i] = round(types.get(2).dtype(), sumDy[i]);
    }
    return List.of(
        new Buf(types.get(0), dx), new Buf(types.get(1), dgamma), new Buf(types.get(2), dbeta));
  }

  private static List<Buf> adamUpdate(CompositeOp.AdamUpdate a, TensorType t, List<Buf> x) {
    double[] w = x.get(0).data();
    double[] g = x.get(1).data();
    double[] m = x.get(2).data();
    double[] v = x.get(3).data();
    double alpha = x.get(4).data()[0];
    double[] w2 = new double[w.length];
    double[] m2 = new double[w.length];
    double[] v2 = new double[w.length];
    for (int i = 0; i < w.length; i++) {
      double mi = m[i] + (g[i] - m[i]) * (1 - a.beta1());
      double vi = v[i] + (g[i] * g[i] - v[i]) * (1 - a.beta2());
      m2[i] = round(t.dtype(), mi);
      v2[i] = round(t.dtype(), vi);
      w2[i] = round(t.dtype(), w[i] - mi * alpha / (Math.sqrt(vi) + a.epsilon()));
    }
    return List.of(new Buf(t, w2), new Buf(t, m2), new Buf(t, v2));
  }

  private static Buf batchNormInference(
      CompositeOp.BatchNormInference bn, TensorType t, List<Buf> x) {
    Buf in = x.get(0);
    int a = in.shape().normalizeAxis(bn.axis());
    return normalizeChannels(
        t, in, a, x.get(1).data(), x.get(2).data(), x.get(3).data(), x.get(4).data(), bn.epsilon());
  }

  private static Buf normalizeChannels(
      TensorType t,
      Buf x,
      int axis,
      double[] mean,
      double[] var,
      double[] gamma,
      double[] beta,
      double eps) {
    int[] d = x.shape().dims();
    double[] out = new double[x.data().length];
    for (int f = 0; f < out.length; f++) {
      int c = unravel(f, d)[axis];
      double v = (x.data()[f] - mean[c]) / Math.sqrt(var[c] + eps);
      out[f] = round(t.dtype(), v * gamma[c] + beta[c]);
    }
    return new Buf(t, out);
  }

  private static Buf layerNorm(CompositeOp.LayerNorm ln, TensorType t, List<Buf> x) {
    Buf in = x.get(0);
    int[] d = in.shape().dims();
    int[] ax = ln.axes().clone();
    for (int i = 0; i < ax.length; i++) {
      ax[i] = in.shape().normalizeAxis(ax[i]);
    }
    Arrays.sort(ax);
    boolean[] norm = new boolean[d.length];
    int[] pd = new int[ax.length];
    for (int i = 0; i < ax.length; i++) {
      norm[ax[i]] = true;
      pd[i] = d[ax[i]];
    }
    int[] gd = d.clone();
    for (int a : ax) {
      gd[a] = 1;
    }
    int groups = 1;
    for (int g : gd) {
      groups *= g;
    }
    double[] sum = new double[groups];
    double[] sq = new double[groups];
    int per = in.data().length / groups;
    int[] group = new int[in.data().length];
    int[] param = new int[in.data().length];
    int[] pi = new int[ax.length];
    for (int f = 0; f < in.data().length; f++) {
      int[] idx = unravel(f, d);
      for (int i = 0; i < ax.length; i++) {
        pi[i] = idx[ax[i]];
      }
      param[f] = ravel(pi, pd);
      for (int a : ax) {
        idx[a] = 0;
      }
      group[f] = ravel(idx, gd);
      sum[group[f]] += in.data()[f];
    }
    for (int f = 0; f < in.data().length; f++) {
      double c = in.data()[f] - sum[group[f]] / per;
      sq[group[f]] += c * c;
    }
    double[] out = new double[in.data().length];
    for (int f = 0; f < out.length; f++) {
      double mean = sum[group[f]] / per;
      double var = sq[group[f]] / per;
      double v = (in.data()[f] - mean) / Math.sqrt(var + ln.epsilon());
      out[f] = round(t.dtype(), v * x.get(1).data()[param[f]] + x.get(2).data()[param[f]]);
    }
    return new Buf(t, out);
  }

  // ---------------------------------------------------------------- convolution and pooling

  /** N-D convolution and its backward ops, channels-last, as direct loops. */
  static final class Convolution {
    private Convolution() {}

    /** Calls {@code body(n, outSpatial, inSpatial, kernelSpatial)} for every valid tap. */
    interface Tap {
      void at(int n, int[] o, int[] i, int[] k);
    }

    static void taps(ConvSpec s, int[] xd, int[] kd, int[] od, Tap body) {
      int r = s.spatialRank();
      int[] lo = new int[r];
      for (int a = 0; a < r; a++) {
        Padding p = s.padding();
        lo[a] = p.resolve(a, xd[a + 1], kd[a], s.strides()[a], s.dilations()[a])[0];
      }
      int[] osp = Arrays.copyOfRange(od, 1, r + 1);
      int[] ksp = Arrays.copyOfRange(kd, 0, r);
      int oCount = 1;
      for (int v : osp) {
        oCount *= v;
      }
      int kCount = 1;
      for (int v : ksp) {
        kCount *= v;
      }
      int[] in = new int[r];
      for (int n = 0; n < xd[0]; n++) {
        for (int of = 0; of < oCount; of++) {
          int[] o = unravel(of, osp);
          taps:
          for (int kf = 0; kf < kCount; kf++) {
            int[] k = unravel(kf, ksp);
            for (int a = 0; a < r; a++) {
              in[a] = o[a] * s.strides()[a] - lo[a] + k[a] * s.dilations()[a];
              if (in[a] < 0 || in[a] >= xd[a + 1]) {
                continue taps;
              }
            }
            body.at(n, o, in, k);
          }
        }
      }
    }

    static int index(int n, int[] sp, int c, int[] d) {
      int flat = n;
      for (int a = 0; a < sp.length; a++) {
        flat = flat * d[a + 1] + sp[a];
      }
      return flat * d[d.length - 1] + c;
    }

    static int kindex(int[] k, int ci, int co, int[] kd) {
      int flat = 0;
      for (int a = 0; a < k.length; a++) {
        flat = flat * kd[a] + k[a];
      }
      return (flat * kd[kd.length - 2] + ci) * kd[kd.length - 1] + co;
    }

    static Buf forward(ConvSpec s, TensorType t, Buf x, Buf w) {
      int[] xd = x.shape().dims();
      int[] kd = w.shape().dims();
      int[] od = t.shape().dims();
      double[] out = new double[t.shape().intSize()];
      int cinG = kd[kd.length - 2];
      int cout = kd[kd.length - 1];
      int coutG = cout / s.groups();
      taps(
          s,
          xd,
          kd,
          od,
          (n, o, i, k) -> {
            for (int co = 0; co < cout; co++) {
              int g = co / coutG;
              double acc = 0;
              for (int ci = 0; ci < cinG; ci++) {
                acc += x.data()[index(n, i, g * cinG + ci, xd)] * w.data()[kindex(k, ci, co, kd)];
              }
              out[index(n, o, co, od)] += acc;
            }
          });
      return rounded(t, out);
    }

    static Buf backpropInput(ConvSpec s, TensorType t, Buf dy, Buf w) {
      int[] xd = t.shape().dims();
      int[] kd = w.shape().dims();
      int[] od = dy.shape().dims();
      double[] out = new double[t.shape().intSize()];
      int cinG = kd[kd.length - 2];
      int cout = kd[kd.length - 1];
      int coutG = cout / s.groups();
      taps(
          s,
          xd,
          kd,
          od,
          (n, o, i, k) -> {
            for (int co = 0; co < cout; co++) {
              int g = co / coutG;
              double gy = dy.data()[index(n, o, co, od)];
              for (int ci = 0; ci < cinG; ci++) {
                out[index(n, i, g * cinG + ci, xd)] += gy * w.data()[kindex(k, ci, co, kd)];
              }
            }
          });
      return rounded(t, out);
    }

    static Buf backpropFilter(ConvSpec s, TensorType t, Buf x, Buf dy) {
      int[] xd = x.shape().dims();
      int[] kd = t.shape().dims();
      int[] od = dy.shape().dims();
      double[] out = new double[t.shape().intSize()];
      int cinG = kd[kd.length - 2];
      int cout = kd[kd.length - 1];
      int coutG = cout / s.groups();
      taps(
          s,
          xd,
          kd,
          od,
          (n, o, i, k) -> {
            for (int co = 0; co < cout; co++) {
              int g = co / coutG;
              double gy = dy.data()[index(n, o, co, od)];
              for (int ci = 0; ci < cinG; ci++) {
                out[kindex(k, ci, co, kd)] += gy * x.data()[index(n, i, g * cinG + ci, xd)];
              }
            }
          });
      return rounded(t, out);
    }
  }

  static Buf rounded(TensorType t, double[] out) {
    for (int i = 0; i < out.length; i++) {
      out[i] = round(t.dtype(), out[i]);
    }
    return new Buf(t, out);
  }

  /** Pooling and its backward ops, channels-last. */
  static final class Pooling {
    private Pooling() {}

    /** Visits each output position with the flat input indices of its window inside the input. */
    interface Window {
      void at(int outIndex, int[] inIndices, int count);
    }

    static void windows(PoolSpec s, int[] xd, int[] od, Window body) {
      int r = s.window().length;
      int[] lo = new int[r];
      for (int a = 0; a < r; a++) {
        lo[a] = s.padding().resolve(a, xd[a + 1], s.window()[a], s.strides()[a], 1)[0];
      }
      int[] osp = Arrays.copyOfRange(od, 1, r + 1);
      int channels = xd[xd.length - 1];
      int oCount = 1;
      for (int v : osp) {
        oCount *= v;
      }
      int wCount = 1;
      for (int v : s.window()) {
        wCount *= v;
      }
      int[] in = new int[r];
      int[] idx = new int[wCount];
      for (int n = 0; n < xd[0]; n++) {
        for (int of = 0; of < oCount; of++) {
          int[] o = unravel(of, osp);
          for (int c = 0; c < channels; c++) {
            int count = 0;
            taps:
            for (int wf = 0; wf < wCount; wf++) {
              int[] k = unravel(wf, s.window());
              for (int a = 0; a < r; a++) {
                in[a] = o[a] * s.strides()[a] - lo[a] + k[a];
                if (in[a] < 0 || in[a] >= xd[a + 1]) {
                  continue taps;
                }
              }
              idx[count++] = Convolution.index(n, in, c, xd);
            }
            body.at(Convolution.index(n, o, c, od), idx, count);
          }
        }
      }
    }

    static Buf forward(PoolFn fn, PoolSpec s, TensorType t, Buf x) {
      double[] out = new double[t.shape().intSize()];
      windows(
          s,
          x.shape().dims(),
          t.shape().dims(),
          (o, idx, count) -> {
            double acc = fn == PoolFn.MAX ? Double.NEGATIVE_INFINITY : 0;
            for (int i = 0; i < count; i++) {
              double v = x.data()[idx[i]];
              acc = fn == PoolFn.MAX ? Math.max(acc, v) : acc + v;
            }
            out[o] = fn == PoolFn.MAX ? acc : acc / count;
          });
      return rounded(t, out);
    }

    static Buf maxBackward(PoolSpec s, TensorType t, Buf x, Buf dy) {
      double[] out = new double[t.shape().intSize()];
      windows(
          s,
          x.shape().dims(),
          dy.shape().dims(),
          (o, idx, count) -> {
            int best = idx[0];
            for (int i = 1; i < count; i++) {
              if (x.data()[idx[i]] > x.data()[best]) {
                best = idx[i];
              }
            }
            out[best] += dy.data()[o];
          });
      return rounded(t, out);
    }

    static Buf avgBackward(PoolSpec s, TensorType t, Buf dy) {
      double[] out = new double[t.shape().intSize()];
      windows(
          s,
          t.shape().dims(),
          dy.shape().dims(),
          (o, idx, count) -> {
            for (int i = 0; i < count; i++) {
              out[idx[i]] += dy.data()[o] / count;
            }
          });
      return rounded(t, out);
    }
  }
}
