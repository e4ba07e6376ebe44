package dev.kiln.engine.cuda;

import dev.kiln.engine.cpu.OffHeap;
import dev.kiln.engine.cuda.CudaLaunch.Arg;
import dev.kiln.engine.cuda.CudaLaunch.F32;
import dev.kiln.engine.cuda.CudaLaunch.F64;
import dev.kiln.engine.cuda.CudaLaunch.I32;
import dev.kiln.engine.cuda.CudaLaunch.I64;
import dev.kiln.engine.cuda.CudaLaunch.Ptr;
import dev.kiln.engine.cuda.CudaLaunch.Struct;
import dev.kiln.engine.cuda.driver.Cudnn;
import dev.kiln.engine.cuda.kernels.ConvGeometry;
import dev.kiln.engine.cuda.kernels.Copy;
import dev.kiln.engine.cuda.kernels.CudaKernel;
import dev.kiln.engine.cuda.kernels.Gemm;
import dev.kiln.engine.cuda.kernels.Indexer;
import dev.kiln.engine.cuda.kernels.KernelCatalog;
import dev.kiln.engine.cuda.kernels.KernelFamily;
import dev.kiln.engine.cuda.kernels.ParamKind;
import dev.kiln.engine.cuda.kernels.PoolGeometry;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.ir.CompositeOp;
import dev.kiln.spi.ir.ConvolutionOp;
import dev.kiln.spi.ir.ElementwiseOp;
import dev.kiln.spi.ir.GraphPrinter;
import dev.kiln.spi.ir.IndexingOp;
import dev.kiln.spi.ir.LinalgOp;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.PoolingOp;
import dev.kiln.spi.ir.ReductionOp;
import dev.kiln.spi.ir.ShapeOp;
import dev.kiln.spi.ir.SourceOp;
import dev.kiln.spi.ir.Value;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * Lowers IR nodes to launches of Kiln's CUDA kernels, in pure Java: which kernel, grid and block,
 * and every argument, with pointers naming the memory slots of the node's operands and results. The
 * kernels' ABI is the comment at the top of each file in {@code src/main/cuda}.
 *
 * <p>Grid-stride kernels get 256-thread blocks, enough blocks to cover the elements (at most 65535,
 * the loops take the rest); the reductions get one block per output row; the GEMMs the grids {@code
 * gemm.cu} asks for. A convolution's column matrix lives in the program's workspace, whose size is
 * the largest any node asks for ({@link #workspaceBytes()}).
 *
 * <p>Where the device has cuDNN and plans a convolution pass ({@link CudnnConvolution}), the pass
 * is one cuDNN call instead: the kernel is transposed into cuDNN's filter order at the workspace's
 * start, cuDNN's own workspace follows it, and a filter gradient comes back in that order and is
 * transposed into Kiln's.
 */
public final class CudaLowering {
  /** Threads per block of the grid-stride and row kernels. */
  static final int THREADS = 256;

  /** The largest grid dimension the launches use. */
  static final int MAX_GRID = 65535;

  private final ToIntFunction<Value> slotOf;
  private final int multiprocessors;
  private final long workspaceLimit;
  private final Function<CudnnConvolution, Optional<CudnnPlan>> cudnn;
  private long workspaceBytes;

  /**
   * @param slotOf the memory slot of each value
   * @param multiprocessors the device's multiprocessor count, which picks GEMM tiles
   * @param workspaceLimit the bytes a convolution's column matrix may take: larger batches run in
   *     chunks of images (at least one image per chunk)
   */
  public CudaLowering(ToIntFunction<Value> slotOf, int multiprocessors, long workspaceLimit) {
    this(slotOf, multiprocessors, workspaceLimit, c -> Optional.empty());
  }

  /**
   * As {@link #CudaLowering(ToIntFunction, int, long)}, with convolutions going to cuDNN where
   * {@code cudnn} plans them ({@link CudaRuntime#cudnnPlan}); the others, and all of them when it
   * plans none, run as Kiln's im2col and GEMM kernels.
   */
  public CudaLowering(
      ToIntFunction<Value> slotOf,
      int multiprocessors,
      long workspaceLimit,
      Function<CudnnConvolution, Optional<CudnnPlan>> cudnn) {
    this.slotOf = slotOf;
    this.multiprocessors = multiprocessors;
    this.workspaceLimit = workspaceLimit;
    this.cudnn = cudnn;
  }

  /**
   * Whether a composite op runs as its own kernel on CUDA; the others are expanded into primitives
   * before lowering.
   */
  public static boolean hasDirectKernel(CompositeOp op) {
    return op instanceof CompositeOp.Softmax || op instanceof CompositeOp.LogSoftmax;
  }

  /** The scratch bytes the lowered nodes need, the largest of any one node. */
  public long workspaceBytes() {
    return workspaceBytes;
  }

  /**
   * The launches that compute node {@code n}, in order.
   *
   * @param aliased whether the node's result shares its operand's memory (a reshape the memory plan
   *     aliased), so that nothing needs to run
   * @throws BackendException naming the op and node when the CUDA executor cannot lower it
   */
  public List<CudaLaunch> lower(Node n, boolean aliased) {
    try {
      return switch (n.op()) {
        case ElementwiseOp.Unary u -> unary(n, u);
        case ElementwiseOp.Binary b ->
            indexed(n, KernelCatalog.code(b.fn()), KernelFamily.BINARY, n.outputs().get(0).dtype());
        case ElementwiseOp.Compare c ->
            indexed(n, KernelCatalog.code(c.fn()), KernelFamily.COMPARE, in(n, 0).dtype());
        case ElementwiseOp.Select s -> select(n);
        case ElementwiseOp.Cast c -> cast(n);
        case ReductionOp.Reduce r -> reduce(n, r);
        case ReductionOp.ArgReduce a -> argReduce(n, a);
        case CompositeOp.Softmax s -> softmax(n, s.axis(), false);
        case CompositeOp.LogSoftmax s -> softmax(n, s.axis(), true);
        case LinalgOp.MatMul m -> matMul(n, m);
        case ConvolutionOp.Conv c -> conv(n, c);
        case ConvolutionOp.ConvBackpropInput c -> convInputGradient(n, c);
        case ConvolutionOp.ConvBackpropFilter c -> convFilterGradient(n, c);
        case PoolingOp.Pool p -> pool(n, p);
        case PoolingOp.MaxPoolBackward p -> maxPoolBackward(n, p);
        case PoolingOp.AvgPoolBackward p -> avgPoolBackward(n, p);
        case ShapeOp.Reshape r ->
            aliased
                ? List.of()
                : List.of(copy(n, new Copy(out(n).shape().size(), contiguous(), 0, 0), 0));
        case ShapeOp.Transpose t -> List.of(copy(n, Copy.transpose(in(n, 0).shape(), t.perm()), 0));
        case ShapeOp.BroadcastTo b ->
            List.of(copy(n, Copy.broadcastTo(in(n, 0).shape(), out(n).shape()), 0));
        case ShapeOp.Slice s ->
            List.of(
                copy(
                    n,
                    Copy.stridedSlice(
                        in(n, 0).shape(), s.begin(), ones(s.begin().length), out(n).shape()),
                    0));
        case ShapeOp.StridedSlice s ->
            List.of(
                copy(
                    n,
                    Copy.stridedSlice(in(n, 0).shape(), s.begin(), s.strides(), out(n).shape()),
                    0));
        case ShapeOp.Concat c -> concat(n, c);
        case ShapeOp.Pad p -> pad(n, p);
        case IndexingOp.Gather g -> gather(n, g);
        case IndexingOp.ScatterAdd sa -> scatterAdd(n, sa, aliased);
        case IndexingOp.OneHot o -> oneHot(n, o);
        case SourceOp.Iota i -> iota(n, i);
        case SourceOp.Random r -> random(n, r);
        default -> throw notLowered(n, null);
      };
    } catch (IllegalArgumentException e) {
      throw notLowered(n, e);
    }
  }

  private static BackendException notLowered(Node n, IllegalArgumentException cause) {
    return new BackendException(
        "native (CUDA): op '"
            + n.op().name()
            + "' is not supported by the CUDA executor"
            + (cause == null ? "" : " (" + cause.getMessage() + ")")
            + "; node "
            + GraphPrinter.describe(n)
            + ". Use -Dkiln.device=cpu for this model meanwhile",
        cause);
  }

  // ------------------------------------------------------------------ helpers

  private static Value in(Node n, int k) {
    return n.inputs().get(k);
  }

  private static Value out(Node n) {
    return n.outputs().get(0);
  }

  private Ptr read(Value v) {
    return new Ptr(slotOf.applyAsInt(v), 0, v, false);
  }

  private Ptr write(Value v) {
    return new Ptr(slotOf.applyAsInt(v), 0, v, true);
  }

  private Ptr read(Value v, long byteOffset) {
    return new Ptr(slotOf.applyAsInt(v), byteOffset, v, false);
  }

  private Ptr write(Value v, long byteOffset) {
    return new Ptr(slotOf.applyAsInt(v), byteOffset, v, true);
  }

  private static Ptr workspace(boolean written) {
    return new Ptr(CudaLaunch.WORKSPACE, 0, null, written);
  }

  private void needWorkspace(long bytes) {
    workspaceBytes = Math.max(workspaceBytes, bytes);
  }

  /** Blocks of {@link #THREADS} covering {@code n} elements. */
  static int[] cover(long n) {
    return new int[] {(int) Math.min(MAX_GRID, Math.max(1, (n + THREADS - 1) / THREADS)), 1, 1};
  }

  /** One block per row, for {@code rows} rows. */
  static int[] rows(long rows) {
    return new int[] {(int) Math.min(MAX_GRID, Math.max(1, rows)), 1, 1};
  }

  static final int[] BLOCK = {THREADS, 1, 1};

  private static Struct struct(Indexer ix) {
    MemorySegment s = MemorySegment.ofArray(new byte[Indexer.BYTES]);
    ix.write(s);
    return new Struct(ParamKind.INDEXER, s.toArray(ValueLayout.JAVA_BYTE));
  }

  private static Struct struct(ConvGeometry g) {
    MemorySegment s = MemorySegment.ofArray(new byte[ConvGeometry.BYTES]);
    g.write(s);
    return new Struct(ParamKind.CONV, s.toArray(ValueLayout.JAVA_BYTE));
  }

  private static Struct struct(PoolGeometry g) {
    MemorySegment s = MemorySegment.ofArray(new byte[PoolGeometry.BYTES]);
    g.write(s);
    return new Struct(ParamKind.POOL, s.toArray(ValueLayout.JAVA_BYTE));
  }

  private static Indexer contiguous() {
    return new Indexer(new long[0], new long[2][0]);
  }

  private static int[] ones(int n) {
    int[] a = new int[n];
    java.util.Arrays.fill(a, 1);
    return a;
  }

  private static CudaLaunch launch(CudaKernel k, int[] grid, int[] block, Arg... args) {
    return new CudaLaunch(k, grid, block, List.of(args));
  }

  /** A launch of a grid-stride kernel over {@code elements}. */
  private static CudaLaunch covering(CudaKernel k, long elements, Arg... args) {
    return launch(k, cover(elements), BLOCK, args);
  }

  /** {@code axis} of a rank-{@code rank} shape, negative counting from the end. */
  private static int axis(int axis, int rank) {
    return axis < 0 ? axis + rank : axis;
  }

  // ------------------------------------------------------------------ elementwise

  private List<CudaLaunch> unary(Node n, ElementwiseOp.Unary u) {
    long count = out(n).shape().size();
    return List.of(
        covering(
            KernelFamily.UNARY.kernel(KernelCatalog.suffix(out(n).dtype())),
            count,
            new I32(KernelCatalog.code(u.fn())),
            new I64(count),
            read(in(n, 0)),
            write(out(n))));
  }

  private List<CudaLaunch> indexed(Node n, int fn, KernelFamily family, DType type) {
    Shape o = out(n).shape();
    Indexer ix = Indexer.broadcast(o, in(n, 0).shape(), in(n, 1).shape());
    return List.of(
        covering(
            family.kernel(KernelCatalog.suffix(type)),
            o.size(),
            new I32(fn),
            new I64(o.size()),
            struct(ix),
            read(in(n, 0)),
            read(in(n, 1)),
            write(out(n))));
  }

  private List<CudaLaunch> select(Node n) {
    Shape o = out(n).shape();
    Indexer ix = Indexer.broadcast(o, in(n, 0).shape(), in(n, 1).shape(), in(n, 2).shape());
    return List.of(
        covering(
            KernelFamily.SELECT.kernel(KernelCatalog.bytes(out(n).dtype())),
            o.size(),
            new I64(o.size()),
            struct(ix),
            read(in(n, 0)),
            read(in(n, 1)),
            read(in(n, 2)),
            write(out(n))));
  }

  private List<CudaLaunch> cast(Node n) {
    long count = out(n).shape().size();
    return List.of(
        launch(
            KernelFamily.CAST.kernel(
                KernelCatalog.suffix(in(n, 0).dtype())
                    + "_"
                    + KernelCatalog.suffix(out(n).dtype())),
            cover(count),
            BLOCK,
            new I64(count),
            read(in(n, 0)),
            write(out(n))));
  }

  // ------------------------------------------------------------------ reductions

  private List<CudaLaunch> reduce(Node n, ReductionOp.Reduce r) {
    Shape x = in(n, 0).shape();
    int[] axes = new int[r.axes().length];
    long reduced = 1;
    for (int i = 0; i < axes.length; i++) {
      axes[i] = axis(r.axes()[i], x.rank());
      reduced *= x.dim(axes[i]);
    }
    Indexer[] ix = Copy.reduction(x, axes);
    long outCount = out(n).shape().size();
    return List.of(
        launch(
            KernelFamily.REDUCE.kernel(KernelCatalog.suffix(in(n, 0).dtype())),
            rows(outCount),
            BLOCK,
            new I32(KernelCatalog.code(r.fn())),
            new I64(outCount),
            new I64(reduced),
            struct(ix[0]),
            struct(ix[1]),
            read(in(n, 0)),
            write(out(n))));
  }

  /** {@code [outer, len, inner]} of {@code x} around {@code axis}. */
  private static long[] around(Shape x, int axis) {
    long outer = 1;
    long inner = 1;
    for (int a = 0; a < axis; a++) {
      outer *= x.dim(a);
    }
    for (int a = axis + 1; a < x.rank(); a++) {
      inner *= x.dim(a);
    }
    return new long[] {outer, x.rank() == 0 ? 1 : x.dim(axis), inner};
  }

  private List<CudaLaunch> argReduce(Node n, ReductionOp.ArgReduce a) {
    Shape x = in(n, 0).shape();
    long[] oli = around(x, axis(a.axis(), x.rank()));
    return List.of(
        launch(
            KernelFamily.ARGREDUCE.kernel(
                KernelCatalog.suffix(in(n, 0).dtype())
                    + "_"
                    + KernelCatalog.suffix(out(n).dtype())),
            rows(oli[0] * oli[2]),
            BLOCK,
            new I32(KernelCatalog.code(a.fn())),
            new I64(oli[0]),
            new I64(oli[1]),
            new I64(oli[2]),
            read(in(n, 0)),
            write(out(n))));
  }

  private List<CudaLaunch> softmax(Node n, int axis, boolean log) {
    Shape x = in(n, 0).shape();
    long[] oli = around(x, axis(axis, x.rank()));
    return List.of(
        launch(
            KernelFamily.SOFTMAX.kernel(KernelCatalog.suffix(out(n).dtype())),
            rows(oli[0] * oli[2]),
            BLOCK,
            new I32(log ? 1 : 0),
            new I64(oli[0]),
            new I64(oli[1]),
            new I64(oli[2]),
            read(in(n, 0)),
            write(out(n))));
  }

  // ------------------------------------------------------------------ GEMM and convolution

  /** The GEMM launch of {@code g} with the given operands, picking the kernel as the catalogue. */
  private CudaLaunch gemm(Node n, Gemm g, Ptr a, Ptr b, Ptr c, double beta) {
    DType d = out(n).dtype();
    CudaKernel k = gemmKernel(d, g);
    int tile;
    int[] block;
    Arg alpha;
    Arg betaArg;
    if (k.family() == KernelFamily.GEMM_SIMPLE) {
      tile = 16;
      block = new int[] {16, 16, 1};
      alpha = new F64(1);
      betaArg = new F64(beta);
    } else {
      tile = k.family() == KernelFamily.GEMM ? 128 : 64;
      block = BLOCK;
      alpha = new F32(1);
      betaArg = new F32((float) beta);
    }
    int[] grid = {
      (int) Math.max(1, (g.n() + tile - 1) / tile),
      (int) Math.max(1, (g.m() + tile - 1) / tile),
      (int) Math.max(1, Math.min(MAX_GRID, g.batchCount()))
    };
    return launch(
        k,
        grid,
        block,
        new I32(g.transA() ? 1 : 0),
        new I32(g.transB() ? 1 : 0),
        new I32((int) g.m()),
        new I32((int) g.n()),
        new I32((int) g.k()),
        alpha,
        a,
        new I64(g.lda()),
        b,
        new I64(g.ldb()),
        betaArg,
        c,
        new I64(g.ldc()),
        new I64(g.batchCount()),
        struct(g.batch()));
  }

  private CudaKernel gemmKernel(DType d, Gemm g) {
    return switch (d) {
      case FLOAT32, FLOAT16, BFLOAT16 -> {
        long tiles = ((g.m() + 127) / 128) * ((g.n() + 127) / 128) * g.batchCount();
        KernelFamily f = tiles >= multiprocessors ? KernelFamily.GEMM : KernelFamily.GEMM64;
        yield f.kernel(KernelCatalog.suffix(d));
      }
      case BOOL -> throw new IllegalArgumentException("no GEMM on bool");
      default -> KernelFamily.GEMM_SIMPLE.kernel(KernelCatalog.suffix(d));
    };
  }

  private List<CudaLaunch> matMul(Node n, LinalgOp.MatMul m) {
    Gemm g = Gemm.matMul(m, in(n, 0).shape(), in(n, 1).shape(), out(n).shape());
    return List.of(gemm(n, g, read(in(n, 0)), read(in(n, 1)), write(out(n)), 0));
  }

  /**
   * The images per launch of a convolution whose column matrix takes {@code bytesPerImage} per
   * image: as many as fit the workspace limit, at least one.
   */
  private long imagesPerChunk(long bytesPerImage, int images) {
    return Math.max(1, Math.min(images, workspaceLimit / Math.max(1, bytesPerImage)));
  }

  private CudaLaunch im2col(ConvGeometry g, Value x, long xOffset) {
    long total = g.columnElements();
    needWorkspace(total * x.dtype().byteSize());
    return covering(
        KernelFamily.IM2COL.kernel(KernelCatalog.bytes(x.dtype())),
        total,
        struct(g),
        new I64(total),
        read(x, xOffset),
        workspace(true));
  }

  /**
   * A run of images of a convolution: the first image, how many, the geometry of a launch over
   * them, and the run's index.
   */
  private interface Chunk {
    void add(long first, int count, ConvGeometry g, int index);
  }

  /** Calls {@code chunk} for each run of images of a convolution of {@code x} with {@code w}. */
  private void chunks(
      dev.kiln.spi.ir.ConvSpec spec, Shape x, Shape w, Shape y, int bytes, Chunk chunk) {
    int images = x.dim(0);
    ConvGeometry one = new ConvGeometry(spec, x, w, y, 1);
    long per = imagesPerChunk(one.columnElements() * bytes, images);
    int index = 0;
    for (long first = 0; first < images; first += per) {
      int count = (int) Math.min(per, images - first);
      chunk.add(first, count, new ConvGeometry(spec, x, w, y, count), index++);
    }
    if (images == 0) {
      chunk.add(0, 0, new ConvGeometry(spec, x, w, y, 0), 0);
    }
  }

  /** Bytes from the workspace's start to cuDNN's part of it, after a transposed kernel. */
  private static long afterFilter(CudnnConvolution c) {
    long bytes = c.filterElements() * c.dtype().byteSize();
    // cuDNN wants its workspace aligned; 256 bytes is cudaMalloc's own alignment.
    return (bytes + 255) / 256 * 256;
  }

  private Ptr workspaceAt(long byteOffset, boolean written) {
    return new Ptr(CudaLaunch.WORKSPACE, byteOffset, null, written);
  }

  private CudaLaunch cudnnLaunch(CudnnPlan plan, long after, Ptr first, Ptr second, Ptr output) {
    needWorkspace(after + plan.workspaceBytes());
    return launch(
        KernelFamily.CUDNN_CONVOLUTION.kernel(""),
        new int[] {1, 1, 1},
        new int[] {1, 1, 1},
        new I32(plan.id()),
        first,
        second,
        output,
        workspaceAt(after, true),
        new I64(plan.workspaceBytes()));
  }

  /** A copy of {@code c} from {@code from} to {@code to}, elements of {@code dtype}. */
  private static CudaLaunch copyBetween(DType dtype, Copy c, Ptr from, Ptr to) {
    return covering(
        KernelFamily.COPY.kernel(KernelCatalog.bytes(dtype)),
        c.n(),
        new I64(c.n()),
        struct(c.indexer()),
        from,
        new I64(c.xOffset()),
        to,
        new I64(c.yOffset()));
  }

  /** Kiln's kernel {@code w} transposed into cuDNN's filter order at the workspace's start. */
  private CudaLaunch filterToCudnn(Value w) {
    int rank = w.shape().rank() - 2;
    return copyBetween(
        w.dtype(),
        Copy.transpose(w.shape(), CudnnConvolution.toCudnnFilter(rank)),
        read(w),
        workspaceAt(0, true));
  }

  private Optional<CudnnPlan> cudnnPlan(Optional<CudnnConvolution> c) {
    return c.flatMap(cudnn);
  }

  private List<CudaLaunch> conv(Node n, ConvolutionOp.Conv c) {
    Value x = in(n, 0);
    Value w = in(n, 1);
    Optional<CudnnConvolution> cc =
        CudnnConvolution.of(
            Cudnn.Pass.FORWARD, c.spec(), x.shape(), w.shape(), out(n).shape(), out(n).dtype());
    Optional<CudnnPlan> plan = cudnnPlan(cc);
    if (plan.isPresent()) {
      long after = afterFilter(cc.get());
      return List.of(
          filterToCudnn(w),
          cudnnLaunch(plan.get(), after, read(x), workspaceAt(0, false), write(out(n))));
    }
    int bytes = out(n).dtype().byteSize();
    long xImage = x.shape().size() / Math.max(1, x.shape().dim(0)) * bytes;
    long yImage = out(n).shape().size() / Math.max(1, x.shape().dim(0)) * bytes;
    List<CudaLaunch> l = new ArrayList<>();
    chunks(
        c.spec(),
        x.shape(),
        w.shape(),
        out(n).shape(),
        bytes,
        (first, count, g, i) -> {
          l.add(im2col(g, x, first * xImage));
          l.add(
              gemm(
                  n, g.forwardGemm(), workspace(false), read(w), write(out(n), first * yImage), 0));
        });
    return l;
  }

  private List<CudaLaunch> convInputGradient(Node n, ConvolutionOp.ConvBackpropInput c) {
    Value dy = in(n, 0);
    Value w = in(n, 1);
    Shape dx = out(n).shape();
    Optional<CudnnConvolution> cc =
        CudnnConvolution.of(
            Cudnn.Pass.BACKWARD_DATA, c.spec(), dx, w.shape(), dy.shape(), out(n).dtype());
    Optional<CudnnPlan> plan = cudnnPlan(cc);
    if (plan.isPresent()) {
      long after = afterFilter(cc.get());
      return List.of(
          filterToCudnn(w),
          cudnnLaunch(plan.get(), after, workspaceAt(0, false), read(dy), write(out(n))));
    }
    int bytes = out(n).dtype().byteSize();
    long dxImage = dx.size() / Math.max(1, dx.dim(0)) * bytes;
    long dyImage = dy.shape().size() / Math.max(1, dx.dim(0)) * bytes;
    List<CudaLaunch> l = new ArrayList<>();
    chunks(
        c.spec(),
        dx,
        w.shape(),
        dy.shape(),
        bytes,
        (first, count, g, i) -> {
          needWorkspace(g.columnElements() * bytes);
          long total = count * g.inPositions() * dx.dim(-1);
          l.add(
              gemm(
                  n,
                  g.inputGradientGemm(),
                  read(dy, first * dyImage),
                  read(w),
                  workspace(true),
                  0));
          l.add(
              covering(
                  KernelFamily.COL2IM.kernel(KernelCatalog.suffix(out(n).dtype())),
                  total,
                  struct(g),
                  new I64(total),
                  workspace(false),
                  write(out(n), first * dxImage)));
        });
    return l;
  }

  private List<CudaLaunch> convFilterGradient(Node n, ConvolutionOp.ConvBackpropFilter c) {
    Value x = in(n, 0);
    Value dy = in(n, 1);
    Optional<CudnnConvolution> cc =
        CudnnConvolution.of(
            Cudnn.Pass.BACKWARD_FILTER,
            c.spec(),
            x.shape(),
            out(n).shape(),
            dy.shape(),
            out(n).dtype());
    Optional<CudnnPlan> plan = cudnnPlan(cc);
    if (plan.isPresent()) {
      // cuDNN writes the gradient in its filter order at the workspace's start; it is transposed
      // back into Kiln's order.
      Shape hwio = out(n).shape();
      int rank = hwio.rank() - 2;
      int[] toCudnn = CudnnConvolution.toCudnnFilter(rank);
      int[] cudnnDims = new int[toCudnn.length];
      int[] back = new int[toCudnn.length];
      for (int i = 0; i < toCudnn.length; i++) {
        cudnnDims[i] = hwio.dim(toCudnn[i]);
        back[toCudnn[i]] = i;
      }
      return List.of(
          cudnnLaunch(plan.get(), afterFilter(cc.get()), read(x), read(dy), workspaceAt(0, true)),
          copyBetween(
              out(n).dtype(),
              Copy.transpose(Shape.of(cudnnDims), back),
              workspaceAt(0, false),
              write(out(n))));
    }
    int bytes = out(n).dtype().byteSize();
    long xImage = x.shape().size() / Math.max(1, x.shape().dim(0)) * bytes;
    long dyImage = dy.shape().size() / Math.max(1, x.shape().dim(0)) * bytes;
    List<CudaLaunch> l = new ArrayList<>();
    // Each chunk adds its images' part of the filter gradient to the chunks' before it.
    chunks(
        c.spec(),
        x.shape(),
        out(n).shape(),
        dy.shape(),
        bytes,
        (first, count, g, i) -> {
          l.add(im2col(g, x, first * xImage));
          l.add(
              gemm(
                  n,
                  g.filterGradientGemm(),
                  workspace(false),
                  read(dy, first * dyImage),
                  write(out(n)),
                  i == 0 ? 0 : 1));
        });
    return l;
  }

  // ------------------------------------------------------------------ pooling

  private List<CudaLaunch> pool(Node n, PoolingOp.Pool p) {
    PoolGeometry g = new PoolGeometry(p.spec(), in(n, 0).shape(), out(n).shape());
    long total = out(n).shape().size();
    return List.of(
        covering(
            KernelFamily.POOL_FORWARD.kernel(KernelCatalog.suffix(out(n).dtype())),
            total,
            new I32(KernelCatalog.code(p.fn())),
            struct(g),
            new I64(total),
            read(in(n, 0)),
            write(out(n))));
  }

  private List<CudaLaunch> maxPoolBackward(Node n, PoolingOp.MaxPoolBackward p) {
    PoolGeometry g = new PoolGeometry(p.spec(), in(n, 0).shape(), in(n, 1).shape());
    long total = out(n).shape().size();
    return List.of(
        covering(
            KernelFamily.MAX_POOL_BACKWARD.kernel(KernelCatalog.suffix(out(n).dtype())),
            total,
            struct(g),
            new I64(total),
            read(in(n, 0)),
            read(in(n, 1)),
            write(out(n))));
  }

  private List<CudaLaunch> avgPoolBackward(Node n, PoolingOp.AvgPoolBackward p) {
    PoolGeometry g = new PoolGeometry(p.spec(), out(n).shape(), in(n, 0).shape());
    long total = out(n).shape().size();
    return List.of(
        covering(
            KernelFamily.AVG_POOL_BACKWARD.kernel(KernelCatalog.suffix(out(n).dtype())),
            total,
            struct(g),
            new I64(total),
            read(in(n, 0)),
            write(out(n))));
  }

  // ------------------------------------------------------------------ data movement

  private CudaLaunch copy(Node n, Copy c, int operand) {
    return copyInto(n, c, read(in(n, operand)));
  }

  private CudaLaunch copyInto(Node n, Copy c, Ptr from) {
    return covering(
        KernelFamily.COPY.kernel(KernelCatalog.bytes(out(n).dtype())),
        c.n(),
        new I64(c.n()),
        struct(c.indexer()),
        from,
        new I64(c.xOffset()),
        write(out(n)),
        new I64(c.yOffset()));
  }

  private List<CudaLaunch> concat(Node n, ShapeOp.Concat c) {
    Shape o = out(n).shape();
    int ax = axis(c.axis(), o.rank());
    List<CudaLaunch> l = new ArrayList<>();
    int at = 0;
    for (int k = 0; k < n.inputs().size(); k++) {
      Shape x = in(n, k).shape();
      if (x.size() > 0) {
        l.add(copy(n, Copy.concatPiece(x, ax, at, o), k));
      }
      at += x.dim(ax);
    }
    return l;
  }

  private List<CudaLaunch> pad(Node n, ShapeOp.Pad p) {
    Shape o = out(n).shape();
    return List.of(
        covering(
            KernelFamily.FILL.kernel(KernelCatalog.bytes(out(n).dtype())),
            o.size(),
            new I64(o.size()),
            new I64(pattern(out(n).dtype(), p.value())),
            write(out(n))),
        copy(n, Copy.padInterior(in(n, 0).shape(), p.low(), o), 0));
  }

  /** The bytes of {@code value} in {@code dtype}, in the low bytes of a long (little-endian). */
  static long pattern(DType dtype, double value) {
    HostTensor t = HostTensor.zeros(dtype, Shape.of());
    t.setDouble(0, value);
    MemorySegment one = OffHeap.heapSegment(t);
    MemorySegment eight = MemorySegment.ofArray(new long[1]);
    MemorySegment.copy(one, 0, eight, 0, dtype.byteSize());
    return eight.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.nativeOrder()), 0);
  }

  // ------------------------------------------------------------------ indexing and sources

  /** {@code [outer, dim, inner]} of {@code s} around {@code axis}. */
  private static long[] aroundAxis(Shape s, int axis) {
    return around(s, s.normalizeAxis(axis));
  }

  private List<CudaLaunch> gather(Node n, IndexingOp.Gather g) {
    long[] odi = aroundAxis(in(n, 0).shape(), g.axis());
    long count = in(n, 1).shape().size();
    return List.of(
        covering(
            KernelFamily.GATHER.kernel(KernelCatalog.bytes(out(n).dtype())),
            odi[0] * count * odi[2],
            new I64(odi[0]),
            new I64(odi[1]),
            new I64(odi[2]),
            new I64(count),
            read(in(n, 0)),
            read(in(n, 1)),
            new I32(KernelCatalog.indexTypeCode(in(n, 1).dtype())),
            write(out(n))));
  }

  private List<CudaLaunch> scatterAdd(Node n, IndexingOp.ScatterAdd s, boolean inPlace) {
    long[] odi = aroundAxis(in(n, 0).shape(), s.axis());
    long count = in(n, 1).shape().size();
    List<CudaLaunch> l = new ArrayList<>();
    if (!inPlace) {
      l.add(copy(n, new Copy(out(n).shape().size(), contiguous(), 0, 0), 0));
    }
    l.add(
        covering(
            KernelFamily.SCATTER_ADD.kernel(KernelCatalog.suffix(out(n).dtype())),
            odi[0] * count * odi[2],
            new I64(odi[0]),
            new I64(odi[1]),
            new I64(odi[2]),
            new I64(count),
            read(in(n, 1)),
            new I32(KernelCatalog.indexTypeCode(in(n, 1).dtype())),
            read(in(n, 2)),
            write(out(n))));
    return l;
  }

  private List<CudaLaunch> oneHot(Node n, IndexingOp.OneHot o) {
    long count = in(n, 0).shape().size();
    return List.of(
        covering(
            KernelFamily.ONE_HOT.kernel(KernelCatalog.suffix(out(n).dtype())),
            count * o.depth(),
            new I64(count),
            new I32(o.depth()),
            read(in(n, 0)),
            new I32(KernelCatalog.indexTypeCode(in(n, 0).dtype())),
            write(out(n))));
  }

  private List<CudaLaunch> iota(Node n, SourceOp.Iota i) {
    Shape s = out(n).shape();
    long[] odi = aroundAxis(s, i.axis());
    return List.of(
        covering(
            KernelFamily.IOTA.kernel(KernelCatalog.suffix(out(n).dtype())),
            s.size(),
            new I64(s.size()),
            new I64(odi[2]),
            new I64(odi[1]),
            write(out(n))));
  }

  private List<CudaLaunch> random(Node n, SourceOp.Random r) {
    long count = out(n).shape().size();
    return List.of(
        covering(
            KernelFamily.RANDOM.kernel(KernelCatalog.suffix(out(n).dtype())),
            count,
            new I32(KernelCatalog.code(r.distribution())),
            new I64(count),
            new F64(r.a()),
            new F64(r.b()),
            read(in(n, 0)),
            write(out(n))));
  }
}
