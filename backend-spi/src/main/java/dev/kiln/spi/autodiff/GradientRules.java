package dev.kiln.spi.autodiff;

import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.BinaryFn;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.CompositeOp;
import dev.kiln.spi.ir.ControlFlowOp;
import dev.kiln.spi.ir.ConvolutionOp;
import dev.kiln.spi.ir.ElementwiseOp;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.GraphPrinter;
import dev.kiln.spi.ir.IndexingOp;
import dev.kiln.spi.ir.LinalgOp;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.PoolFn;
import dev.kiln.spi.ir.PoolingOp;
import dev.kiln.spi.ir.ReductionOp;
import dev.kiln.spi.ir.ShapeOp;
import dev.kiln.spi.ir.SourceOp;
import dev.kiln.spi.ir.UnaryFn;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The gradient rule of every op, written with other ops: given a node and the cotangents of its
 * results, the cotangents of its operands ({@code null} where an operand has no gradient: integers,
 * bools, indices, seeds).
 *
 * <p>Rules that do not differentiate through an operand say so with {@code null}; ops with no rule
 * at all throw {@link MissingGradientException} naming the op and the node. The switch in {@link
 * #vjp} names every op, so a new op does not compile until it has a rule here.
 */
public final class GradientRules {
  private GradientRules() {}

  /**
   * The operand cotangents of {@code n} for result cotangents {@code g} (one per result; null for
   * non-float results).
   *
   * @throws MissingGradientException if the op has no gradient rule
   */
  public static List<Value> vjp(GraphBuilder b, Node n, List<Value> g) {
    List<Value> x = n.inputs();
    Value y = n.outputs().get(0);
    Value g0 = g.get(0);
    return switch (n.op()) {
      case SourceOp.Parameter p -> List.of();
      case SourceOp.Constant c -> List.of();
      case SourceOp.VariableRead v -> List.of();
      case SourceOp.Iota i -> List.of();
      // Random numbers depend on the seed, an integer: no gradient.
      case SourceOp.Random r -> nulls(1);
      case ElementwiseOp.Unary u -> List.of(unary(b, u.fn(), x.get(0), y, g0, n));
      case ElementwiseOp.Binary bin -> binary(b, bin.fn(), x.get(0), x.get(1), y, g0, n);
      case ElementwiseOp.Compare c -> nulls(2);
      case ElementwiseOp.Select s ->
          // A scalar zero, broadcast by the select, rather than a zero tensor written out.
          Arrays.asList(
              null,
              unbroadcast(b, b.select(x.get(0), g0, b.scalar(0, g0.dtype())), x.get(1).shape()),
              unbroadcast(b, b.select(x.get(0), b.scalar(0, g0.dtype()), g0), x.get(2).shape()));
      case ElementwiseOp.Cast c ->
          Collections.singletonList(
              x.get(0).dtype().isFloating() && c.to().isFloating()
                  ? b.cast(g0, x.get(0).dtype())
                  : null);
      case ReductionOp.Reduce r -> List.of(reduce(b, r, x.get(0), y, g0));
      case ReductionOp.ArgReduce a -> nulls(1);
      case LinalgOp.MatMul m -> matmul(b, m, x.get(0), x.get(1), g0);
      case ConvolutionOp.Conv c ->
          List.of(
              b.convBackpropInput(g0, x.get(1), c.spec(), x.get(0).shape()),
              b.convBackpropFilter(x.get(0), g0, c.spec(), x.get(1).shape()));
      // dx = A(w)^T dy is bilinear in (dy, w): its adjoint in dy is the forward conv, in w the
      // filter gradient with the roles of x and dy taken by (gg, dy).
      case ConvolutionOp.ConvBackpropInput c ->
          List.of(
              b.conv(g0, x.get(1), c.spec()),
              b.convBackpropFilter(g0, x.get(0), c.spec(), x.get(1).shape()));
      case ConvolutionOp.ConvBackpropFilter c ->
          List.of(
              b.convBackpropInput(x.get(1), g0, c.spec(), x.get(0).shape()),
              b.conv(x.get(0), g0, c.spec()));
      case PoolingOp.Pool p when p.fn() == PoolFn.MAX ->
          List.of(b.emit1(new PoolingOp.MaxPoolBackward(p.spec()), x.get(0), g0));
      case PoolingOp.Pool p ->
          List.of(b.emit1(new PoolingOp.AvgPoolBackward(p.spec(), x.get(0).shape()), g0));
      // Average pooling's backward op is linear in dy; its adjoint is the forward pooling.
      case PoolingOp.AvgPoolBackward p -> List.of(b.pool(PoolFn.AVG, g0, p.spec()));
      case PoolingOp.MaxPoolBackward p ->
          throw missing(
              n,
              "second-order gradients of max pooling are not supported (the routing of dy depends"
                  + " on x through an argmax)");
      case ShapeOp.Reshape r -> List.of(b.reshape(g0, x.get(0).shape()));
      case ShapeOp.Transpose t -> List.of(b.transpose(g0, inverse(t.perm())));
      case ShapeOp.BroadcastTo t -> List.of(unbroadcast(b, g0, x.get(0).shape()));
      case ShapeOp.Slice s -> List.of(padBack(b, g0, s.begin(), x.get(0).shape()));
      case ShapeOp.StridedSlice s -> List.of(stridedSliceGrad(b, s, x.get(0), g0));
      case ShapeOp.Concat c -> concat(b, c.axis(), x, g0);
      case ShapeOp.Pad p -> List.of(b.slice(g0, p.low(), x.get(0).shape().dims()));
      case IndexingOp.Gather ga ->
          Arrays.asList(b.scatterAdd(b.zerosLike(x.get(0)), x.get(1), g0, ga.axis()), null);
      case IndexingOp.ScatterAdd s -> Arrays.asList(g0, null, b.gather(g0, x.get(1), s.axis()));
      case IndexingOp.OneHot o -> nulls(1);
      case ControlFlowOp.Scan s -> ScanGradient.vjp(b, n, s, g);
      case CompositeOp.Softmax s -> {
        int a = y.shape().normalizeAxis(s.axis());
        Value gy = b.mul(g0, y);
        yield List.of(b.sub(gy, b.mul(y, b.reduceSum(gy, new int[] {a}, true))));
      }
      case CompositeOp.LogSoftmax s -> {
        int a = y.shape().normalizeAxis(s.axis());
        Value sum = b.reduceSum(g0, new int[] {a}, true);
        yield List.of(b.sub(g0, b.mul(b.exp(y), sum)));
      }
      case CompositeOp.SoftmaxCrossEntropy s -> {
        int a = x.get(0).shape().normalizeAxis(s.axis());
        Value gk = b.reshape(g0, keepAxis(x.get(0).shape(), a));
        // softmax * sum(labels) - labels: the familiar softmax - labels only when labels sum to 1.
        Value total = b.reduceSum(x.get(1), new int[] {a}, true);
        Value dLogits = b.mul(gk, b.sub(b.mul(b.softmax(x.get(0), a), total), x.get(1)));
        Value dLabels = b.mul(gk, b.neg(b.logSoftmax(x.get(0), a)));
        yield List.of(dLogits, dLabels);
      }
      case CompositeOp.SigmoidCrossEntropy s -> {
        Value dLogits = b.mul(g0, b.sub(b.sigmoid(x.get(0)), x.get(1)));
        Value dLabels = b.mul(g0, b.neg(x.get(0)));
        yield List.of(
            unbroadcast(b, dLogits, x.get(0).shape()), unbroadcast(b, dLabels, x.get(1).shape()));
      }
      case CompositeOp.Silu s -> {
        Value sig = b.sigmoid(x.get(0));
        Value one = b.scalar(1, y.dtype());
        yield List.of(b.mul(g0, b.mul(sig, b.add(one, b.mul(x.get(0), b.sub(one, sig))))));
      }
      // These differentiate through their decomposition: a rule of their own would only repeat
      // the primitives' rules.
      case CompositeOp.LogSumExp c -> throughDecomposition(b, c, x, g);
      case CompositeOp.BatchNormTraining c ->
          // One op that backends may run directly; its decomposition is the same maths.
          b.batchNormTrainingGrad(
              x.get(0),
              x.get(1),
              n.outputs().get(1),
              n.outputs().get(2),
              g0,
              g.get(1),
              g.get(2),
              c.axis(),
              c.epsilon());
      case CompositeOp.BatchNormTrainingGrad c -> throughDecomposition(b, c, x, g);
      case CompositeOp.BatchNormInference c -> throughDecomposition(b, c, x, g);
      case CompositeOp.LayerNorm c -> throughDecomposition(b, c, x, g);
      case CompositeOp.Gelu c -> throughDecomposition(b, c, x, g);
      case CompositeOp.AdamUpdate c -> throughDecomposition(b, c, x, g);
    };
  }

  private static List<Value> nulls(int k) {
    return Arrays.asList(new Value[k]);
  }

  static MissingGradientException missing(Node n, String why) {
    return new MissingGradientException(
        "no gradient for op '"
            + n.op().name()
            + "': "
            + why
            + "; at node "
            + GraphPrinter.describe(n));
  }

  private static Value unary(GraphBuilder b, UnaryFn fn, Value x, Value y, Value g, Node n) {
    DType d = x.dtype();
    return switch (fn) {
      case NEG -> b.neg(g);
      case ABS -> b.mul(g, b.unary(UnaryFn.SIGN, x));
      // Zero almost everywhere, and undefined where the function jumps; 0 as the convention.
      case SIGN, FLOOR, CEIL, ROUND -> b.zerosLike(g);
      case EXP -> b.mul(g, y);
      case EXPM1 -> b.mul(g, b.add(y, b.scalar(1, d)));
      case LOG -> b.div(g, x);
      case LOG1P -> b.div(g, b.add(x, b.scalar(1, d)));
      case SQRT -> b.div(g, b.mul(b.scalar(2, d), y));
      case RSQRT -> b.mul(g, b.mul(b.scalar(-0.5, d), b.mul(y, b.square(y))));
      case SQUARE -> b.mul(g, b.mul(b.scalar(2, d), x));
      case RECIPROCAL -> b.neg(b.mul(g, b.square(y)));
      case SIN -> b.mul(g, b.unary(UnaryFn.COS, x));
      case COS -> b.neg(b.mul(g, b.unary(UnaryFn.SIN, x)));
      case TANH -> b.mul(g, b.sub(b.scalar(1, d), b.square(y)));
      case SIGMOID -> b.mul(g, b.mul(y, b.sub(b.scalar(1, d), y)));
      case ERF -> b.mul(g, b.mul(b.scalar(2 / Math.sqrt(Math.PI), d), b.exp(b.neg(b.square(x)))));
      case LOGICAL_NOT -> throw missing(n, "bool operands have no gradient");
    };
  }

  private static List<Value> binary(
      GraphBuilder bb, BinaryFn fn, Value a, Value c, Value y, Value g, Node n) {
    Shape sa = a.shape();
    Shape sc = c.shape();
    DType d = a.dtype();
    Value ga;
    Value gc;
    switch (fn) {
      case ADD -> {
        ga = g;
        gc = g;
      }
      case SUB -> {
        ga = g;
        gc = bb.neg(g);
      }
      case MUL -> {
        ga = bb.mul(g, c);
        gc = bb.mul(g, a);
      }
      case DIV -> {
        ga = bb.div(g, c);
        gc = bb.neg(bb.div(bb.mul(g, y), c));
      }
      case POW -> {
        // d/da a^c = c a^(c-1); d/dc a^c = a^c log a, taken as 0 where a <= 0 (log undefined
        // there, and a^c is real only for integer c).
        ga = bb.mul(g, bb.mul(c, bb.pow(a, bb.sub(c, bb.scalar(1, d)))));
        Value positive = bb.compare(CompareFn.GREATER, a, bb.scalar(0, d));
        Value safeA = bb.select(positive, a, bb.onesLike(a));
        gc = bb.mul(g, bb.select(positive, bb.mul(y, bb.log(safeA)), bb.zerosLike(y)));
      }
      case MAX, MIN -> {
        // Ties send the whole gradient to the first operand, as TensorFlow does.
        Value firstWins =
            bb.compare(fn == BinaryFn.MAX ? CompareFn.GREATER_EQUAL : CompareFn.LESS_EQUAL, a, c);
        Value z = bb.scalar(0, g.dtype());
        ga = bb.select(firstWins, g, z);
        gc = bb.select(firstWins, z, g);
      }
      case MOD -> {
        ga = g;
        gc = bb.neg(bb.mul(g, bb.unary(UnaryFn.FLOOR, bb.div(a, c))));
      }
      default -> throw missing(n, "bool operands have no gradient");
    }
    if (!d.isFloating()) {
      return nulls(2);
    }
    return List.of(unbroadcast(bb, ga, sa), unbroadcast(bb, gc, sc));
  }

  /** Sums {@code g} over the axes that broadcasting added or stretched, back to {@code shape}. */
  public static Value unbroadcast(GraphBuilder b, Value g, Shape shape) {
    if (g.shape().equals(shape)) {
      return g;
    }
    int extra = g.rank() - shape.rank();
    List<Integer> axes = new ArrayList<>();
    for (int i = 0; i < g.rank(); i++) {
      if (i < extra || (shape.dim(i - extra) == 1 && g.shape().dim(i) != 1)) {
        axes.add(i);
      }
    }
    Value s =
        axes.isEmpty()
            ? g
            : b.reduceSum(g, axes.stream().mapToInt(Integer::intValue).toArray(), true);
    return b.reshape(s, shape);
  }

  private static Value reduce(GraphBuilder b, ReductionOp.Reduce r, Value x, Value y, Value g) {
    Shape kept = keepDimsShape(x.shape(), r.axes());
    Value gk = b.broadcastTo(b.reshape(g, kept), x.shape());
    Value yk = b.broadcastTo(b.reshape(y, kept), x.shape());
    DType d = x.dtype();
    return switch (r.fn()) {
      case SUM -> gk;
      case MEAN -> b.div(gk, b.scalar(count(x.shape(), r.axes()), d));
      case MAX, MIN -> {
        // Ties share the gradient equally, so the rule is symmetric in equal elements.
        Value hit = b.cast(b.compare(CompareFn.EQUAL, x, yk), d);
        Value ties = b.broadcastTo(b.reduceSum(hit, r.axes(), true), x.shape());
        yield b.div(b.mul(gk, hit), ties);
      }
      // y / x is undefined where x has a zero; the rule is exact everywhere else.
      case PROD -> b.div(b.mul(gk, yk), x);
    };
  }

  private static double count(Shape s, int[] axes) {
    double c = 1;
    for (int a : axes) {
      c *= s.dim(a);
    }
    return c;
  }

  static Shape keepDimsShape(Shape s, int[] axes) {
    int[] d = s.dims();
    for (int a : axes) {
      d[a] = 1;
    }
    return Shape.of(d);
  }

  private static Shape keepAxis(Shape s, int axis) {
    return keepDimsShape(s, new int[] {axis});
  }

  private static List<Value> matmul(GraphBuilder b, LinalgOp.MatMul m, Value a, Value c, Value g) {
    boolean ta = m.transposeA();
    boolean tc = m.transposeB();
    Value ga = ta ? b.matmul(c, g, tc, true) : b.matmul(g, c, false, !tc);
    if (c.rank() == 2 && a.rank() > 2 && !ta && a.shape().isFullyKnown()) {
      // One matrix applied to a stack (a dense layer over a sequence): its gradient sums over the
      // stack, which is one product of the stack's rows rather than a product per matrix and a sum.
      int k = a.shape().dim(-1);
      int n = g.shape().dim(-1);
      Value rowsA = b.reshape(a, Shape.of((int) (a.shape().size() / k), k));
      Value rowsG = b.reshape(g, Shape.of((int) (g.shape().size() / n), n));
      Value gc = tc ? b.matmul(rowsG, rowsA, true, false) : b.matmul(rowsA, rowsG, true, false);
      return List.of(unbroadcast(b, ga, a.shape()), gc);
    }
    Value gc = tc ? b.matmul(g, a, true, ta) : b.matmul(a, g, !ta, false);
    return List.of(unbroadcast(b, ga, a.shape()), unbroadcast(b, gc, c.shape()));
  }

  private static int[] inverse(int[] perm) {
    int[] inv = new int[perm.length];
    for (int i = 0; i < perm.length; i++) {
      inv[perm[i]] = i;
    }
    return inv;
  }

  private static Value padBack(GraphBuilder b, Value g, int[] begin, Shape full) {
    int[] high = new int[begin.length];
    for (int i = 0; i < begin.length; i++) {
      high[i] = full.dim(i) - begin[i] - g.shape().dim(i);
    }
    return b.pad(g, begin, high, 0);
  }

  /**
   * A strided slice is a gather per axis at {@code begin + i * stride}; its gradient scatters back
   * axis by axis, which covers negative strides too.
   */
  private static Value stridedSliceGrad(GraphBuilder b, ShapeOp.StridedSlice s, Value x, Value g) {
    Value acc = g;
    for (int axis = x.rank() - 1; axis >= 0; axis--) {
      int len = g.shape().dim(axis);
      int full = x.shape().dim(axis);
      if (s.strides()[axis] == 1 && len == full) {
        continue;
      }
      long[] idx = new long[len];
      for (int i = 0; i < len; i++) {
        idx[i] = s.begin()[axis] + (long) i * s.strides()[axis];
      }
      Value indices = b.constant(dev.kiln.spi.HostTensor.of(Shape.of(len), idx));
      int[] targetDims = acc.shape().dims();
      targetDims[axis] = full;
      Value zeros = b.fill(0, new TensorType(acc.dtype(), Shape.of(targetDims)));
      acc = b.scatterAdd(zeros, indices, acc, axis);
    }
    return acc;
  }

  private static List<Value> concat(GraphBuilder b, int axis, List<Value> xs, Value g) {
    List<Value> out = new ArrayList<>();
    int offset = 0;
    for (Value x : xs) {
      int[] begin = new int[x.rank()];
      begin[axis] = offset;
      out.add(b.slice(g, begin, x.shape().dims()));
      offset += x.shape().dim(axis);
    }
    return out;
  }

  /**
   * Emits the composite's decomposition from the same operands and differentiates through it: one
   * rule for every composite whose hand-written rule would only repeat the primitives'.
   */
  private static List<Value> throughDecomposition(
      GraphBuilder b, CompositeOp c, List<Value> x, List<Value> g) {
    List<Value> outs = c.decompose(b, x);
    List<Value> floatInputs = new ArrayList<>();
    for (Value v : x) {
      if (v.dtype().isFloating()) {
        floatInputs.add(v);
      }
    }
    // vjp walks only the nodes between x and outs: the decomposition just emitted.
    List<Value> grads = Autodiff.vjp(b, outs, g, floatInputs);
    List<Value> result = new ArrayList<>();
    int k = 0;
    for (Value v : x) {
      result.add(v.dtype().isFloating() ? grads.get(k++) : null);
    }
    return result;
  }
}
