package dev.kiln.engine.cpu;

import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.BinaryFn;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.CompositeOp;
import dev.kiln.spi.ir.ConvolutionOp;
import dev.kiln.spi.ir.ElementwiseOp;
import dev.kiln.spi.ir.LinalgOp;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.PoolingOp;
import dev.kiln.spi.ir.ReduceFn;
import dev.kiln.spi.ir.ReductionOp;
import dev.kiln.spi.ir.ShapeOp;
import dev.kiln.spi.ir.UnaryFn;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 kernels written with the Vector API for the layouts that dominate training: contiguous
 * elementwise ops, bias-style broadcasts, reductions over the last or the leading axes, softmax
 * over the last axis, matmul and convolution through {@link Gemm}. Each has a scalar twin in {@link
 * ScalarKernels}, which handles every other layout and dtype; null here means "use it".
 *
 * <p>Loops run the vector body over {@code loopBound(n)} elements and finish the tail with the same
 * operation on scalars, so results do not depend on where the vector body ends.
 */
final class VectorKernels {
  static final VectorSpecies<Float> S = VectorWidth.F32;
  static final int V = S.length();
  static final ByteOrder ORDER = ByteOrder.nativeOrder();
  static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

  /** Elementwise work below this many elements runs on the calling thread. */
  static final int GRAIN = 1 << 15;

  /**
   * The grain of the binary ops that run unwidened (same shapes, a scalar or a long repeated row)
   * and of the costly unary functions ({@link F32Loops#isCostly}): an LSTM's cell runs a dozen of
   * them per time step on rows of a few thousand floats, whose 3-12 µs on one thread (profiled in
   * the LSTM) are worth a hand-off to a spinning worker, which costs a few microseconds ({@link
   * CpuPool}). Alternating steps of two copies of the benchmark's LSTM in one process (2 cores,
   * AVX2): 4.1% and 4.6% less step time for the two, LeNet unchanged.
   */
  static final int SMALL_GRAIN = 1 << 12;

  private VectorKernels() {}

  static Kernel of(Node n, CpuPool pool) {
    TensorType out = n.outputs().get(0).type();
    boolean f32In = n.inputs().stream().allMatch(v -> v.dtype() == DType.FLOAT32);
    return switch (n.op()) {
      case LinalgOp.MatMul m when out.dtype() == DType.FLOAT32 ->
          matmul(m, n.inputs().get(0).type(), n.inputs().get(1).type(), out, pool);
      case ConvolutionOp.Conv c
          when out.dtype() == DType.FLOAT32
              && DepthwiseF32.covers(
                  c.spec(), n.inputs().get(0).type(), n.inputs().get(1).type()) ->
          DepthwiseF32.forward(
              c.spec(), n.inputs().get(0).type(), n.inputs().get(1).type(), out, pool);
      case ConvolutionOp.ConvBackpropInput c
          when out.dtype() == DType.FLOAT32
              && DepthwiseF32.covers(c.spec(), out, n.inputs().get(1).type()) ->
          DepthwiseF32.backpropInput(
              c.spec(), n.inputs().get(0).type(), n.inputs().get(1).type(), out, pool);
      case ConvolutionOp.ConvBackpropFilter c
          when out.dtype() == DType.FLOAT32
              && DepthwiseF32.covers(c.spec(), n.inputs().get(0).type(), out) ->
          DepthwiseF32.backpropFilter(
              c.spec(), n.inputs().get(0).type(), n.inputs().get(1).type(), out, pool);
      case ConvolutionOp.Conv c
          when out.dtype() == DType.FLOAT32 && DirectConv.coversForward(c.spec(), out) ->
          DirectConv.forward(
              c.spec(), n.inputs().get(0).type(), n.inputs().get(1).type(), out, pool);
      case ConvolutionOp.ConvBackpropInput c
          when out.dtype() == DType.FLOAT32
              && DirectConv.coversBackpropInput(
                  c.spec(), n.inputs().get(0).type(), n.inputs().get(1).type(), out) ->
          DirectConv.backpropInput(
              c.spec(), n.inputs().get(0).type(), n.inputs().get(1).type(), out, pool);
      case ConvolutionOp.ConvBackpropFilter c
          when out.dtype() == DType.FLOAT32
              && DirectConv.coversBackpropFilter(c.spec(), n.inputs().get(0).type()) ->
          DirectConv.backpropFilter(
              c.spec(), n.inputs().get(0).type(), n.inputs().get(1).type(), out, pool);
      case ConvolutionOp.Conv c when out.dtype() == DType.FLOAT32 && c.spec().groups() == 1 ->
          ConvGemm.forward(c.spec(), n.inputs().get(0).type(), n.inputs().get(1).type(), out, pool);
      case ConvolutionOp.ConvBackpropInput c
          when out.dtype() == DType.FLOAT32 && c.spec().groups() == 1 ->
          ConvGemm.backpropInput(
              c.spec(), n.inputs().get(0).type(), n.inputs().get(1).type(), out, pool);
      case ConvolutionOp.ConvBackpropFilter c
          when out.dtype() == DType.FLOAT32 && c.spec().groups() == 1 ->
          ConvGemm.backpropFilter(
              c.spec(), n.inputs().get(0).type(), n.inputs().get(1).type(), out, pool);
      case PoolingOp.Pool p when out.dtype() == DType.FLOAT32 ->
          PoolF32.forward(p.fn(), p.spec(), n.inputs().get(0).type(), pool);
      case PoolingOp.MaxPoolBackward p when out.dtype() == DType.FLOAT32 ->
          PoolF32.maxBackward(p.spec(), n.inputs().get(0).type(), pool);
      case ElementwiseOp.Unary u when out.dtype() == DType.FLOAT32 ->
          unary(u.fn(), out.shape().size(), pool);
      case ElementwiseOp.Binary b when out.dtype() == DType.FLOAT32 && f32In ->
          binary(b.fn(), n.inputs().get(0).shape(), n.inputs().get(1).shape(), out.shape(), pool);
      case ReductionOp.Reduce r when out.dtype() == DType.FLOAT32 ->
          reduce(r, n.inputs().get(0).shape());
      case ElementwiseOp.Compare c when f32In && masksSupported() ->
          compare(c.fn(), n.inputs().get(0).shape(), n.inputs().get(1).shape(), out.shape(), pool);
      case ElementwiseOp.Select s
          when out.dtype() == DType.FLOAT32
              && masksSupported()
              && n.inputs().get(0).shape().equals(out.shape())
              && n.inputs().stream()
                  .skip(1)
                  .allMatch(v -> v.shape().equals(out.shape()) || v.shape().size() == 1) ->
          select(
              out.shape().size(),
              n.inputs().get(1).shape().size() == 1 && out.shape().size() != 1,
              n.inputs().get(2).shape().size() == 1 && out.shape().size() != 1,
              pool);
      case CompositeOp.Softmax s when out.dtype() == DType.FLOAT32 && isLast(s.axis(), out) ->
          softmax(out.shape(), false);
      case CompositeOp.LogSoftmax s when out.dtype() == DType.FLOAT32 && isLast(s.axis(), out) ->
          softmax(out.shape(), true);
      case ShapeOp.BroadcastTo b when out.dtype() == DType.FLOAT32 ->
          broadcastTo(n.inputs().get(0).shape(), out.shape());
      case CompositeOp.AdamUpdate a when out.dtype() == DType.FLOAT32 ->
          AdamUpdates.vector(a, out.shape().size(), pool);
      case CompositeOp.BatchNormTraining b when out.dtype() == DType.FLOAT32 ->
          BatchNorms.vectorForward(b, out, pool);
      case CompositeOp.BatchNormTrainingGrad b when out.dtype() == DType.FLOAT32 ->
          BatchNorms.vectorGradient(b, out, pool);
      default -> null;
    };
  }

  /** Compare and select need a byte vector with as many lanes as floats: 8 lanes at least. */
  static boolean masksSupported() {
    return V >= 8;
  }

  private static boolean isLast(int axis, TensorType t) {
    return t.shape().normalizeAxis(axis) == t.rank() - 1;
  }

  // ---------------------------------------------------------------- matmul

  /**
   * A two-dimensional float32 matmul whose B stays the same until {@link
   * KeepingKernel#operandsChanged()}: B is packed at the first run after it and reused.
   */
  static KeepingKernel matmulKeepingB(LinalgOp.MatMul m, TensorType a, TensorType t, CpuPool pool) {
    int rows = t.shape().dim(0);
    int cols = t.shape().dim(1);
    int k = a.shape().dim(m.transposeA() ? 0 : 1);
    Gemm.Workspace ws = new Gemm.Workspace();
    return new KeepingKernel() {
      @Override
      public void run(MemorySegment[] in, MemorySegment[] out) {
        Gemm.multiply(
            pool,
            ws,
            rows,
            cols,
            k,
            Gemm.rows(in[0], 0, m.transposeA() ? rows : k),
            m.transposeA(),
            in[1],
            0,
            m.transposeB(),
            out[0],
            0,
            cols,
            false,
            true);
      }

      @Override
      public void operandsChanged() {
        ws.forgetB();
      }
    };
  }

  static Kernel matmul(LinalgOp.MatMul m, TensorType a, TensorType b, TensorType t, CpuPool pool) {
    int r = t.rank();
    int rows = t.shape().dim(r - 2);
    int cols = t.shape().dim(r - 1);
    int k = a.shape().dim(m.transposeA() ? -2 : -1);
    Shape batch = Shape.of(Arrays.copyOf(t.shape().dims(), r - 2));
    long[] sa =
        Index.broadcastStrides(Shape.of(Arrays.copyOf(a.shape().dims(), a.rank() - 2)), batch);
    long[] sb =
        Index.broadcastStrides(Shape.of(Arrays.copyOf(b.shape().dims(), b.rank() - 2)), batch);
    long aMat = (long) a.shape().dim(-1) * a.shape().dim(-2);
    long bMat = (long) b.shape().dim(-1) * b.shape().dim(-2);
    long batches = batch.size();
    Gemm.Workspace ws = new Gemm.Workspace();
    if (batches > 1 && b.rank() == 2 && !m.transposeA() && a.rank() == r) {
      // One matrix applied to a stack of matrices is one product of all the stack's rows: a
      // single large GEMM instead of one small one per matrix.
      int allRows = Math.toIntExact(batches * rows);
      return (in, out) ->
          Gemm.multiply(
              pool,
              ws,
              allRows,
              cols,
              k,
              in[0],
              0,
              false,
              in[1],
              0,
              m.transposeB(),
              out[0],
              0,
              cols,
              false);
    }
    Index.Odometer od = new Index.Odometer(batch.dims(), sa, sb);
    return (in, out) -> {
      od.reset();
      for (long bt = 0; bt < batches; bt++) {
        Gemm.multiply(
            pool,
            ws,
            rows,
            cols,
            k,
            in[0],
            od.offset[0] * aMat,
            m.transposeA(),
            in[1],
            od.offset[1] * bMat,
            m.transposeB(),
            out[0],
            bt * rows * cols,
            cols,
            false);
        od.next();
      }
    };
  }

  // ---------------------------------------------------------------- elementwise

  static Kernel unary(UnaryFn fn, long n, CpuPool pool) {
    if (!F32Loops.hasUnary(fn)) {
      return floatLoop(n, pool, v -> (float) ScalarKernels.unaryF(fn, v));
    }
    int len = (int) n;
    int grain = F32Loops.isCostly(fn) ? SMALL_GRAIN : GRAIN;
    return (in, out) ->
        pool.parallelFor(len, grain, (from, to) -> F32Loops.unary(fn, in[0], out[0], from, to));
  }

  /**
   * A float32 function applied element by element: the scalar path for functions with no vector
   * form.
   */
  interface FloatFn {
    float apply(float v);
  }

  static Kernel floatLoop(long n, CpuPool pool, FloatFn f) {
    int len = (int) n;
    return (in, out) ->
        pool.parallelFor(
            len,
            GRAIN,
            (from, to) -> {
              for (int i = from; i < to; i++) {
                out[0].setAtIndex(F, i, f.apply(in[0].getAtIndex(F, i)));
              }
            });
  }

  /**
   * Same-shape, scalar-operand and trailing-row ("bias") broadcasts of float32 operands; other
   * broadcasts use the scalar twin. A row operand of length {@code cols} repeats every row.
   */
  static Kernel binary(BinaryFn fn, Shape a, Shape b, Shape t, CpuPool pool) {
    if (!F32Loops.hasBinary(fn)) {
      return null;
    }
    long n = t.size();
    int ra = repeatPeriod(a, t);
    int rb = repeatPeriod(b, t);
    if (ra < 0 || rb < 0) {
      return null;
    }
    int len = (int) n;
    // A short row operand (a bias of 20 channels) is first repeated into a row of about a
    // thousand floats, so the vector loops run long stretches instead of one call per row.
    boolean widenB = ra == len && rb > 1 && rb < WIDE && len % rb == 0 && len > WIDE;
    boolean widenA = rb == len && ra > 1 && ra < WIDE && len % ra == 0 && len > WIDE;
    if (widenA || widenB) {
      int p = widenB ? rb : ra;
      int wide = WIDE / p * p;
      MemorySegment row = OffHeap.allocate(java.lang.foreign.Arena.ofAuto(), wide * 4L, 64);
      return (in, out) -> {
        MemorySegment bias = widenB ? in[1] : in[0];
        for (int at = 0; at < wide; at += p) {
          MemorySegment.copy(bias, 0, row, at * 4L, p * 4L);
        }
        MemorySegment sa = widenA ? row : in[0];
        MemorySegment sb = widenB ? row : in[1];
        int pa = widenA ? wide : ra;
        int pb = widenB ? wide : rb;
        pool.parallelFor(
            len, GRAIN, (from, to) -> binaryRange(fn, sa, pa, sb, pb, out[0], from, to));
      };
    }
    return (in, out) ->
        pool.parallelFor(
            len,
            SMALL_GRAIN,
            (from, to) -> binaryRange(fn, in[0], ra, in[1], rb, out[0], from, to));
  }

  private static final int WIDE = 1024;

  /**
   * How an operand repeats across the output: its length when it is a trailing block that repeats
   * (same shape: the whole output; scalar: 1; bias: the row), or -1 for other broadcasts.
   */
  static int repeatPeriod(Shape x, Shape t) {
    long size = x.size();
    if (size == t.size()) {
      return (int) size;
    }
    if (size == 1) {
      return 1;
    }
    // x broadcasts only along leading axes: its dims equal t's trailing dims, after dropping
    // x's leading ones.
    int[] xd = x.dims();
    int first = 0;
    while (first < xd.length && xd[first] == 1) {
      first++;
    }
    int extra = t.rank() - (xd.length - first);
    for (int i = first; i < xd.length; i++) {
      if (xd[i] != t.dim(extra + i - first)) {
        return -1;
      }
    }
    return (int) size;
  }

  private static void binaryRange(
      BinaryFn fn,
      MemorySegment a,
      int pa,
      MemorySegment b,
      int pb,
      MemorySegment y,
      int from,
      int to) {
    int i = from;
    // Walk in runs where both operands are contiguous: a run ends at a period boundary.
    while (i < to) {
      int ia = i % pa;
      int ib = i % pb;
      int run = to - i;
      if (pa > 1) {
        run = Math.min(run, pa - ia);
      }
      if (pb > 1) {
        run = Math.min(run, pb - ib);
      }
      if (pa == 1 && pb == 1) {
        float r = binaryF(fn, a.getAtIndex(F, 0), b.getAtIndex(F, 0));
        for (int j = i; j < i + run; j++) {
          y.setAtIndex(F, j, r);
        }
      } else if (pa == 1) {
        F32Loops.binarySV(fn, a.getAtIndex(F, 0), b, ib, y, i, run);
      } else if (pb == 1) {
        F32Loops.binaryVS(fn, a, ia, b.getAtIndex(F, 0), y, i, run);
      } else {
        F32Loops.binaryVV(fn, a, ia, b, ib, y, i, run);
      }
      i += run;
    }
  }

  private static float binaryF(BinaryFn fn, float p, float q) {
    return switch (fn) {
      case ADD -> p + q;
      case SUB -> p - q;
      case MUL -> p * q;
      case DIV -> p / q;
      case MAX -> Math.max(p, q);
      case MIN -> Math.min(p, q);
      default -> (float) ScalarKernels.binaryF(fn, p, q);
    };
  }

  static Kernel broadcastTo(Shape x, Shape t) {
    int period = repeatPeriod(x, t);
    if (period < 0) {
      return broadcastRuns(x, t);
    }
    long n = t.size();
    long bytes = period * 4L;
    return (in, out) -> {
      if (period == 1) {
        float v = in[0].getAtIndex(F, 0);
        if (Float.floatToRawIntBits(v) == 0) {
          out[0].asSlice(0, n * 4).fill((byte) 0);
        } else {
          FloatVector s = FloatVector.broadcast(S, v);
          long i = 0;
          for (; i + V <= n; i += V) {
            s.intoMemorySegment(out[0], i * 4, ORDER);
          }
          for (; i < n; i++) {
            out[0].setAtIndex(F, i, v);
          }
        }
        return;
      }
      for (long at = 0; at < n * 4; at += bytes) {
        MemorySegment.copy(in[0], 0, out[0], at, bytes);
      }
    };
  }

  private static final int MIN_RUN = 8;

  /**
   * A broadcast along inner axes (a global pooling's gradient, {@code [n, 1, 1, c]} to {@code [n,
   * h, w, c]}): the trailing axes the operand shares with the result form runs that are copied
   * whole, each from the operand offset its outer index maps to. Null when the runs are shorter
   * than {@link #MIN_RUN} floats, where the scalar twin's index arithmetic costs less than a copy
   * call per run; a fixed length, so the kernel chosen does not depend on the vector width.
   */
  private static Kernel broadcastRuns(Shape x, Shape t) {
    int rank = t.rank();
    int[] xd = new int[rank];
    Arrays.fill(xd, 1);
    System.arraycopy(x.dims(), 0, xd, rank - x.rank(), x.rank());
    int split = rank;
    long run = 1;
    while (split > 0 && xd[split - 1] == t.dim(split - 1)) {
      split--;
      run *= t.dim(split);
    }
    if (run < MIN_RUN || split == 0) {
      return null;
    }
    int[] outer = Arrays.copyOf(t.dims(), split);
    long[] stride = new long[split];
    long st = run;
    for (int a = split - 1; a >= 0; a--) {
      stride[a] = xd[a] == 1 ? 0 : st;
      st *= xd[a];
    }
    long runs = t.size() / run;
    long bytes = run * 4;
    int axes = split;
    return (in, out) -> {
      int[] idx = new int[axes];
      long src = 0;
      for (long r = 0; r < runs; r++) {
        MemorySegment.copy(in[0], src * 4, out[0], r * bytes, bytes);
        // Odometer over the outer axes, keeping the operand offset in step.
        for (int a = axes - 1; a >= 0; a--) {
          src += stride[a];
          if (++idx[a] < outer[a]) {
            break;
          }
          src -= stride[a] * outer[a];
          idx[a] = 0;
        }
      }
    };
  }

  static Kernel compare(CompareFn fn, Shape a, Shape b, Shape t, CpuPool pool) {
    boolean bScalar = b.size() == 1;
    if (!a.equals(t) || !(bScalar || b.equals(t))) {
      return null;
    }
    int len = (int) t.size();
    return (in, out) ->
        pool.parallelFor(
            len,
            GRAIN,
            (from, to) -> F32MaskLoops.compare(fn, in[0], in[1], bScalar, out[0], from, to));
  }

  static Kernel select(long n, boolean aScalar, boolean bScalar, CpuPool pool) {
    int len = (int) n;
    return (in, out) ->
        pool.parallelFor(
            len,
            GRAIN,
            (from, to) ->
                F32MaskLoops.select(in[0], in[1], aScalar, in[2], bScalar, out[0], from, to));
  }

  // ---------------------------------------------------------------- reductions

  /**
   * Sum, mean, max and min over a trailing block of axes (rows) or a leading block (columns); other
   * axis sets and prod use the scalar twin. Float32 sums accumulate in float32 vectors of partial
   * sums, so the rounding error grows with the square root of the length, not linearly.
   */
  static Kernel reduce(ReductionOp.Reduce r, Shape x) {
    if (r.fn() == ReduceFn.PROD || r.axes().length == 0) {
      return null;
    }
    int[] axes = r.axes();
    boolean trailing = axes[axes.length - 1] == x.rank() - 1 && contiguous(axes);
    boolean leading = axes[0] == 0 && contiguous(axes);
    if (!trailing && !leading && contiguous(axes) && r.fn() != ReduceFn.PROD) {
      // A middle block of axes (a global pooling over [n, h, w, c]): a leading reduction per
      // outer index.
      long outerCount = 1;
      for (int a = 0; a < axes[0]; a++) {
        outerCount *= x.dim(a);
      }
      long innerCount = x.size() / outerCount;
      for (int a : axes) {
        innerCount /= x.dim(a);
      }
      int inner = (int) innerCount;
      long middle = x.size() / outerCount / inner;
      long outerN = outerCount;
      int block = inner / gcd(inner, V) * V;
      if (block <= 1024) {
        return (in, out) -> {
          for (long o = 0; o < outerN; o++) {
            reduceNarrowColumns(
                r.fn(),
                in[0].asSlice(o * middle * inner * 4, middle * inner * 4),
                middle,
                inner,
                block,
                out[0].asSlice(o * inner * 4, inner * 4L));
          }
        };
      }
    }
    long reduced = 1;
    for (int a : axes) {
      reduced *= x.dim(a);
    }
    long kept = x.size() / Math.max(1, reduced);
    ReduceFn fn = r.fn();
    if (trailing) {
      int len = (int) reduced;
      long rows = kept;
      return (in, out) -> {
        for (long row = 0; row < rows; row++) {
          float v = reduceRow(fn, in[0], row * len, len);
          out[0].setAtIndex(F, row, fn == ReduceFn.MEAN ? v / len : v);
        }
      };
    }
    if (leading) {
      int cols = (int) kept;
      long rows = reduced;
      int block = cols / gcd(cols, V) * V;
      if (block <= 1024 && fn != ReduceFn.PROD) {
        return (in, out) -> reduceNarrowColumns(fn, in[0], rows, cols, block, out[0]);
      }
      return (in, out) -> {
        MemorySegment y = out[0];
        MemorySegment.copy(in[0], 0, y, 0, cols * 4L);
        for (long row = 1; row < rows; row++) {
          combineRow(fn, in[0], row * cols, y, cols);
        }
        if (fn == ReduceFn.MEAN) {
          float inv = 1f / rows;
          for (int j = 0; j < cols; j++) {
            y.setAtIndex(F, j, y.getAtIndex(F, j) * inv);
          }
        }
      };
    }
    return null;
  }

  private static int gcd(int a, int b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  /**
   * Reduces the rows of a {@code [rows, cols]} block for a narrow {@code cols} (a bias gradient
   * over 20 channels, say): the data is read as whole vectors in blocks of {@code block} floats, a
   * multiple of both {@code cols} and the vector length, folded into {@code block} accumulators,
   * and those into the {@code cols} results. Row-at-a-time vectors were mostly tails and calls.
   */
  private static void reduceNarrowColumns(
      ReduceFn fn, MemorySegment x, long rows, int cols, int block, MemorySegment y) {
    boolean max = fn == ReduceFn.MAX;
    boolean min = fn == ReduceFn.MIN;
    float init = max ? Float.NEGATIVE_INFINITY : min ? Float.POSITIVE_INFINITY : 0f;
    float[] acc = NARROW_ACC.get();
    Arrays.fill(acc, 0, block, init);
    long total = rows * cols;
    long blocks = total / block;
    for (long b = 0; b < blocks; b++) {
      long base = b * block * 4;
      for (int j = 0; j < block; j += V) {
        FloatVector a = FloatVector.fromArray(S, acc, j);
        FloatVector v = FloatVector.fromMemorySegment(S, x, base + j * 4L, ORDER);
        (max ? a.max(v) : min ? a.min(v) : a.add(v)).intoArray(acc, j);
      }
    }
    for (long i = blocks * block; i < total; i++) {
      int j = (int) (i - blocks * block);
      float v = x.getAtIndex(F, i);
      acc[j] = max ? Math.max(acc[j], v) : min ? Math.min(acc[j], v) : acc[j] + v;
    }
    for (int c = 0; c < cols; c++) {
      float r = acc[c];
      for (int j = c + cols; j < block; j += cols) {
        r = max ? Math.max(r, acc[j]) : min ? Math.min(r, acc[j]) : r + acc[j];
      }
      y.setAtIndex(F, c, fn == ReduceFn.MEAN ? r / rows : r);
    }
  }

  private static final ThreadLocal<float[]> NARROW_ACC =
      ThreadLocal.withInitial(() -> new float[1024]);

  private static boolean contiguous(int[] axes) {
    for (int i = 1; i < axes.length; i++) {
      if (axes[i] != axes[i - 1] + 1) {
        return false;
      }
    }
    return true;
  }

  private static float reduceRow(ReduceFn fn, MemorySegment x, long base, int len) {
    boolean max = fn == ReduceFn.MAX;
    boolean min = fn == ReduceFn.MIN;
    float init = max ? Float.NEGATIVE_INFINITY : min ? Float.POSITIVE_INFINITY : 0f;
    FloatVector acc = FloatVector.broadcast(S, init);
    int i = 0;
    int bound = S.loopBound(len);
    for (; i < bound; i += V) {
      FloatVector v = FloatVector.fromMemorySegment(S, x, (base + i) * 4, ORDER);
      acc = max ? acc.max(v) : min ? acc.min(v) : acc.add(v);
    }
    float r =
        max
            ? acc.reduceLanes(VectorOperators.MAX)
            : min ? acc.reduceLanes(VectorOperators.MIN) : F32Loops.sumLanes(acc);
    for (; i < len; i++) {
      float v = x.getAtIndex(F, base + i);
      r = max ? Math.max(r, v) : min ? Math.min(r, v) : r + v;
    }
    return r;
  }

  private static void combineRow(
      ReduceFn fn, MemorySegment x, long base, MemorySegment y, int cols) {
    if (fn == ReduceFn.MAX || fn == ReduceFn.MIN) {
      BinaryFn f = fn == ReduceFn.MAX ? BinaryFn.MAX : BinaryFn.MIN;
      F32Loops.binaryVV(f, y, 0, x, base, y, 0, cols);
    } else {
      F32Loops.binaryVV(BinaryFn.ADD, y, 0, x, base, y, 0, cols);
    }
  }

  // ---------------------------------------------------------------- softmax

  static Kernel softmax(Shape t, boolean log) {
    int len = t.dim(-1);
    long rows = t.size() / Math.max(1, len);
    return (in, out) -> {
      for (long row = 0; row < rows; row++) {
        long base = row * len;
        float max = reduceRow(ReduceFn.MAX, in[0], base, len);
        FloatVector m = FloatVector.broadcast(S, max);
        FloatVector sum = FloatVector.zero(S);
        int i = 0;
        int bound = S.loopBound(len);
        for (; i < bound; i += V) {
          FloatVector d = FloatVector.fromMemorySegment(S, in[0], (base + i) * 4, ORDER).sub(m);
          // The polynomial, not VectorOperators.EXP, so the bits do not depend on the JIT tier.
          // d <= 0, and below the clamp e^d is under the smallest normal float: 0 there, as for
          // the masked logits of attention.
          FloatVector e =
              F32Loops.expClamped(d).blend(0f, d.compare(VectorOperators.LT, F32Loops.EXP_LO));
          sum = sum.add(e);
          if (!log) {
            e.intoMemorySegment(out[0], (base + i) * 4, ORDER);
          }
        }
        float s = F32Loops.sumLanes(sum);
        for (int j = i; j < len; j++) {
          float e = (float) Math.exp(in[0].getAtIndex(F, base + j) - max);
          s += e;
          if (!log) {
            out[0].setAtIndex(F, base + j, e);
          }
        }
        if (log) {
          float shift = max + (float) Math.log(s);
          for (int j = 0; j < len; j++) {
            out[0].setAtIndex(F, base + j, in[0].getAtIndex(F, base + j) - shift);
          }
        } else {
          float inv = 1f / s;
          for (int j = 0; j < len; j++) {
            out[0].setAtIndex(F, base + j, out[0].getAtIndex(F, base + j) * inv);
          }
        }
      }
    };
  }
}
