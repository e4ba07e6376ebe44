package dev.kiln.nd4j;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.ArgFn;
import dev.kiln.spi.ir.BinaryFn;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.CompositeOp;
import dev.kiln.spi.ir.ControlFlowOp;
import dev.kiln.spi.ir.ConvolutionOp;
import dev.kiln.spi.ir.ElementwiseOp;
import dev.kiln.spi.ir.IndexingOp;
import dev.kiln.spi.ir.LinalgOp;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.PoolingOp;
import dev.kiln.spi.ir.ReductionOp;
import dev.kiln.spi.ir.ShapeOp;
import dev.kiln.spi.ir.SourceOp;
import dev.kiln.spi.ir.UnaryFn;
import dev.kiln.spi.random.Philox;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Each IR primitive as ND4J array ops. Index ops (gather, scatter-add, one-hot, iota, strided
 * slices) and Philox random numbers are computed on the host, since the numbers must match every
 * other backend bit for bit and ND4J's indexing ops differ in edge cases.
 */
final class Nd4jOps {
  private Nd4jOps() {}

  /**
   * Whether composite {@code c} runs as one of ND4J's ops rather than through its decomposition.
   * The switch names every composite, so a new one does not compile until this backend decides.
   */
  static boolean runsWhole(CompositeOp c) {
    return switch (c) {
      case CompositeOp.Softmax _,
          CompositeOp.LogSoftmax _,
          CompositeOp.BatchNormInference _,
          CompositeOp.BatchNormTraining _ ->
          true;
      case CompositeOp.LogSumExp _,
          CompositeOp.SoftmaxCrossEntropy _,
          CompositeOp.SigmoidCrossEntropy _,
          CompositeOp.BatchNormTrainingGrad _,
          CompositeOp.LayerNorm _,
          CompositeOp.Gelu _,
          CompositeOp.Silu _,
          CompositeOp.AdamUpdate _ ->
          false;
    };
  }

  /**
   * The results of node {@code n} on ND4J arrays {@code in}. The switch names every op, so a new op
   * does not compile until this backend maps it.
   */
  static List<INDArray> run(Node n, List<INDArray> in) {
    TensorType out = n.outputs().get(0).type();
    if (n.op() instanceof CompositeOp.BatchNormTraining bn) {
      return batchNormTraining(bn, in.get(0), in.get(1), in.get(2));
    }
    INDArray r =
        switch (n.op()) {
          case SourceOp.Constant c -> Nd4jArrays.fromHost(c.value());
          case SourceOp.Iota i -> Nd4jArrays.fromHost(iota(i.type(), i.axis()));
          case SourceOp.Random r2 -> Nd4jArrays.fromHost(random(r2, hostOf(in.get(0), n, 0)));
          case ConvolutionOp.Conv c -> Nd4jConv.conv(c.spec(), in.get(0), in.get(1), out);
          case ConvolutionOp.ConvBackpropInput c ->
              Nd4jConv.convBackpropInput(c.spec(), in.get(0), in.get(1), out);
          case ConvolutionOp.ConvBackpropFilter c ->
              Nd4jConv.convBackpropFilter(c.spec(), in.get(0), in.get(1), out);
          case PoolingOp.Pool p -> Nd4jConv.pool(p, in.get(0), out);
          case PoolingOp.MaxPoolBackward p ->
              Nd4jConv.maxPoolBackward(p.spec(), in.get(0), in.get(1), out);
          case PoolingOp.AvgPoolBackward p -> Nd4jConv.avgPoolBackward(p.spec(), in.get(0), out);
          case CompositeOp.Softmax s -> softmax("softmax", in.get(0), s.axis());
          case CompositeOp.BatchNormInference bn ->
              batchNorm(
                  in.get(0), in.get(1), in.get(2), in.get(3), in.get(4), bn.axis(), bn.epsilon());
          case CompositeOp.LogSoftmax s -> softmax("log_softmax", in.get(0), s.axis());
          case ElementwiseOp.Unary u -> unary(u.fn(), in.get(0), out);
          case ElementwiseOp.Binary b -> binary(b.fn(), in.get(0), in.get(1), out);
          case ElementwiseOp.Compare c -> compare(c.fn(), in.get(0), in.get(1), out);
          case ElementwiseOp.Select s -> select(in.get(0), in.get(1), in.get(2), out);
          case ElementwiseOp.Cast c -> cast(in.get(0), n.inputs().get(0).type(), c.to());
          case ReductionOp.Reduce r2 -> reduce(r2, in.get(0), out);
          case ReductionOp.ArgReduce a -> argReduce(a, in.get(0), out);
          case LinalgOp.MatMul m -> matmul(m, in.get(0), in.get(1), out);
          case ShapeOp.Reshape r2 -> in.get(0).dup('c').reshape('c', Nd4jArrays.longs(r2.shape()));
          case ShapeOp.Transpose t -> in.get(0).permute(t.perm()).dup('c');
          case ShapeOp.BroadcastTo b -> broadcast(in.get(0), out.shape());
          case ShapeOp.Slice s -> slice(in.get(0), s.begin(), s.size());
          case ShapeOp.Concat c -> Nd4j.concat(c.axis(), in.toArray(INDArray[]::new));
          case ShapeOp.Pad p -> pad(in.get(0), p, out);
          case ShapeOp.StridedSlice s ->
              Nd4jArrays.fromHost(strided(hostOf(in.get(0), n, 0), s, out));
          case IndexingOp.Gather g ->
              Nd4jArrays.fromHost(
                  gather(hostOf(in.get(0), n, 0), hostOf(in.get(1), n, 1), g.axis(), out));
          case IndexingOp.ScatterAdd s ->
              Nd4jArrays.fromHost(
                  scatterAdd(
                      hostOf(in.get(0), n, 0),
                      hostOf(in.get(1), n, 1),
                      hostOf(in.get(2), n, 2),
                      s.axis()));
          case IndexingOp.OneHot o ->
              Nd4jArrays.fromHost(oneHot(hostOf(in.get(0), n, 0), o.depth(), out));
          case CompositeOp.BatchNormTraining _ ->
              throw new IllegalStateException("batch_norm_training has three results; run above");
          // Nd4jExecutable binds inputs and variables and runs a scan's body itself.
          case SourceOp.Parameter _, SourceOp.VariableRead _, ControlFlowOp.Scan _ ->
              throw new IllegalStateException(n.op().name() + " is run by Nd4jExecutable");
          // Expanded into primitives before lowering: runsWhole says no to these.
          case CompositeOp.LogSumExp _,
              CompositeOp.SoftmaxCrossEntropy _,
              CompositeOp.SigmoidCrossEntropy _,
              CompositeOp.BatchNormTrainingGrad _,
              CompositeOp.LayerNorm _,
              CompositeOp.Gelu _,
              CompositeOp.Silu _,
              CompositeOp.AdamUpdate _ ->
              throw new IllegalStateException(
                  "composite " + n.op().name() + " should have been expanded before lowering");
        };
    if (r.isView()) {
      r = r.dup('c');
    }
    return List.of(r);
  }

  /**
   * Float to integer casts go through the host: the IR truncates toward zero and saturates, where
   * ND4J's cast wraps around.
   */
  private static INDArray cast(INDArray x, TensorType from, DType to) {
    if (from.dtype().isFloating() && !to.isFloating() && !to.isBool()) {
      return Nd4jArrays.fromHost(Nd4jArrays.toHost(x, from).cast(to));
    }
    return x.castTo(Nd4jArrays.dataType(to));
  }

  private static HostTensor hostOf(INDArray a, Node n, int i) {
    return Nd4jArrays.toHost(a, n.inputs().get(i).type());
  }

  // ---------------------------------------------------------------- elementwise

  private static INDArray unary(UnaryFn fn, INDArray x, TensorType out) {
    if (!out.dtype().isFloating() && fn.floatOnly()) {
      throw new IllegalStateException(fn + " on " + out.dtype());
    }
    return switch (fn) {
      case NEG -> x.neg();
      case ABS -> Transforms.abs(x, true);
      case SIGN -> Transforms.sign(x, true);
      case EXP -> Transforms.exp(x, true);
      case EXPM1 -> Transforms.expm1(x, true);
      case LOG -> Transforms.log(x, true);
      case LOG1P -> Transforms.log1p(x, true);
      case SQRT -> Transforms.sqrt(x, true);
      case RSQRT -> Transforms.sqrt(x, true).rdivi(1);
      case SQUARE -> x.mul(x);
      case RECIPROCAL -> x.rdiv(1);
      case SIN -> Transforms.sin(x, true);
      case COS -> Transforms.cos(x, true);
      case TANH -> Transforms.tanh(x, true);
      case SIGMOID -> Transforms.sigmoid(x, true);
      case ERF -> Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.strict.Erf(x.dup()));
      case FLOOR -> Transforms.floor(x, true);
      case CEIL -> Transforms.ceil(x, true);
      case ROUND -> Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.strict.Rint(x.dup()));
      case LOGICAL_NOT -> x.castTo(DataType.INT).eq(0);
    };
  }

  private static INDArray softmax(String op, INDArray x, int axis) {
    int a = axis < 0 ? axis + x.rank() : axis;
    return exec(
        op, new int[] {a}, new INDArray[] {x}, Nd4j.createUninitialized(x.dataType(), x.shape()));
  }

  /** Runs ND4J's declarable op {@code name} into {@code out}; returns the first output. */
  static INDArray exec(String name, int[] iArgs, INDArray[] in, INDArray... out) {
    return exec(name, iArgs, new double[0], in, out);
  }

  static INDArray exec(String name, int[] iArgs, double[] tArgs, INDArray[] in, INDArray... out) {
    Nd4j.exec(
        org.nd4j.linalg.api.ops.DynamicCustomOp.builder(name)
            .addInputs(in)
            .addOutputs(out)
            .addIntegerArguments(iArgs)
            .addFloatingPointArguments(
                java.util.Arrays.stream(tArgs).boxed().toArray(Double[]::new))
            .build());
    return out[0];
  }

  /** ND4J's batchnorm with given statistics, scale and offset along {@code axis}. */
  private static INDArray batchNorm(
      INDArray x,
      INDArray mean,
      INDArray variance,
      INDArray gamma,
      INDArray beta,
      int axis,
      double epsilon) {
    int a = axis < 0 ? axis + x.rank() : axis;
    return exec(
        "batchnorm",
        new int[] {1, 1, a},
        new double[] {epsilon},
        new INDArray[] {x, mean, variance, gamma, beta},
        Nd4j.createUninitialized(x.dataType(), x.shape()));
  }

  /** Batch statistics (biased variance), then ND4J's batchnorm: {@code (y, mean, variance)}. */
  private static List<INDArray> batchNormTraining(
      CompositeOp.BatchNormTraining bn, INDArray x, INDArray gamma, INDArray beta) {
    int a = bn.axis() < 0 ? bn.axis() + x.rank() : bn.axis();
    int[] reduce = new int[x.rank() - 1];
    for (int i = 0, j = 0; i < x.rank(); i++) {
      if (i != a) {
        reduce[j++] = i;
      }
    }
    INDArray mean = x.mean(reduce);
    INDArray variance = x.var(false, reduce);
    return List.of(batchNorm(x, mean, variance, gamma, beta, a, bn.epsilon()), mean, variance);
  }

  /** Both operands broadcast to the result shape. */
  static INDArray broadcast(INDArray a, Shape shape) {
    long[] target = Nd4jArrays.longs(shape);
    if (java.util.Arrays.equals(a.shape(), target)) {
      return a;
    }
    long[] padded = new long[target.length];
    long[] s = a.shape();
    int off = target.length - s.length;
    for (int i = 0; i < target.length; i++) {
      padded[i] = i < off ? 1 : s[i - off];
    }
    INDArray r = a.rank() == target.length ? a : a.reshape('c', padded);
    if (a.length() == 1) {
      return Nd4j.valueArrayOf(target, r.getDouble(0), a.dataType());
    }
    return r.broadcast(target).dup('c');
  }

  private static INDArray binary(BinaryFn fn, INDArray a, INDArray b, TensorType out) {
    if (out.dtype().isFloating() && (fn == BinaryFn.MAX || fn == BinaryFn.MIN)) {
      return nanKeepingMaxMin(fn == BinaryFn.MAX, a, b, out);
    }
    if (out.dtype().isFloating()) {
      INDArray fast = floatBinary(fn, a, b, out);
      if (fast != null) {
        return fast;
      }
    }
    INDArray x = broadcast(a, out.shape());
    INDArray y = broadcast(b, out.shape());
    DType d = out.dtype();
    if (fn.logical()) {
      INDArray xi = x.castTo(DataType.INT);
      INDArray yi = y.castTo(DataType.INT);
      return switch (fn) {
        case LOGICAL_AND -> xi.mul(yi).neq(0);
        case LOGICAL_OR -> xi.add(yi).neq(0);
        default -> xi.neq(yi);
      };
    }
    if (!d.isFloating() && (fn == BinaryFn.DIV || fn == BinaryFn.MOD)) {
      // Integer division and remainder round toward negative infinity, as Python's.
      INDArray xd = x.castTo(DataType.DOUBLE);
      INDArray yd = y.castTo(DataType.DOUBLE);
      INDArray q = Transforms.floor(xd.div(yd), true);
      INDArray r = fn == BinaryFn.DIV ? q : xd.sub(q.mul(yd));
      return r.castTo(Nd4jArrays.dataType(d));
    }
    return switch (fn) {
      case ADD -> x.add(y);
      case SUB -> x.sub(y);
      case MUL -> x.mul(y);
      case DIV -> x.div(y);
      case POW -> Transforms.pow(x, y, true);
      case MAX -> Transforms.max(x, y, true);
      case MIN -> Transforms.min(x, y, true);
      case MOD -> {
        INDArray q = Transforms.floor(x.div(y), true);
        yield x.sub(q.mul(y));
      }
      default -> throw new IllegalStateException(fn.toString());
    };
  }

  /**
   * Float arithmetic without materialising a broadcast: a scalar operand becomes one of ND4J's
   * scalar ops and a lower-rank operand uses ND4J's broadcasting pairwise ops. Null when neither
   * applies.
   */
  private static INDArray floatBinary(BinaryFn fn, INDArray a, INDArray b, TensorType out) {
    long[] os = Nd4jArrays.longs(out.shape());
    boolean aFull = java.util.Arrays.equals(a.shape(), os);
    boolean bFull = java.util.Arrays.equals(b.shape(), os);
    if (aFull && bFull) {
      return null;
    }
    if (aFull && b.length() == 1) {
      double v = b.getDouble(0);
      return switch (fn) {
        case ADD -> a.add(v);
        case SUB -> a.sub(v);
        case MUL -> a.mul(v);
        case DIV -> a.div(v);
        default -> null;
      };
    }
    if (bFull && a.length() == 1) {
      double v = a.getDouble(0);
      return switch (fn) {
        case ADD -> b.add(v);
        case SUB -> b.rsub(v);
        case MUL -> b.mul(v);
        case DIV -> b.rdiv(v);
        default -> null;
      };
    }
    if (aFull || bFull) {
      INDArray x = aFull ? a : withRank(a, os.length);
      INDArray y = bFull ? b : withRank(b, os.length);
      return switch (fn) {
        case ADD -> x.add(y);
        case SUB -> x.sub(y);
        case MUL -> x.mul(y);
        case DIV -> x.div(y);
        default -> null;
      };
    }
    return null;
  }

  /**
   * Elementwise max or min where NaN in either operand gives NaN, as Java's, the native engine's
   * and Keras's. ND4J's own ({@code a > b ? a : b}) returns the other operand when the first is
   * NaN, so a loss's clip turned a NaN prediction into a finite loss.
   */
  private static INDArray nanKeepingMaxMin(boolean max, INDArray a, INDArray b, TensorType out) {
    long[] shape = Nd4jArrays.longs(out.shape());
    DataType t = Nd4jArrays.dataType(out.dtype());
    if (t == DataType.DOUBLE) {
      double[] x = Nd4jArrays.doubles(broadcast(a, out.shape()));
      double[] y = Nd4jArrays.doubles(broadcast(b, out.shape()));
      for (int i = 0; i < x.length; i++) {
        x[i] = max ? Math.max(x[i], y[i]) : Math.min(x[i], y[i]);
      }
      return Nd4jArrays.ofDoubles(x, shape);
    }
    // Narrower floats go through float32, which holds every float16 and bfloat16 value exactly.
    float[] x = Nd4jArrays.floats(broadcast(a, out.shape()).castTo(DataType.FLOAT));
    float[] y = Nd4jArrays.floats(broadcast(b, out.shape()).castTo(DataType.FLOAT));
    for (int i = 0; i < x.length; i++) {
      x[i] = max ? Math.max(x[i], y[i]) : Math.min(x[i], y[i]);
    }
    INDArray r = Nd4jArrays.ofFloats(x, shape);
    return t == DataType.FLOAT ? r : r.castTo(t);
  }

  /** {@code a} with leading axes of one up to {@code rank}. */
  private static INDArray withRank(INDArray a, int rank) {
    if (a.rank() == rank) {
      return a;
    }
    long[] s = a.shape();
    long[] t = new long[rank];
    java.util.Arrays.fill(t, 1);
    System.arraycopy(s, 0, t, rank - s.length, s.length);
    return a.reshape('c', t);
  }

  private static INDArray compare(CompareFn fn, INDArray a, INDArray b, TensorType out) {
    INDArray x = broadcast(a, out.shape());
    INDArray y = broadcast(b, out.shape());
    if (x.dataType() == DataType.BOOL) {
      x = x.castTo(DataType.INT);
      y = y.castTo(DataType.INT);
    }
    return switch (fn) {
      case EQUAL -> x.eq(y);
      case NOT_EQUAL -> x.neq(y);
      case LESS -> x.lt(y);
      case LESS_EQUAL -> Transforms.lessThanOrEqual(x, y, true).castTo(DataType.BOOL);
      case GREATER -> x.gt(y);
      case GREATER_EQUAL -> Transforms.greaterThanOrEqual(x, y, true).castTo(DataType.BOOL);
    };
  }

  /**
   * Select. ND4J's {@code where} reads element by element through generic accessors (about 40% of
   * an MLP step's time), so float selects run as one loop over host copies instead.
   */
  private static INDArray select(INDArray c, INDArray a, INDArray b, TensorType out) {
    DataType t = Nd4jArrays.dataType(out.dtype());
    long[] shape = Nd4jArrays.longs(out.shape());
    if (t == DataType.FLOAT) {
      byte[] cond = Nd4jArrays.bools(broadcast(c, out.shape()));
      float[] x = Nd4jArrays.floats(broadcast(a, out.shape()));
      float[] y = Nd4jArrays.floats(broadcast(b, out.shape()));
      for (int i = 0; i < y.length; i++) {
        if (cond[i] != 0) {
          y[i] = x[i];
        }
      }
      return Nd4jArrays.ofFloats(y, shape);
    }
    if (t == DataType.DOUBLE) {
      byte[] cond = Nd4jArrays.bools(broadcast(c, out.shape()));
      double[] x = Nd4jArrays.doubles(broadcast(a, out.shape()));
      double[] y = Nd4jArrays.doubles(broadcast(b, out.shape()));
      for (int i = 0; i < y.length; i++) {
        if (cond[i] != 0) {
          y[i] = x[i];
        }
      }
      return Nd4jArrays.ofDoubles(y, shape);
    }
    INDArray condition = broadcast(c, out.shape()).castTo(DataType.BOOL);
    INDArray x = broadcast(a, out.shape()).dup('c');
    INDArray y = broadcast(b, out.shape());
    if (out.dtype().isBool()) {
      // ND4J's where has no bool kernel: select on int32 and cast back.
      INDArray r =
          new org.nd4j.linalg.factory.ops.NDBase()
              .where(x.castTo(DataType.INT), y.castTo(DataType.INT), condition);
      return r.castTo(DataType.BOOL);
    }
    return new org.nd4j.linalg.factory.ops.NDBase().where(x, y, condition);
  }

  // ---------------------------------------------------------------- reductions and matmul

  private static INDArray reduce(ReductionOp.Reduce r, INDArray x, TensorType out) {
    if (r.axes().length == 0) {
      return x.dup();
    }
    INDArray y =
        switch (r.fn()) {
          case SUM -> x.sum(r.keepDims(), r.axes());
          case MEAN -> x.mean(r.keepDims(), r.axes());
          case MAX -> x.max(r.keepDims(), r.axes());
          case MIN -> x.min(r.keepDims(), r.axes());
          case PROD -> x.prod(r.keepDims(), r.axes());
        };
    return y.castTo(Nd4jArrays.dataType(out.dtype())).reshape('c', Nd4jArrays.longs(out.shape()));
  }

  private static INDArray argReduce(ReductionOp.ArgReduce a, INDArray x, TensorType out) {
    INDArray src = a.fn() == ArgFn.ARGMAX ? x : x.castTo(DataType.DOUBLE).neg();
    INDArray idx = Nd4j.argMax(src, a.axis());
    return idx.castTo(Nd4jArrays.dataType(out.dtype())).reshape('c', Nd4jArrays.longs(out.shape()));
  }

  private static INDArray matmul(LinalgOp.MatMul m, INDArray a, INDArray b, TensorType out) {
    long[] os = Nd4jArrays.longs(out.shape());
    int r = os.length;
    long rows = os[r - 2];
    long cols = os[r - 1];
    long batch = 1;
    for (int i = 0; i < r - 2; i++) {
      batch *= os[i];
    }
    INDArray x = batched(a, out.shape(), m.transposeA(), rows);
    INDArray y = batched(b, out.shape(), m.transposeB(), cols);
    INDArray z =
        batch == 1
            ? Nd4j.matmul(
                x.reshape(x.size(1), x.size(2)),
                y.reshape(y.size(1), y.size(2)),
                m.transposeA(),
                m.transposeB(),
                false)
            : Nd4j.matmul(x, y, m.transposeA(), m.transposeB(), false);
    return z.reshape('c', os);
  }

  /** An operand as a rank-3 {@code [batch, p, q]} array with its batch axes broadcast. */
  private static INDArray batched(INDArray a, Shape out, boolean t, long keep) {
    long[] s = a.shape();
    long p = s[s.length - 2];
    long q = s[s.length - 1];
    long[] full = new long[out.rank()];
    for (int i = 0; i < out.rank() - 2; i++) {
      full[i] = out.dim(i);
    }
    full[out.rank() - 2] = p;
    full[out.rank() - 1] = q;
    INDArray b =
        broadcast(a, Shape.of(java.util.Arrays.stream(full).mapToInt(x -> (int) x).toArray()));
    long batch = b.length() / (p * q);
    return b.dup('c').reshape('c', batch, p, q);
  }

  // ---------------------------------------------------------------- shapes

  private static INDArray slice(INDArray x, int[] begin, int[] size) {
    INDArrayIndex[] idx = new INDArrayIndex[begin.length];
    for (int i = 0; i < begin.length; i++) {
      idx[i] = NDArrayIndex.interval(begin[i], begin[i] + size[i]);
    }
    return x.get(idx).dup('c');
  }

  private static INDArray pad(INDArray x, ShapeOp.Pad p, TensorType out) {
    INDArray r = Nd4j.valueArrayOf(Nd4jArrays.longs(out.shape()), p.value(), x.dataType());
    INDArrayIndex[] idx = new INDArrayIndex[x.rank()];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = NDArrayIndex.interval(p.low()[i], p.low()[i] + x.size(i));
    }
    r.put(idx, x);
    return r;
  }

  /** Row {@code t} of axis 0, as its own array. */
  static INDArray row(INDArray a, int t) {
    long[] s = a.shape();
    long[] rest = java.util.Arrays.copyOfRange(s, 1, s.length);
    INDArrayIndex[] idx = new INDArrayIndex[s.length];
    idx[0] = NDArrayIndex.point(t);
    for (int i = 1; i < s.length; i++) {
      idx[i] = NDArrayIndex.all();
    }
    return a.get(idx).dup('c').reshape('c', rest);
  }

  /** Stacks per-step arrays along a new axis 0. */
  static INDArray stack(INDArray[] rows, TensorType each) {
    long[] s = Nd4jArrays.longs(each.shape());
    long[] withOne = new long[s.length + 1];
    withOne[0] = 1;
    System.arraycopy(s, 0, withOne, 1, s.length);
    INDArray[] parts = new INDArray[rows.length];
    for (int i = 0; i < rows.length; i++) {
      parts[i] = rows[i].reshape('c', withOne);
    }
    return Nd4j.concat(0, parts);
  }

  // ---------------------------------------------------------------- host-side index ops

  private static HostTensor iota(TensorType t, int axis) {
    HostTensor h = HostTensor.zeros(t.dtype(), t.shape());
    long[] strides = t.shape().strides();
    for (int i = 0; i < h.size(); i++) {
      h.setDouble(i, (i / strides[axis]) % t.shape().dim(axis));
    }
    return h;
  }

  private static HostTensor random(SourceOp.Random r, HostTensor seed) {
    long key = seed.getLong(0);
    long counter = seed.getLong(1);
    HostTensor h = HostTensor.zeros(r.type().dtype(), r.type().shape());
    for (int i = 0; i < h.size(); i++) {
      double v =
          switch (r.distribution()) {
            case UNIFORM -> r.a() + (r.b() - r.a()) * Philox.uniform(key, counter, i);
            case NORMAL -> r.a() + r.b() * Philox.normal(key, counter, i);
            case BERNOULLI -> Philox.uniform(key, counter, i) < r.a() ? 1 : 0;
          };
      h.setDouble(i, v);
    }
    return h;
  }

  private static HostTensor strided(HostTensor x, ShapeOp.StridedSlice s, TensorType out) {
    HostTensor h = HostTensor.zeros(out.dtype(), out.shape());
    long[] xs = x.shape().strides();
    long[] os = out.shape().strides();
    for (int i = 0; i < h.size(); i++) {
      long src = 0;
      for (int d = 0; d < os.length; d++) {
        long k = (i / os[d]) % out.shape().dim(d);
        src += (s.begin()[d] + k * s.strides()[d]) * xs[d];
      }
      h.setDouble(i, x.getDouble((int) src));
    }
    return h;
  }

  private static HostTensor gather(HostTensor p, HostTensor idx, int axis, TensorType out) {
    HostTensor h = HostTensor.zeros(out.dtype(), out.shape());
    long inner = p.shape().strides()[axis];
    int len = p.shape().dim(axis);
    long outer = p.shape().size() / (len * inner);
    int n = idx.size();
    for (long o = 0; o < outer; o++) {
      for (int k = 0; k < n; k++) {
        // Out-of-range indices are clamped, as the IR defines gather.
        long j = Math.min(Math.max(idx.getLong(k), 0), len - 1);
        for (long e = 0; e < inner; e++) {
          h.setDouble(
              (int) ((o * n + k) * inner + e), p.getDouble((int) ((o * len + j) * inner + e)));
        }
      }
    }
    return h;
  }

  private static HostTensor scatterAdd(HostTensor t, HostTensor idx, HostTensor u, int axis) {
    HostTensor h = t.copy();
    long inner = t.shape().strides()[axis];
    int len = t.shape().dim(axis);
    long outer = t.shape().size() / (len * inner);
    int n = idx.size();
    for (long o = 0; o < outer; o++) {
      for (int k = 0; k < n; k++) {
        long j = idx.getLong(k);
        if (j < 0 || j >= len) {
          continue; // dropped, as the IR defines scatter-add
        }
        for (long e = 0; e < inner; e++) {
          int dst = (int) ((o * len + j) * inner + e);
          int src = (int) ((o * n + k) * inner + e);
          if (h.dtype().isFloating()) {
            h.setDouble(dst, h.getDouble(dst) + u.getDouble(src));
          } else {
            h.setLong(dst, h.getLong(dst) + u.getLong(src)); // integers wrap, as the IR's add
          }
        }
      }
    }
    return h;
  }

  private static HostTensor oneHot(HostTensor idx, int depth, TensorType out) {
    HostTensor h = HostTensor.zeros(out.dtype(), out.shape());
    for (int i = 0; i < idx.size(); i++) {
      long j = idx.getLong(i);
      if (j >= 0 && j < depth) {
        h.setDouble((int) (i * (long) depth + j), 1);
      }
    }
    return h;
  }
}
