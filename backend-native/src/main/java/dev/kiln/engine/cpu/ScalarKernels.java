package dev.kiln.engine.cpu;

import dev.kiln.spi.DType;
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
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.PoolingOp;
import dev.kiln.spi.ir.ReduceFn;
import dev.kiln.spi.ir.ReductionOp;
import dev.kiln.spi.ir.ShapeOp;
import dev.kiln.spi.ir.SourceOp;
import dev.kiln.spi.ir.UnaryFn;
import dev.kiln.spi.ir.Value;
import dev.kiln.spi.math.SpecialFunctions;
import dev.kiln.spi.random.Philox;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/**
 * The scalar twins: one kernel per op that handles every dtype, element by element. They are the
 * fallback when the Vector API is absent or disabled, the path for dtypes without vector kernels,
 * and the reference the vector kernels are tested against. Floats compute in double and round once
 * on store; integers compute in long and wrap.
 */
public final class ScalarKernels {
  private ScalarKernels() {}

  /**
   * The scalar kernel of a node, or null for the ops that have none here: sources and scans, which
   * {@code Program} handles, and the composites expanded before lowering. The switch names every
   * op, so a new op does not compile until this backend lowers it.
   */
  public static Kernel of(Node n) {
    List<Value> in = n.inputs();
    TensorType out = n.outputs().get(0).type();
    return switch (n.op()) {
      case ElementwiseOp.Unary u -> unary(u.fn(), out);
      case ElementwiseOp.Binary b -> binary(b.fn(), in.get(0).type(), in.get(1).type(), out);
      case ElementwiseOp.Compare c -> compare(c.fn(), in.get(0).type(), in.get(1).type(), out);
      case ElementwiseOp.Select s ->
          select(in.get(0).type(), in.get(1).type(), in.get(2).type(), out);
      case ElementwiseOp.Cast c -> cast(in.get(0).dtype(), out);
      case ReductionOp.Reduce r -> reduce(r.fn(), r.axes(), in.get(0).type(), out);
      case ReductionOp.ArgReduce a -> argReduce(a, in.get(0).type(), out);
      case LinalgOp.MatMul m -> matmul(m, in.get(0).type(), in.get(1).type(), out);
      case ConvolutionOp.Conv c ->
          ConvLoops.forward(c.spec(), in.get(0).type(), in.get(1).type(), out);
      case ConvolutionOp.ConvBackpropInput c ->
          ConvLoops.backpropInput(c.spec(), in.get(0).type(), in.get(1).type(), out);
      case ConvolutionOp.ConvBackpropFilter c ->
          ConvLoops.backpropFilter(c.spec(), in.get(0).type(), in.get(1).type(), out);
      case PoolingOp.Pool p -> PoolLoops.forward(p.fn(), p.spec(), in.get(0).type(), out);
      case PoolingOp.MaxPoolBackward p -> PoolLoops.maxBackward(p.spec(), in.get(0).type(), out);
      case PoolingOp.AvgPoolBackward p -> PoolLoops.avgBackward(p.spec(), in.get(0).type(), out);
      case ShapeOp.Reshape r -> copy(out);
      case ShapeOp.Transpose t -> transpose(t.perm(), in.get(0).type(), out);
      case ShapeOp.BroadcastTo b -> broadcastTo(in.get(0).type(), out);
      case ShapeOp.Slice s -> strided(s.begin(), ones(s.begin().length), in.get(0).type(), out);
      case ShapeOp.StridedSlice s -> strided(s.begin(), s.strides(), in.get(0).type(), out);
      case ShapeOp.Concat c -> concat(c.axis(), in, out);
      case ShapeOp.Pad p -> pad(p, in.get(0).type(), out);
      case IndexingOp.Gather g -> gather(g.axis(), in.get(0).type(), in.get(1).type(), out);
      case IndexingOp.ScatterAdd s ->
          scatterAdd(s.axis(), in.get(0).type(), in.get(1).type(), in.get(2).type(), out);
      case IndexingOp.OneHot o -> oneHot(o.depth(), in.get(0).type(), out);
      case SourceOp.Iota i -> iota(i.axis(), out);
      case SourceOp.Random r -> random(r, out);
      case CompositeOp.Softmax s -> softmax(out.shape().normalizeAxis(s.axis()), out, false);
      case CompositeOp.LogSoftmax s -> softmax(out.shape().normalizeAxis(s.axis()), out, true);
      case CompositeOp.AdamUpdate a -> AdamUpdates.scalar(a, out);
      case CompositeOp.BatchNormTraining b -> BatchNorms.scalarForward(b, out);
      case CompositeOp.BatchNormTrainingGrad b -> BatchNorms.scalarGradient(b, out);
      // Program gives sources their buffers and runs a scan's body itself: no kernel here.
      case SourceOp.Parameter _, SourceOp.VariableRead _, SourceOp.Constant _ -> null;
      case ControlFlowOp.Scan _ -> null;
      // Expanded into primitives before lowering: Kernels.hasDirectKernel says no to these.
      case CompositeOp.LogSumExp _,
          CompositeOp.SoftmaxCrossEntropy _,
          CompositeOp.SigmoidCrossEntropy _,
          CompositeOp.BatchNormInference _,
          CompositeOp.LayerNorm _,
          CompositeOp.Gelu _,
          CompositeOp.Silu _ ->
          null;
    };
  }

  static int[] ones(int n) {
    int[] a = new int[n];
    java.util.Arrays.fill(a, 1);
    return a;
  }

  // ---------------------------------------------------------------- elementwise

  static double unaryF(UnaryFn fn, double v) {
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
      case ERF -> SpecialFunctions.erf(v);
      case FLOOR -> Math.floor(v);
      case CEIL -> Math.ceil(v);
      case ROUND -> Math.rint(v);
      case LOGICAL_NOT -> v != 0 ? 0 : 1;
    };
  }

  static long unaryL(UnaryFn fn, long v) {
    return switch (fn) {
      case NEG -> -v;
      case ABS -> Math.abs(v);
      case SIGN -> Long.signum(v);
      case SQUARE -> v * v;
      case LOGICAL_NOT -> v != 0 ? 0 : 1;
      default -> throw new IllegalStateException(fn + " on integers");
    };
  }

  static Kernel unary(UnaryFn fn, TensorType t) {
    DType d = t.dtype();
    long n = t.shape().size();
    if (d.isFloating()) {
      return (in, out) -> {
        for (long i = 0; i < n; i++) {
          Elem.set(d, out[0], i, unaryF(fn, Elem.get(d, in[0], i)));
        }
      };
    }
    return (in, out) -> {
      for (long i = 0; i < n; i++) {
        Elem.setLong(d, out[0], i, unaryL(fn, Elem.getLong(d, in[0], i)));
      }
    };
  }

  static double binaryF(BinaryFn fn, double p, double q) {
    return switch (fn) {
      case ADD -> p + q;
      case SUB -> p - q;
      case MUL -> p * q;
      case DIV -> p / q;
      case POW -> Math.pow(p, q);
      case MAX -> Double.isNaN(p) || Double.isNaN(q) ? Double.NaN : Math.max(p, q);
      case MIN -> Double.isNaN(p) || Double.isNaN(q) ? Double.NaN : Math.min(p, q);
      case MOD -> p - q * Math.floor(p / q);
      default -> throw new IllegalStateException(fn + " on floats");
    };
  }

  static long binaryL(BinaryFn fn, long p, long q) {
    return switch (fn) {
      case ADD -> p + q;
      case SUB -> p - q;
      case MUL -> p * q;
      case DIV -> q == 0 ? 0 : Math.floorDiv(p, q);
      case MOD -> q == 0 ? 0 : Math.floorMod(p, q);
      case MAX -> Math.max(p, q);
      case MIN -> Math.min(p, q);
      case LOGICAL_AND -> (p != 0 && q != 0) ? 1 : 0;
      case LOGICAL_OR -> (p != 0 || q != 0) ? 1 : 0;
      case LOGICAL_XOR -> ((p != 0) != (q != 0)) ? 1 : 0;
      case POW -> throw new IllegalStateException("pow on integers");
    };
  }

  static Kernel binary(BinaryFn fn, TensorType a, TensorType b, TensorType t) {
    DType d = t.dtype();
    DType da = a.dtype();
    int[] dims = t.shape().dims();
    long n = t.shape().size();
    Index.Odometer od =
        new Index.Odometer(
            dims,
            Index.broadcastStrides(a.shape(), t.shape()),
            Index.broadcastStrides(b.shape(), t.shape()));
    boolean floating = d.isFloating();
    // Narrow integer results must be computed at the operands' width before wrapping, which
    // long arithmetic followed by setLong's narrowing does exactly.
    return (in, out) -> {
      od.reset();
      for (long i = 0; i < n; i++) {
        if (floating) {
          Elem.set(
              d,
              out[0],
              i,
              binaryF(fn, Elem.get(da, in[0], od.offset[0]), Elem.get(da, in[1], od.offset[1])));
        } else {
          Elem.setLong(
              d,
              out[0],
              i,
              binaryL(
                  fn,
                  Elem.getLong(da, in[0], od.offset[0]),
                  Elem.getLong(da, in[1], od.offset[1])));
        }
        od.next();
      }
    };
  }

  static Kernel compare(CompareFn fn, TensorType a, TensorType b, TensorType t) {
    DType da = a.dtype();
    long n = t.shape().size();
    Index.Odometer od =
        new Index.Odometer(
            t.shape().dims(),
            Index.broadcastStrides(a.shape(), t.shape()),
            Index.broadcastStrides(b.shape(), t.shape()));
    boolean floating = da.isFloating();
    return (in, out) -> {
      od.reset();
      for (long i = 0; i < n; i++) {
        int c;
        if (floating) {
          double p = Elem.get(da, in[0], od.offset[0]);
          double q = Elem.get(da, in[1], od.offset[1]);
          c =
              Double.isNaN(p) || Double.isNaN(q)
                  ? 2
                  : Double.compare(p == 0 ? 0.0 : p, q == 0 ? 0.0 : q);
        } else {
          c =
              Long.compare(
                  Elem.getLong(da, in[0], od.offset[0]), Elem.getLong(da, in[1], od.offset[1]));
        }
        boolean r =
            switch (fn) {
              case EQUAL -> c == 0;
              case NOT_EQUAL -> c != 0;
              case LESS -> c == -1;
              case LESS_EQUAL -> c == -1 || c == 0;
              case GREATER -> c == 1;
              case GREATER_EQUAL -> c == 1 || c == 0;
            };
        Elem.setLong(DType.BOOL, out[0], i, r ? 1 : 0);
        od.next();
      }
    };
  }

  static Kernel select(TensorType c, TensorType a, TensorType b, TensorType t) {
    long n = t.shape().size();
    int bytes = t.dtype().byteSize();
    Index.Odometer od =
        new Index.Odometer(
            t.shape().dims(),
            Index.broadcastStrides(c.shape(), t.shape()),
            Index.broadcastStrides(a.shape(), t.shape()),
            Index.broadcastStrides(b.shape(), t.shape()));
    return (in, out) -> {
      od.reset();
      for (long i = 0; i < n; i++) {
        boolean pick = Elem.getLong(DType.BOOL, in[0], od.offset[0]) != 0;
        Elem.copy(bytes, pick ? in[1] : in[2], pick ? od.offset[1] : od.offset[2], out[0], i);
        od.next();
      }
    };
  }

  static Kernel cast(DType from, TensorType t) {
    DType to = t.dtype();
    long n = t.shape().size();
    boolean viaLong = !from.isFloating() && !to.isFloating();
    return (in, out) -> {
      for (long i = 0; i < n; i++) {
        if (viaLong) {
          Elem.setLong(to, out[0], i, Elem.getLong(from, in[0], i));
        } else {
          Elem.set(to, out[0], i, Elem.get(from, in[0], i));
        }
      }
    };
  }

  // ---------------------------------------------------------------- reductions

  static Kernel reduce(ReduceFn fn, int[] axes, TensorType x, TensorType t) {
    DType d = x.dtype();
    Shape xs = x.shape();
    int[] kd = xs.dims();
    long count = 1;
    for (int a : axes) {
      kd[a] = 1;
      count *= xs.dim(a);
    }
    long[] outStrides = Index.broadcastStrides(Shape.of(kd), xs);
    long n = xs.size();
    int outSize = t.shape().intSize();
    boolean floating = d.isFloating();
    double[] acc = new double[outSize];
    long[] accL = new long[outSize];
    long cnt = count;
    Index.Odometer od = new Index.Odometer(xs.dims(), outStrides);
    return (in, out) -> {
      double init =
          switch (fn) {
            case SUM, MEAN -> 0;
            case PROD -> 1;
            case MAX -> Double.NEGATIVE_INFINITY;
            case MIN -> Double.POSITIVE_INFINITY;
          };
      long initL =
          switch (fn) {
            case SUM, MEAN -> 0;
            case PROD -> 1;
            case MAX -> Long.MIN_VALUE;
            case MIN -> Long.MAX_VALUE;
          };
      java.util.Arrays.fill(acc, init);
      java.util.Arrays.fill(accL, initL);
      od.reset();
      for (long i = 0; i < n; i++) {
        int o = (int) od.offset[0];
        if (floating) {
          double v = Elem.get(d, in[0], i);
          acc[o] =
              switch (fn) {
                case SUM, MEAN -> acc[o] + v;
                case PROD -> acc[o] * v;
                case MAX -> Double.isNaN(v) || v > acc[o] ? v : acc[o];
                case MIN -> Double.isNaN(v) || v < acc[o] ? v : acc[o];
              };
        } else {
          long v = Elem.getLong(d, in[0], i);
          accL[o] =
              switch (fn) {
                case SUM, MEAN -> accL[o] + v;
                case PROD -> accL[o] * v;
                case MAX -> Math.max(accL[o], v);
                case MIN -> Math.min(accL[o], v);
              };
        }
        od.next();
      }
      for (int o = 0; o < outSize; o++) {
        if (floating) {
          Elem.set(d, out[0], o, fn == ReduceFn.MEAN ? acc[o] / cnt : acc[o]);
        } else {
          Elem.setLong(d, out[0], o, accL[o]);
        }
      }
    };
  }

  static Kernel argReduce(ReductionOp.ArgReduce a, TensorType x, TensorType t) {
    DType d = x.dtype();
    int axis = a.axis();
    int len = x.shape().dim(axis);
    long inner = x.shape().strides()[axis];
    long outer = x.shape().size() / Math.max(1, len * inner);
    boolean max = a.fn() == ArgFn.ARGMAX;
    return (in, out) -> {
      for (long o = 0; o < outer; o++) {
        for (long j = 0; j < inner; j++) {
          long base = o * len * inner + j;
          double best = Elem.get(d, in[0], base);
          int bi = 0;
          for (int k = 1; k < len && !Double.isNaN(best); k++) {
            double v = Elem.get(d, in[0], base + k * inner);
            if (Double.isNaN(v) || (max ? v > best : v < best)) {
              best = v;
              bi = k;
            }
          }
          Elem.setLong(t.dtype(), out[0], o * inner + j, bi);
        }
      }
    };
  }

  // ---------------------------------------------------------------- matmul

  static Kernel matmul(LinalgOp.MatMul m, TensorType a, TensorType b, TensorType t) {
    DType d = t.dtype();
    int r = t.rank();
    int rows = t.shape().dim(r - 2);
    int cols = t.shape().dim(r - 1);
    int k = a.shape().dim(m.transposeA() ? -2 : -1);
    Shape batch = Shape.of(java.util.Arrays.copyOf(t.shape().dims(), r - 2));
    long[] sa =
        Index.broadcastStrides(
            Shape.of(java.util.Arrays.copyOf(a.shape().dims(), a.rank() - 2)), batch);
    long[] sb =
        Index.broadcastStrides(
            Shape.of(java.util.Arrays.copyOf(b.shape().dims(), b.rank() - 2)), batch);
    long aMat = (long) a.shape().dim(-1) * a.shape().dim(-2);
    long bMat = (long) b.shape().dim(-1) * b.shape().dim(-2);
    // Strides of op(A)[i][p] and op(B)[p][j] in elements.
    int ai = m.transposeA() ? 1 : k;
    int ap = m.transposeA() ? rows : 1;
    int bp = m.transposeB() ? 1 : cols;
    int bj = m.transposeB() ? k : 1;
    long batches = batch.size();
    Index.Odometer od = new Index.Odometer(batch.dims(), sa, sb);
    boolean floating = d.isFloating();
    return (in, out) -> {
      od.reset();
      for (long bt = 0; bt < batches; bt++) {
        long aBase = od.offset[0] * aMat;
        long bBase = od.offset[1] * bMat;
        long cBase = bt * rows * cols;
        for (int i = 0; i < rows; i++) {
          for (int j = 0; j < cols; j++) {
            if (floating) {
              double s = 0;
              for (int p = 0; p < k; p++) {
                s +=
                    Elem.get(d, in[0], aBase + (long) i * ai + (long) p * ap)
                        * Elem.get(d, in[1], bBase + (long) p * bp + (long) j * bj);
              }
              Elem.set(d, out[0], cBase + (long) i * cols + j, s);
            } else {
              long s = 0;
              for (int p = 0; p < k; p++) {
                s +=
                    Elem.getLong(d, in[0], aBase + (long) i * ai + (long) p * ap)
                        * Elem.getLong(d, in[1], bBase + (long) p * bp + (long) j * bj);
              }
              Elem.setLong(d, out[0], cBase + (long) i * cols + j, s);
            }
          }
        }
        od.next();
      }
    };
  }

  // ---------------------------------------------------------------- shape ops

  static Kernel copy(TensorType t) {
    long bytes = t.shape().size() * t.dtype().byteSize();
    return (in, out) -> {
      if (in[0].address() != out[0].address()) {
        MemorySegment.copy(in[0], 0, out[0], 0, bytes);
      }
    };
  }

  static Kernel transpose(int[] perm, TensorType x, TensorType t) {
    long[] xs = x.shape().strides();
    long[] s = new long[perm.length];
    for (int i = 0; i < perm.length; i++) {
      s[i] = xs[perm[i]];
    }
    return gatherByStrides(t, s, 0);
  }

  /**
   * Writes out[i] = in[offset + <index(i), strides>] for every output position. Trailing axes that
   * read the input contiguously (a slice of whole rows, an LSTM's gate columns) are copied as runs;
   * an element at a time cost a hundred times an elementwise op of the same size.
   */
  static Kernel gatherByStrides(TensorType t, long[] strides, long offset) {
    long n = t.shape().size();
    int bytes = t.dtype().byteSize();
    int[] dims = t.shape().dims();
    int a = dims.length;
    long run = 1;
    while (a > 0 && (strides[a - 1] == run || dims[a - 1] == 1)) {
      run *= dims[a - 1];
      a--;
    }
    if (run >= 4 && a < dims.length) {
      Index.Odometer outer = new Index.Odometer(Arrays.copyOf(dims, a), Arrays.copyOf(strides, a));
      long runs = n / run;
      long runBytes = run * bytes;
      return (in, out) -> {
        outer.reset();
        for (long r = 0; r < runs; r++) {
          MemorySegment.copy(
              in[0], (offset + outer.offset[0]) * bytes, out[0], r * runBytes, runBytes);
          outer.next();
        }
      };
    }
    Index.Odometer od = new Index.Odometer(t.shape().dims(), strides);
    return (in, out) -> {
      od.reset();
      for (long i = 0; i < n; i++) {
        Elem.copy(bytes, in[0], offset + od.offset[0], out[0], i);
        od.next();
      }
    };
  }

  static Kernel broadcastTo(TensorType x, TensorType t) {
    return gatherByStrides(t, Index.broadcastStrides(x.shape(), t.shape()), 0);
  }

  static Kernel strided(int[] begin, int[] steps, TensorType x, TensorType t) {
    long[] xs = x.shape().strides();
    long[] s = new long[xs.length];
    long offset = 0;
    for (int i = 0; i < xs.length; i++) {
      s[i] = xs[i] * steps[i];
      offset += xs[i] * begin[i];
    }
    return gatherByStrides(t, s, offset);
  }

  static Kernel concat(int axis, List<Value> ins, TensorType t) {
    int bytes = t.dtype().byteSize();
    long outer = 1;
    for (int i = 0; i < axis; i++) {
      outer *= t.shape().dim(i);
    }
    long outRow = t.shape().size() / Math.max(1, outer) * bytes;
    long[] rows = new long[ins.size()];
    for (int k = 0; k < rows.length; k++) {
      rows[k] = ins.get(k).shape().size() / Math.max(1, outer) * bytes;
    }
    long o = outer;
    return (in, out) -> {
      for (long r = 0; r < o; r++) {
        long pos = r * outRow;
        for (int k = 0; k < rows.length; k++) {
          MemorySegment.copy(in[k], r * rows[k], out[0], pos, rows[k]);
          pos += rows[k];
        }
      }
    };
  }

  static Kernel pad(ShapeOp.Pad p, TensorType x, TensorType t) {
    DType d = t.dtype();
    long n = x.shape().size();
    long[] os = t.shape().strides();
    long offset = 0;
    for (int i = 0; i < os.length; i++) {
      offset += os[i] * p.low()[i];
    }
    long total = t.shape().size();
    int bytes = d.byteSize();
    int[] xd = x.shape().dims();
    int a = xd.length - 1;
    long run = a >= 0 ? xd[a] : 1;
    // Axes without padding keep the rows below them contiguous in the result too.
    while (a > 0 && p.low()[a] == 0 && p.high()[a] == 0) {
      a--;
      run *= xd[a];
    }
    if (a >= 0 && run >= 4) {
      Index.Odometer outer = new Index.Odometer(Arrays.copyOf(xd, a), Arrays.copyOf(os, a));
      long runs = n / run;
      long runBytes = run * bytes;
      long base = offset;
      return (in, out) -> {
        if (p.value() == 0) {
          out[0].asSlice(0, total * bytes).fill((byte) 0);
        } else {
          for (long i = 0; i < total; i++) {
            Elem.set(d, out[0], i, p.value());
          }
        }
        outer.reset();
        for (long r = 0; r < runs; r++) {
          MemorySegment.copy(
              in[0], r * runBytes, out[0], (base + outer.offset[0]) * bytes, runBytes);
          outer.next();
        }
      };
    }
    Index.Odometer od = new Index.Odometer(xd, os);
    long off = offset;
    return (in, out) -> {
      if (p.value() == 0) {
        out[0].asSlice(0, total * bytes).fill((byte) 0);
      } else {
        for (long i = 0; i < total; i++) {
          Elem.set(d, out[0], i, p.value());
        }
      }
      od.reset();
      for (long i = 0; i < n; i++) {
        Elem.copy(bytes, in[0], i, out[0], off + od.offset[0]);
        od.next();
      }
    };
  }

  static Kernel gather(int axis, TensorType p, TensorType idx, TensorType t) {
    int bytes = t.dtype().byteSize();
    int dim = p.shape().dim(axis);
    long inner = p.shape().strides()[axis];
    long outer = p.shape().size() / Math.max(1, dim * inner);
    long count = idx.shape().size();
    DType id = idx.dtype();
    return (in, out) -> {
      long pos = 0;
      for (long o = 0; o < outer; o++) {
        for (long k = 0; k < count; k++) {
          long j = Math.clamp(Elem.getLong(id, in[1], k), 0, dim - 1);
          MemorySegment.copy(
              in[0], (o * dim + j) * inner * bytes, out[0], pos * bytes, inner * bytes);
          pos += inner;
        }
      }
    };
  }

  static Kernel scatterAdd(
      int axis, TensorType target, TensorType idx, TensorType upd, TensorType t) {
    DType d = t.dtype();
    int dim = target.shape().dim(axis);
    long inner = target.shape().strides()[axis];
    long outer = target.shape().size() / Math.max(1, dim * inner);
    long count = idx.shape().size();
    long total = target.shape().size();
    DType id = idx.dtype();
    boolean floating = d.isFloating();
    int bytes = d.byteSize();
    return (in, out) -> {
      if (in[0].address() != out[0].address()) {
        MemorySegment.copy(in[0], 0, out[0], 0, total * bytes);
      }
      long pos = 0;
      for (long o = 0; o < outer; o++) {
        for (long k = 0; k < count; k++) {
          long j = Elem.getLong(id, in[1], k);
          if (j >= 0 && j < dim) {
            long base = (o * dim + j) * inner;
            for (long e = 0; e < inner; e++) {
              if (floating) {
                Elem.set(
                    d,
                    out[0],
                    base + e,
                    Elem.get(d, out[0], base + e) + Elem.get(d, in[2], pos + e));
              } else {
                Elem.setLong(
                    d,
                    out[0],
                    base + e,
                    Elem.getLong(d, out[0], base + e) + Elem.getLong(d, in[2], pos + e));
              }
            }
          }
          pos += inner;
        }
      }
    };
  }

  static Kernel oneHot(int depth, TensorType idx, TensorType t) {
    DType d = t.dtype();
    long n = idx.shape().size();
    long total = t.shape().size();
    return (in, out) -> {
      out[0].asSlice(0, total * d.byteSize()).fill((byte) 0);
      for (long i = 0; i < n; i++) {
        long k = Elem.getLong(idx.dtype(), in[0], i);
        if (k >= 0 && k < depth) {
          Elem.setLong(d, out[0], i * depth + k, 1);
        }
      }
    };
  }

  static Kernel iota(int axis, TensorType t) {
    int a = t.shape().normalizeAxis(axis);
    long inner = t.shape().strides()[a];
    int dim = t.shape().dim(a);
    long n = t.shape().size();
    return (in, out) -> {
      for (long i = 0; i < n; i++) {
        Elem.setLong(t.dtype(), out[0], i, (i / inner) % dim);
      }
    };
  }

  static Kernel random(SourceOp.Random r, TensorType t) {
    long n = t.shape().size();
    DType d = t.dtype();
    return (in, out) -> {
      long key = Elem.getLong(DType.INT64, in[0], 0);
      long counter = Elem.getLong(DType.INT64, in[0], 1);
      for (long i = 0; i < n; i++) {
        double v =
            switch (r.distribution()) {
              case UNIFORM -> r.a() + (r.b() - r.a()) * Philox.uniform(key, counter, i);
              case NORMAL -> r.a() + r.b() * Philox.normal(key, counter, i);
              case BERNOULLI -> Philox.uniform(key, counter, i) < r.a() ? 1 : 0;
            };
        Elem.set(d, out[0], i, v);
      }
    };
  }

  // ---------------------------------------------------------------- composites with direct kernels

  static Kernel softmax(int axis, TensorType t, boolean log) {
    DType d = t.dtype();
    int len = t.shape().dim(axis);
    long inner = t.shape().strides()[axis];
    long outer = t.shape().size() / Math.max(1, len * inner);
    return (in, out) -> {
      for (long o = 0; o < outer; o++) {
        for (long j = 0; j < inner; j++) {
          long base = o * len * inner + j;
          double max = Double.NEGATIVE_INFINITY;
          for (int k = 0; k < len; k++) {
            max = Math.max(max, Elem.get(d, in[0], base + k * inner));
          }
          double sum = 0;
          for (int k = 0; k < len; k++) {
            sum += Math.exp(Elem.get(d, in[0], base + k * inner) - max);
          }
          double lse = Math.log(sum);
          for (int k = 0; k < len; k++) {
            double v = Elem.get(d, in[0], base + k * inner) - max;
            Elem.set(d, out[0], base + k * inner, log ? v - lse : Math.exp(v) / sum);
          }
        }
      }
    };
  }

  /** Used by the pooling and convolution loops. */
  static int[] lowPadding(Padding p, int[] in, int[] window, int[] strides, int[] dilations) {
    int[] lo = new int[window.length];
    for (int a = 0; a < lo.length; a++) {
      lo[a] = p.resolve(a, in[a], window[a], strides[a], dilations[a])[0];
    }
    return lo;
  }
}
