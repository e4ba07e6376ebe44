package dev.kiln.spi.ir;

import static dev.kiln.spi.ir.Rules.arity;
import static dev.kiln.spi.ir.Rules.broadcast;
import static dev.kiln.spi.ir.Rules.checkFullyKnown;
import static dev.kiln.spi.ir.Rules.dimsAgree;
import static dev.kiln.spi.ir.Rules.normalizeAxes;
import static dev.kiln.spi.ir.Rules.normalizeAxis;
import static dev.kiln.spi.ir.Rules.requireFloat;
import static dev.kiln.spi.ir.Rules.requireInteger;
import static dev.kiln.spi.ir.Rules.requireNumeric;
import static dev.kiln.spi.ir.Rules.sameDtype;
import static dev.kiln.spi.ir.Rules.str;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * An operation of the graph IR: its attributes and its shape rule.
 *
 * <p>Each op is a record holding its attributes; {@link #infer} checks the operand types and gives
 * the result types, failing with a {@link ShapeError} that names the op and the operands. Gradient
 * rules live in {@code dev.kiln.spi.autodiff.GradientRules}, reference semantics in the test kit's
 * float64 evaluator. Ops that implement {@link Composite} also carry a decomposition into
 * primitives, so a backend may run them either way.
 *
 * <p>Layouts are channels-last, as Keras's default: convolution input {@code [N, spatial...,
 * C_in]}, kernel {@code [spatial..., C_in / groups, C_out]}, output {@code [N, spatial..., C_out]}.
 */
public sealed interface Op {

  /** The op's name in dumps and errors, snake_case ({@code matmul}, {@code conv}). */
  String name();

  /**
   * The result types for these operand types.
   *
   * @throws ShapeError if the operands do not fit; the message names the op and the types
   */
  List<TensorType> infer(List<TensorType> in);

  /** The attributes as {@code key=value} text for dumps; empty when there are none. */
  default String attributes() {
    return "";
  }

  /** An op that has a decomposition into primitive ops. */
  sealed interface Composite extends Op
      permits Softmax,
          LogSoftmax,
          LogSumExp,
          SoftmaxCrossEntropy,
          SigmoidCrossEntropy,
          BatchNormTraining,
          BatchNormInference,
          LayerNorm,
          Gelu,
          Silu,
          AdamUpdate {
    /**
     * Emits the primitive ops that compute this op.
     *
     * @param b the builder to emit into
     * @param inputs the operands, as the op received them
     * @return the results, matching {@link #infer}
     */
    List<Value> decompose(GraphBuilder b, List<Value> inputs);
  }

  private static List<TensorType> one(DType d, Shape s) {
    return List.of(new TensorType(d, s));
  }

  // ---------------------------------------------------------------- sources

  /** Graph input number {@code index}. */
  record Parameter(int index, TensorType type) implements Op {
    @Override
    public String name() {
      return "parameter";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 0);
      return List.of(type);
    }

    @Override
    public String attributes() {
      return "index=" + index;
    }
  }

  /** A constant tensor. */
  record Constant(HostTensor value) implements Op {
    @Override
    public String name() {
      return "constant";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 0);
      return List.of(value.type());
    }

    @Override
    public String attributes() {
      return value.size() == 1 ? "value=" + value.getDouble(0) : "";
    }
  }

  /** Reads the current value of the backend variable {@code id}. */
  record VariableRead(String id, TensorType type) implements Op {
    @Override
    public String name() {
      return "variable";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 0);
      return List.of(type);
    }

    @Override
    public String attributes() {
      return "id=" + id;
    }
  }

  /** The index along {@code axis} at every position of a tensor of {@code type}. */
  record Iota(TensorType type, int axis) implements Op {
    @Override
    public String name() {
      return "iota";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 0);
      checkFullyKnown(name(), "the shape", type.shape());
      requireNumeric(name(), type);
      normalizeAxis(name(), axis, type.rank(), type);
      return List.of(type);
    }

    @Override
    public String attributes() {
      return "axis=" + axis;
    }
  }

  /** The distribution a random op draws from. */
  enum Distribution {
    /** Uniform on {@code [a, b)}. */
    UNIFORM,
    /** Normal with mean {@code a} and standard deviation {@code b}. */
    NORMAL,
    /** 1 with probability {@code a}, else 0. */
    BERNOULLI
  }

  /**
   * Random numbers from the counter-based Philox generator (see {@code dev.kiln.spi.random.Philox})
   * keyed by its one operand, an int64 seed of shape {@code (2,)}: {@code [key, counter]}. The same
   * seed gives the same numbers on every backend and device.
   */
  record Random(Distribution distribution, TensorType type, double a, double b) implements Op {
    @Override
    public String name() {
      return "random_" + distribution.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      TensorType seed = in.get(0);
      if (seed.dtype() != DType.INT64 || !seed.shape().equals(Shape.of(2))) {
        throw new ShapeError(name(), "the seed must be int64(2,) but received " + seed);
      }
      checkFullyKnown(name(), "the shape", type.shape());
      if (distribution != Distribution.BERNOULLI) {
        requireFloat(name(), type);
      }
      return List.of(type);
    }

    @Override
    public String attributes() {
      return switch (distribution) {
        case UNIFORM -> "low=" + a + ", high=" + b;
        case NORMAL -> "mean=" + a + ", stddev=" + b;
        case BERNOULLI -> "p=" + a;
      };
    }
  }

  // ---------------------------------------------------------------- elementwise

  /** Elementwise functions of one operand. */
  enum UnaryFn {
    NEG,
    ABS,
    SIGN,
    EXP,
    EXPM1,
    LOG,
    LOG1P,
    SQRT,
    RSQRT,
    SQUARE,
    RECIPROCAL,
    SIN,
    COS,
    TANH,
    SIGMOID,
    ERF,
    FLOOR,
    CEIL,
    ROUND,
    LOGICAL_NOT;

    /** True where the function is defined only on floating-point values. */
    public boolean floatOnly() {
      return switch (this) {
        case NEG, ABS, SIGN, SQUARE, LOGICAL_NOT -> false;
        default -> true;
      };
    }
  }

  /** An elementwise function of one operand; the result has the operand's type. */
  record Unary(UnaryFn fn) implements Op {
    @Override
    public String name() {
      return fn.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      TensorType x = in.get(0);
      if (fn == UnaryFn.LOGICAL_NOT) {
        if (!x.dtype().isBool()) {
          throw new ShapeError(name(), "expects a bool operand but received " + x);
        }
      } else if (fn.floatOnly()) {
        requireFloat(name(), x);
      } else {
        requireNumeric(name(), x);
      }
      return List.of(x);
    }
  }

  /** Elementwise functions of two operands. */
  enum BinaryFn {
    ADD,
    SUB,
    MUL,
    /** True division for floats; for integers, division rounding toward negative infinity. */
    DIV,
    POW,
    MAX,
    MIN,
    /** Remainder with the sign of the divisor, as Python's {@code %}. */
    MOD,
    LOGICAL_AND,
    LOGICAL_OR,
    LOGICAL_XOR;

    /** True for the three logical functions, which take bools. */
    public boolean logical() {
      return this == LOGICAL_AND || this == LOGICAL_OR || this == LOGICAL_XOR;
    }
  }

  /** An elementwise function of two operands of one dtype, with numpy broadcasting. */
  record Binary(BinaryFn fn) implements Op {
    @Override
    public String name() {
      return fn.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 2);
      DType d = sameDtype(name(), in);
      if (fn.logical() != d.isBool()) {
        throw new ShapeError(
            name(),
            (fn.logical() ? "expects bool operands" : "expects numeric operands")
                + " but received "
                + in);
      }
      if (fn == BinaryFn.POW) {
        requireFloat(name(), in.get(0));
      }
      return one(d, broadcast(name(), in.get(0), in.get(1)));
    }
  }

  /** Elementwise comparisons. */
  enum CompareFn {
    EQUAL,
    NOT_EQUAL,
    LESS,
    LESS_EQUAL,
    GREATER,
    GREATER_EQUAL
  }

  /** An elementwise comparison with broadcasting; the result is bool. It has no gradient. */
  record Compare(CompareFn fn) implements Op {
    @Override
    public String name() {
      return fn.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 2);
      sameDtype(name(), in);
      return one(DType.BOOL, broadcast(name(), in.get(0), in.get(1)));
    }
  }

  /** {@code cond ? a : b} elementwise with broadcasting of all three; {@code cond} is bool. */
  record Select() implements Op {
    @Override
    public String name() {
      return "select";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 3);
      if (!in.get(0).dtype().isBool()) {
        throw new ShapeError(name(), "the condition must be bool but received " + in.get(0));
      }
      DType d = sameDtype(name(), in.subList(1, 3));
      Shape s = broadcast(name(), in.get(1), in.get(2));
      s = broadcast(name(), in.get(0), new TensorType(d, s));
      return one(d, s);
    }
  }

  /**
   * Converts to another dtype. Floats become integers toward zero, saturating, NaN to 0; integers
   * narrow by wrapping; nonzero becomes true.
   */
  record Cast(DType to) implements Op {
    @Override
    public String name() {
      return "cast";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      return one(to, in.get(0).shape());
    }

    @Override
    public String attributes() {
      return "to=" + to;
    }
  }

  // ---------------------------------------------------------------- reductions

  /** Reduction functions. */
  enum ReduceFn {
    SUM,
    MEAN,
    MAX,
    MIN,
    PROD
  }

  /**
   * Reduces over {@code axes} (normalized: sorted, unique, non-negative), keeping them as size 1
   * when {@code keepDims}.
   */
  record Reduce(ReduceFn fn, int[] axes, boolean keepDims) implements Op {
    @Override
    public String name() {
      return "reduce_" + fn.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      TensorType x = in.get(0);
      requireNumeric(name(), x);
      if (fn == ReduceFn.MEAN) {
        requireFloat(name(), x);
      }
      int[] ax = normalizeAxes(name(), axes, x);
      if (!Arrays.equals(ax, axes)) {
        throw new ShapeError(name(), "axes must be normalized; received " + str(axes));
      }
      return one(x.dtype(), reducedShape(x.shape(), axes, keepDims));
    }

    @Override
    public String attributes() {
      return "axes=" + str(axes) + ", keep_dims=" + keepDims;
    }
  }

  /** The shape after reducing {@code axes} (sorted). */
  static Shape reducedShape(Shape s, int[] axes, boolean keepDims) {
    List<Integer> out = new ArrayList<>();
    int k = 0;
    for (int i = 0; i < s.rank(); i++) {
      if (k < axes.length && axes[k] == i) {
        k++;
        if (keepDims) {
          out.add(1);
        }
      } else {
        out.add(s.dim(i));
      }
    }
    return Shape.of(out.stream().mapToInt(Integer::intValue).toArray());
  }

  /** Index-of-extreme functions. */
  enum ArgFn {
    ARGMAX,
    ARGMIN
  }

  /**
   * The index of the largest (smallest) element along {@code axis}, the first on ties, as int32 or
   * int64. No gradient.
   */
  record ArgReduce(ArgFn fn, int axis, boolean keepDims, DType indexType) implements Op {
    @Override
    public String name() {
      return fn.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      TensorType x = in.get(0);
      requireNumeric(name(), x);
      if (indexType != DType.INT32 && indexType != DType.INT64) {
        throw new ShapeError(name(), "the index type must be int32 or int64, not " + indexType);
      }
      int a = normalizeAxis(name(), axis, x.rank(), x);
      if (a != axis) {
        throw new ShapeError(name(), "axis must be normalized; received " + axis);
      }
      return one(indexType, reducedShape(x.shape(), new int[] {axis}, keepDims));
    }

    @Override
    public String attributes() {
      return "axis=" + axis + ", keep_dims=" + keepDims;
    }
  }

  // ---------------------------------------------------------------- linear algebra

  /**
   * Batched matrix product of operands of rank ≥ 2: {@code op(a) @ op(b)} over the last two axes,
   * where {@code op} transposes those two axes when asked; leading (batch) axes broadcast.
   */
  record MatMul(boolean transposeA, boolean transposeB) implements Op {
    @Override
    public String name() {
      return "matmul";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 2);
      DType d = sameDtype(name(), in);
      requireNumeric(name(), in.get(0));
      TensorType a = in.get(0);
      TensorType b = in.get(1);
      if (a.rank() < 2 || b.rank() < 2) {
        throw new ShapeError(
            name(),
            "operands must have rank >= 2; received shapes " + a.shape() + " and " + b.shape());
      }
      int m = a.shape().dim(transposeA ? -1 : -2);
      int ka = a.shape().dim(transposeA ? -2 : -1);
      int kb = b.shape().dim(transposeB ? -1 : -2);
      int n = b.shape().dim(transposeB ? -2 : -1);
      if (!dimsAgree(ka, kb)) {
        throw new ShapeError(
            name(),
            "inner dimensions differ: shapes "
                + a.shape()
                + (transposeA ? " (transposed)" : "")
                + " and "
                + b.shape()
                + (transposeB ? " (transposed)" : "")
                + " give "
                + ka
                + " vs "
                + kb);
      }
      Shape batch =
          broadcast(
              name(), new TensorType(d, batchOf(a.shape())), new TensorType(d, batchOf(b.shape())));
      int[] out = Arrays.copyOf(batch.dims(), batch.rank() + 2);
      out[batch.rank()] = m;
      out[batch.rank() + 1] = n;
      return one(d, Shape.of(out));
    }

    private static Shape batchOf(Shape s) {
      return Shape.of(Arrays.copyOf(s.dims(), s.rank() - 2));
    }

    @Override
    public String attributes() {
      return "transpose_a=" + transposeA + ", transpose_b=" + transposeB;
    }
  }

  // ---------------------------------------------------------------- convolution and pooling

  /**
   * The geometry of an N-D convolution, shared by the forward op and its two backward ops.
   *
   * @param strides per spatial axis, each ≥ 1
   * @param padding spatial padding
   * @param dilations per spatial axis, each ≥ 1
   * @param groups number of channel groups (depthwise when it equals the input channels)
   */
  record ConvSpec(int[] strides, Padding padding, int[] dilations, int groups) {
    /** Validates the spec on its own. */
    public ConvSpec {
      strides = strides.clone();
      dilations = dilations.clone();
      if (strides.length != dilations.length) {
        throw new IllegalArgumentException(
            "strides " + str(strides) + " and dilations " + str(dilations) + " differ in length");
      }
      for (int i = 0; i < strides.length; i++) {
        if (strides[i] < 1 || dilations[i] < 1) {
          throw new IllegalArgumentException(
              "strides and dilations must be >= 1; received strides="
                  + str(strides)
                  + " dilations="
                  + str(dilations));
        }
      }
      if (groups < 1) {
        throw new IllegalArgumentException("groups must be >= 1; received groups=" + groups);
      }
    }

    /** A spec with stride and dilation 1 on each of {@code rank} spatial axes and one group. */
    public static ConvSpec simple(int rank, Padding padding) {
      int[] ones = new int[rank];
      Arrays.fill(ones, 1);
      return new ConvSpec(ones, padding, ones, 1);
    }

    /** The number of spatial axes. */
    public int spatialRank() {
      return strides.length;
    }

    /** The output shape, after checking input and kernel. */
    Shape outputShape(String op, Shape x, Shape w) {
      int r = spatialRank();
      if (x.rank() != r + 2 || w.rank() != r + 2) {
        throw new ShapeError(
            op,
            "a "
                + r
                + "-D convolution expects input of rank "
                + (r + 2)
                + " and kernel of rank "
                + (r + 2)
                + "; received input "
                + x
                + " and kernel "
                + w);
      }
      if (padding.mode() == Padding.Mode.EXPLICIT && padding.low().length != r) {
        throw new ShapeError(op, "explicit padding needs " + r + " pairs, got " + padding);
      }
      int cin = x.dim(-1);
      int cout = w.dim(-1);
      if (cin != Shape.UNKNOWN && (cin % groups != 0 || !dimsAgree(w.dim(-2) * groups, cin))) {
        throw new ShapeError(
            op,
            "input channels "
                + cin
                + " must equal kernel input channels "
                + w.dim(-2)
                + " times groups "
                + groups
                + "; received input "
                + x
                + " and kernel "
                + w);
      }
      if (cout % groups != 0) {
        throw new ShapeError(
            op,
            "output channels "
                + cout
                + " must be divisible by groups "
                + groups
                + " (kernel "
                + w
                + ")");
      }
      int[] out = new int[r + 2];
      out[0] = x.dim(0);
      out[r + 1] = cout;
      for (int i = 0; i < r; i++) {
        int in = x.dim(i + 1);
        if (in == Shape.UNKNOWN) {
          out[i + 1] = Shape.UNKNOWN;
          continue;
        }
        int o = padding.outputSize(i, in, w.dim(i), strides[i], dilations[i]);
        if (o <= 0) {
          throw new ShapeError(
              op,
              "the kernel "
                  + w
                  + " with dilation "
                  + str(dilations)
                  + " does not fit the input "
                  + x
                  + " with padding "
                  + padding
                  + " on spatial axis "
                  + i);
        }
        out[i + 1] = o;
      }
      return Shape.of(out);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ConvSpec c
          && Arrays.equals(c.strides, strides)
          && c.padding.equals(padding)
          && Arrays.equals(c.dilations, dilations)
          && c.groups == groups;
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(strides) ^ padding.hashCode() ^ Arrays.hashCode(dilations) ^ groups;
    }

    @Override
    public String toString() {
      return "strides="
          + str(strides)
          + ", padding="
          + padding
          + ", dilations="
          + str(dilations)
          + ", groups="
          + groups;
    }
  }

  /** N-D convolution (cross-correlation, as Keras) of {@code x} with kernel {@code w}. */
  record Conv(ConvSpec spec) implements Op {
    @Override
    public String name() {
      return "conv";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 2);
      DType d = sameDtype(name(), in);
      requireFloat(name(), in.get(0));
      return one(d, spec.outputShape(name(), in.get(0).shape(), in.get(1).shape()));
    }

    @Override
    public String attributes() {
      return spec.toString();
    }
  }

  /**
   * The gradient of {@link Conv} with respect to its input: from {@code (dy, w)} to {@code dx} of
   * shape {@code inputShape}.
   */
  record ConvBackpropInput(ConvSpec spec, Shape inputShape) implements Op {
    @Override
    public String name() {
      return "conv_backprop_input";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 2);
      DType d = sameDtype(name(), in);
      requireFloat(name(), in.get(0));
      Shape x = inputShape.withDim(0, in.get(0).shape().dim(0));
      Shape y = spec.outputShape(name(), x, in.get(1).shape());
      if (!y.isCompatibleWith(in.get(0).shape())) {
        throw new ShapeError(
            name(),
            "dy "
                + in.get(0)
                + " does not match the forward output shape "
                + y
                + " for input "
                + x);
      }
      return one(d, x);
    }

    @Override
    public String attributes() {
      return spec + ", input_shape=" + inputShape;
    }
  }

  /**
   * The gradient of {@link Conv} with respect to its kernel: from {@code (x, dy)} to {@code dw} of
   * shape {@code filterShape}.
   */
  record ConvBackpropFilter(ConvSpec spec, Shape filterShape) implements Op {
    @Override
    public String name() {
      return "conv_backprop_filter";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 2);
      DType d = sameDtype(name(), in);
      requireFloat(name(), in.get(0));
      Shape y = spec.outputShape(name(), in.get(0).shape(), filterShape);
      if (!y.isCompatibleWith(in.get(1).shape())) {
        throw new ShapeError(
            name(),
            "dy "
                + in.get(1)
                + " does not match the forward output shape "
                + y
                + " for input "
                + in.get(0));
      }
      return one(d, filterShape);
    }

    @Override
    public String attributes() {
      return spec + ", filter_shape=" + filterShape;
    }
  }

  /** Pooling functions. */
  enum PoolFn {
    MAX,
    /** The mean over the window's positions inside the input (padding is not counted). */
    AVG
  }

  /**
   * The geometry of N-D pooling over {@code [N, spatial..., C]}.
   *
   * @param window window size per spatial axis
   * @param strides stride per spatial axis
   * @param padding spatial padding
   */
  record PoolSpec(int[] window, int[] strides, Padding padding) {
    /** Validates the spec on its own. */
    public PoolSpec {
      window = window.clone();
      strides = strides.clone();
      if (window.length != strides.length) {
        throw new IllegalArgumentException(
            "window " + str(window) + " and strides " + str(strides) + " differ in length");
      }
      for (int i = 0; i < window.length; i++) {
        if (window[i] < 1 || strides[i] < 1) {
          throw new IllegalArgumentException(
              "window and strides must be >= 1; received window="
                  + str(window)
                  + " strides="
                  + str(strides));
        }
      }
    }

    Shape outputShape(String op, Shape x) {
      int r = window.length;
      if (x.rank() != r + 2) {
        throw new ShapeError(
            op, "a " + r + "-D pooling expects input of rank " + (r + 2) + " but received " + x);
      }
      int[] out = x.dims();
      for (int i = 0; i < r; i++) {
        int in = x.dim(i + 1);
        if (in == Shape.UNKNOWN) {
          continue;
        }
        int o = padding.outputSize(i, in, window[i], strides[i], 1);
        if (o <= 0) {
          throw new ShapeError(
              op,
              "the window "
                  + str(window)
                  + " does not fit the input "
                  + x
                  + " with padding "
                  + padding);
        }
        out[i + 1] = o;
      }
      return Shape.of(out);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof PoolSpec p
          && Arrays.equals(p.window, window)
          && Arrays.equals(p.strides, strides)
          && p.padding.equals(padding);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(window) ^ Arrays.hashCode(strides) ^ padding.hashCode();
    }

    @Override
    public String toString() {
      return "window=" + str(window) + ", strides=" + str(strides) + ", padding=" + padding;
    }
  }

  /** Max or average pooling. */
  record Pool(PoolFn fn, PoolSpec spec) implements Op {
    @Override
    public String name() {
      return fn == PoolFn.MAX ? "max_pool" : "avg_pool";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      requireFloat(name(), in.get(0));
      return one(in.get(0).dtype(), spec.outputShape(name(), in.get(0).shape()));
    }

    @Override
    public String attributes() {
      return spec.toString();
    }
  }

  /**
   * The gradient of max pooling: from {@code (x, dy)} to {@code dx}, each window's gradient going
   * to the first position of its maximum.
   */
  record MaxPoolBackward(PoolSpec spec) implements Op {
    @Override
    public String name() {
      return "max_pool_backward";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 2);
      DType d = sameDtype(name(), in);
      requireFloat(name(), in.get(0));
      Shape y = spec.outputShape(name(), in.get(0).shape());
      if (!y.isCompatibleWith(in.get(1).shape())) {
        throw new ShapeError(name(), "dy " + in.get(1) + " does not match the pooled shape " + y);
      }
      return one(d, in.get(0).shape());
    }

    @Override
    public String attributes() {
      return spec.toString();
    }
  }

  /** The gradient of average pooling: from {@code dy} to {@code dx} of shape {@code inputShape}. */
  record AvgPoolBackward(PoolSpec spec, Shape inputShape) implements Op {
    @Override
    public String name() {
      return "avg_pool_backward";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      requireFloat(name(), in.get(0));
      Shape x = inputShape.withDim(0, in.get(0).shape().dim(0));
      Shape y = spec.outputShape(name(), x);
      if (!y.isCompatibleWith(in.get(0).shape())) {
        throw new ShapeError(name(), "dy " + in.get(0) + " does not match the pooled shape " + y);
      }
      return one(in.get(0).dtype(), x);
    }

    @Override
    public String attributes() {
      return spec + ", input_shape=" + inputShape;
    }
  }

  // ---------------------------------------------------------------- shape ops

  /** The same elements in another shape of equal size. */
  record Reshape(Shape shape) implements Op {
    @Override
    public String name() {
      return "reshape";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      Shape from = in.get(0).shape();
      if (from.isFullyKnown() && shape.isFullyKnown() && from.size() != shape.size()) {
        throw new ShapeError(
            name(),
            "cannot reshape "
                + from
                + " ("
                + from.size()
                + " elements) to "
                + shape
                + " ("
                + shape.size()
                + " elements)");
      }
      return one(in.get(0).dtype(), shape);
    }

    @Override
    public String attributes() {
      return "shape=" + shape;
    }
  }

  /** Permutes the axes: output axis {@code i} is input axis {@code perm[i]}. */
  record Transpose(int[] perm) implements Op {
    @Override
    public String name() {
      return "transpose";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      Shape s = in.get(0).shape();
      boolean[] seen = new boolean[s.rank()];
      if (perm.length != s.rank()) {
        throw new ShapeError(name(), "permutation " + str(perm) + " does not fit shape " + s);
      }
      int[] out = new int[perm.length];
      for (int i = 0; i < perm.length; i++) {
        if (perm[i] < 0 || perm[i] >= s.rank() || seen[perm[i]]) {
          throw new ShapeError(name(), str(perm) + " is not a permutation of the axes of " + s);
        }
        seen[perm[i]] = true;
        out[i] = s.dim(perm[i]);
      }
      return one(in.get(0).dtype(), Shape.of(out));
    }

    @Override
    public String attributes() {
      return "perm=" + str(perm);
    }
  }

  /** Numpy's {@code broadcast_to}. */
  record BroadcastTo(Shape shape) implements Op {
    @Override
    public String name() {
      return "broadcast_to";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      TensorType x = in.get(0);
      Shape s = broadcast(name(), x, new TensorType(x.dtype(), shape));
      if (!s.equals(shape)) {
        throw new ShapeError(name(), "cannot broadcast " + x.shape() + " to " + shape);
      }
      return one(x.dtype(), shape);
    }

    @Override
    public String attributes() {
      return "shape=" + shape;
    }
  }

  /** The block {@code x[begin : begin + size]} on every axis. */
  record Slice(int[] begin, int[] size) implements Op {
    @Override
    public String name() {
      return "slice";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      Shape s = in.get(0).shape();
      if (begin.length != s.rank() || size.length != s.rank()) {
        throw new ShapeError(
            name(), "begin " + str(begin) + " and size " + str(size) + " must have rank of " + s);
      }
      for (int i = 0; i < begin.length; i++) {
        int d = s.dim(i);
        if (begin[i] < 0 || size[i] < 0 || (d != Shape.UNKNOWN && begin[i] + size[i] > d)) {
          throw new ShapeError(
              name(),
              "begin "
                  + str(begin)
                  + " with size "
                  + str(size)
                  + " is outside shape "
                  + s
                  + " on axis "
                  + i);
        }
      }
      return one(in.get(0).dtype(), Shape.of(size));
    }

    @Override
    public String attributes() {
      return "begin=" + str(begin) + ", size=" + str(size);
    }
  }

  /**
   * {@code x[begin:end:stride]} on every axis, Python-style with explicit non-negative indices; a
   * negative stride walks backward from {@code begin} down to, not including, {@code end} (which
   * may be -1 to include index 0).
   */
  record StridedSlice(int[] begin, int[] end, int[] strides) implements Op {
    @Override
    public String name() {
      return "strided_slice";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      Shape s = in.get(0).shape();
      checkFullyKnown(name(), "the operand shape", s);
      if (begin.length != s.rank() || end.length != s.rank() || strides.length != s.rank()) {
        throw new ShapeError(
            name(),
            "begin "
                + str(begin)
                + ", end "
                + str(end)
                + " and strides "
                + str(strides)
                + " must have rank of "
                + s);
      }
      int[] out = new int[s.rank()];
      for (int i = 0; i < out.length; i++) {
        out[i] = sliceLength(s.dim(i), begin[i], end[i], strides[i], i, s);
      }
      return one(in.get(0).dtype(), Shape.of(out));
    }

    private int sliceLength(int d, int b, int e, int st, int axis, Shape s) {
      if (st == 0) {
        throw new ShapeError(name(), "stride 0 on axis " + axis);
      }
      boolean ok = st > 0 ? (b >= 0 && b <= d && e >= b && e <= d) : (b < d && e >= -1 && e <= b);
      if (!ok) {
        throw new ShapeError(
            name(),
            "begin "
                + b
                + ", end "
                + e
                + ", stride "
                + st
                + " do not fit axis "
                + axis
                + " of "
                + s);
      }
      return st > 0 ? (e - b + st - 1) / st : (b - e + (-st) - 1) / (-st);
    }

    @Override
    public String attributes() {
      return "begin=" + str(begin) + ", end=" + str(end) + ", strides=" + str(strides);
    }
  }

  /** Joins operands along {@code axis}; all other dimensions must agree. */
  record Concat(int axis) implements Op {
    @Override
    public String name() {
      return "concat";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      Rules.minArity(name(), in, 1);
      DType d = sameDtype(name(), in);
      Shape first = in.get(0).shape();
      int a = normalizeAxis(name(), axis, first.rank(), in.get(0));
      if (a != axis) {
        throw new ShapeError(name(), "axis must be normalized; received " + axis);
      }
      int[] out = first.dims();
      for (int k = 1; k < in.size(); k++) {
        Shape s = in.get(k).shape();
        if (s.rank() != first.rank()) {
          throw new ShapeError(name(), "operands differ in rank: " + first + " and " + s);
        }
        for (int i = 0; i < s.rank(); i++) {
          if (i == a) {
            out[i] =
                out[i] == Shape.UNKNOWN || s.dim(i) == Shape.UNKNOWN
                    ? Shape.UNKNOWN
                    : out[i] + s.dim(i);
          } else if (!dimsAgree(out[i], s.dim(i))) {
            throw new ShapeError(
                name(),
                "operand shapes "
                    + first
                    + " and "
                    + s
                    + " differ on axis "
                    + i
                    + " (concat axis "
                    + a
                    + ")");
          }
        }
      }
      return one(d, Shape.of(out));
    }

    @Override
    public String attributes() {
      return "axis=" + axis;
    }
  }

  /** Pads every axis with {@code low[i]} and {@code high[i]} copies of {@code value}. */
  record Pad(int[] low, int[] high, double value) implements Op {
    @Override
    public String name() {
      return "pad";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      Shape s = in.get(0).shape();
      if (low.length != s.rank() || high.length != s.rank()) {
        throw new ShapeError(
            name(), "low " + str(low) + " and high " + str(high) + " must have rank of " + s);
      }
      int[] out = s.dims();
      for (int i = 0; i < out.length; i++) {
        if (low[i] < 0 || high[i] < 0) {
          throw new ShapeError(
              name(), "padding must be >= 0; received low " + str(low) + " high " + str(high));
        }
        if (out[i] != Shape.UNKNOWN) {
          out[i] += low[i] + high[i];
        }
      }
      return one(in.get(0).dtype(), Shape.of(out));
    }

    @Override
    public String attributes() {
      return "low=" + str(low) + ", high=" + str(high) + ", value=" + value;
    }
  }

  /**
   * Takes slices of {@code params} along {@code axis} at integer {@code indices}; the result has
   * shape {@code params[:axis] + indices + params[axis+1:]}. Indices outside {@code [0, dim)} are
   * clamped into it (front ends check user indices before they reach the graph).
   */
  record Gather(int axis) implements Op {
    @Override
    public String name() {
      return "gather";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 2);
      TensorType p = in.get(0);
      TensorType idx = in.get(1);
      requireInteger(name(), "indices", idx);
      int a = normalizeAxis(name(), axis, p.rank(), p);
      if (a != axis) {
        throw new ShapeError(name(), "axis must be normalized; received " + axis);
      }
      return one(p.dtype(), gatherShape(p.shape(), idx.shape(), axis));
    }

    @Override
    public String attributes() {
      return "axis=" + axis;
    }
  }

  static Shape gatherShape(Shape params, Shape indices, int axis) {
    int[] out = new int[params.rank() - 1 + indices.rank()];
    int k = 0;
    for (int i = 0; i < axis; i++) {
      out[k++] = params.dim(i);
    }
    for (int i = 0; i < indices.rank(); i++) {
      out[k++] = indices.dim(i);
    }
    for (int i = axis + 1; i < params.rank(); i++) {
      out[k++] = params.dim(i);
    }
    return Shape.of(out);
  }

  /**
   * {@code target} with {@code updates} added at {@code indices} along {@code axis}: the adjoint of
   * {@link Gather}. {@code updates} has the shape gather would give; repeated indices accumulate;
   * indices outside {@code [0, dim)} are dropped.
   */
  record ScatterAdd(int axis) implements Op {
    @Override
    public String name() {
      return "scatter_add";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 3);
      TensorType t = in.get(0);
      TensorType idx = in.get(1);
      TensorType u = in.get(2);
      requireInteger(name(), "indices", idx);
      sameDtype(name(), List.of(t, u));
      int a = normalizeAxis(name(), axis, t.rank(), t);
      if (a != axis) {
        throw new ShapeError(name(), "axis must be normalized; received " + axis);
      }
      Shape expected = gatherShape(t.shape(), idx.shape(), axis);
      if (!expected.isCompatibleWith(u.shape())) {
        throw new ShapeError(
            name(),
            "updates must have shape "
                + expected
                + " for target "
                + t.shape()
                + " and indices "
                + idx.shape()
                + " but have "
                + u.shape());
      }
      return List.of(t);
    }

    @Override
    public String attributes() {
      return "axis=" + axis;
    }
  }

  /**
   * One-hot encoding on a new last axis of size {@code depth}; an index outside {@code [0, depth)}
   * gives a row of zeros.
   */
  record OneHot(int depth, DType dtype) implements Op {
    @Override
    public String name() {
      return "one_hot";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      requireInteger(name(), "indices", in.get(0));
      if (depth < 1) {
        throw new ShapeError(name(), "depth must be >= 1; received depth=" + depth);
      }
      int[] s = Arrays.copyOf(in.get(0).shape().dims(), in.get(0).rank() + 1);
      s[s.length - 1] = depth;
      return one(dtype, Shape.of(s));
    }

    @Override
    public String attributes() {
      return "depth=" + depth + ", dtype=" + dtype;
    }
  }

  // ---------------------------------------------------------------- control flow

  /**
   * A loop over the leading axis of its sequences, as {@code jax.lax.scan}.
   *
   * <p>Operands: {@code numCarries} initial carries, then {@code numSequences} sequences (each with
   * leading axis {@code length}), then constants. The body graph takes the carries, one step of
   * each sequence (the leading axis removed) and the constants, and returns the new carries (same
   * types) followed by per-step outputs. The op returns the final carries followed by each per-step
   * output stacked on a new leading axis. With {@code reverse} the steps run from the last index to
   * the first, and outputs are stored at the index of their step.
   *
   * @param body the loop body
   * @param numCarries number of loop-carried values
   * @param numSequences number of scanned operands
   * @param length the number of steps
   * @param reverse whether to run from the last step to the first
   */
  record Scan(Graph body, int numCarries, int numSequences, int length, boolean reverse)
      implements Op {
    @Override
    public String name() {
      return "scan";
    }

    /** The number of per-step outputs of the body. */
    public int numStepOutputs() {
      return body.outputs().size() - numCarries;
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      List<Value> params = body.inputs();
      if (in.size() != params.size()) {
        throw new ShapeError(
            name(),
            "the body takes "
                + params.size()
                + " inputs but the scan has "
                + in.size()
                + " operands");
      }
      if (numCarries + numSequences > in.size() || body.outputs().size() < numCarries) {
        throw new ShapeError(
            name(), "inconsistent carry/sequence counts for " + in.size() + " operands");
      }
      if (length < 0) {
        throw new ShapeError(name(), "length must be >= 0; received " + length);
      }
      List<TensorType> out = new ArrayList<>();
      for (int i = 0; i < in.size(); i++) {
        TensorType op = in.get(i);
        TensorType expected = params.get(i).type();
        TensorType actual = op;
        if (i >= numCarries && i < numCarries + numSequences) {
          if (op.rank() == 0 || !dimsAgree(op.shape().dim(0), length)) {
            throw new ShapeError(
                name(),
                "sequence operand "
                    + (i - numCarries)
                    + " "
                    + op
                    + " must have leading axis "
                    + length);
          }
          actual =
              new TensorType(
                  op.dtype(), Shape.of(Arrays.copyOfRange(op.shape().dims(), 1, op.rank())));
        }
        if (actual.dtype() != expected.dtype()
            || !actual.shape().isCompatibleWith(expected.shape())) {
          throw new ShapeError(
              name(), "operand " + i + " " + op + " does not fit the body input " + expected);
        }
      }
      for (int i = 0; i < body.outputs().size(); i++) {
        TensorType t = body.outputs().get(i).type();
        if (i < numCarries) {
          TensorType c = params.get(i).type();
          if (!t.equals(c)) {
            throw new ShapeError(
                name(), "the body returns carry " + i + " as " + t + " but takes it as " + c);
          }
          out.add(t);
        } else {
          int[] s = new int[t.rank() + 1];
          s[0] = length;
          System.arraycopy(t.shape().dims(), 0, s, 1, t.rank());
          out.add(new TensorType(t.dtype(), Shape.of(s)));
        }
      }
      return out;
    }

    @Override
    public String attributes() {
      return "carries="
          + numCarries
          + ", sequences="
          + numSequences
          + ", length="
          + length
          + ", reverse="
          + reverse;
    }
  }

  // ---------------------------------------------------------------- composites

  /** {@code exp(x - max) / sum(exp(x - max))} along {@code axis}. */
  record Softmax(int axis) implements Composite {
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
  record LogSoftmax(int axis) implements Composite {
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
  record LogSumExp(int[] axes, boolean keepDims) implements Composite {
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
  record SoftmaxCrossEntropy(int axis) implements Composite {
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
  record SigmoidCrossEntropy() implements Composite {
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
  record BatchNormTraining(int axis, double epsilon) implements Composite {
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
   * Batch normalization with given statistics: operands {@code (x, mean, variance, gamma, beta)},
   * the last four of shape {@code (C,)}.
   */
  record BatchNormInference(int axis, double epsilon) implements Composite {
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
  record LayerNorm(int[] axes, double epsilon) implements Composite {
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
  record Gelu(boolean approximate) implements Composite {
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
  record Silu() implements Composite {
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
  record AdamUpdate(double beta1, double beta2, double epsilon) implements Composite {
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
  static int[] allBut(int rank, int keep) {
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
  static Shape keepOnly(Shape s, int keep) {
    int[] d = new int[s.rank()];
    Arrays.fill(d, 1);
    d[keep] = s.dim(keep);
    return Shape.of(d);
  }
}
