package dev.kiln.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.cuda.CudaLaunch.Arg;
import dev.kiln.engine.cuda.CudaLaunch.F64;
import dev.kiln.engine.cuda.CudaLaunch.I32;
import dev.kiln.engine.cuda.CudaLaunch.I64;
import dev.kiln.engine.cuda.CudaLaunch.Ptr;
import dev.kiln.engine.cuda.CudaLaunch.Struct;
import dev.kiln.engine.cuda.kernels.ConvGeometry;
import dev.kiln.engine.cuda.kernels.Indexer;
import dev.kiln.engine.cuda.kernels.KernelCatalog;
import dev.kiln.engine.cuda.kernels.PtxModule;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.autodiff.Autodiff;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.ir.ConvSpec;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.PoolFn;
import dev.kiln.spi.ir.PoolSpec;
import dev.kiln.spi.ir.Rewrites;
import dev.kiln.spi.ir.ShapeOp;
import dev.kiln.spi.ir.Value;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Graphs compiled for a CUDA device without one: the launch plan (kernels, grids, arguments,
 * pointers into the memory plan) checked against the shipped PTX's parameter lists, and runs on a
 * fake device checking that no value's memory is overwritten while the value is still read.
 */
class CudaProgramTest {
  private static final DType F = DType.FLOAT32;

  private static TensorType t(int... dims) {
    return TensorType.of(F, dims);
  }

  private static CudaProgram compile(Graph g, FakeCudaRuntime device) {
    Graph c = Rewrites.expand(Rewrites.shareScans(g), CudaLowering::hasDirectKernel);
    CudaProgram p = new CudaProgram(c, Set.of(), device, new CudaAllocator(device));
    for (CudaLaunch l : p.launches()) {
      assertMatchesPtx(l);
    }
    return p;
  }

  private static CudaProgram compile(Graph g) {
    return compile(g, new FakeCudaRuntime(1L << 30));
  }

  /** The launch passes what every shipped architecture's PTX declares, parameter by parameter. */
  private static void assertMatchesPtx(CudaLaunch l) {
    for (String arch : KernelCatalog.archs()) {
      PtxModule.Entry e = KernelCatalog.forArch(arch).entry(l.kernel());
      assertEquals(e.params().size(), l.args().size(), l.kernel().name());
      for (int i = 0; i < e.params().size(); i++) {
        assertTrue(
            l.args().get(i).kind().matches(e.params().get(i)),
            arch + " " + l.kernel().name() + " parameter " + i);
      }
    }
  }

  private static byte[] bytes(Indexer ix) {
    MemorySegment s = MemorySegment.ofArray(new byte[Indexer.BYTES]);
    ix.write(s);
    return s.toArray(ValueLayout.JAVA_BYTE);
  }

  private static long i64(Arg a) {
    return ((I64) a).value();
  }

  private static int i32(Arg a) {
    return ((I32) a).value();
  }

  @Test
  void broadcastAddIsOneBinaryLaunchWithTheBroadcastIndexer() {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(t(4, 1, 3));
    Value y = b.input(t(5, 1));
    Value sum = b.add(x, y);
    CudaProgram p = compile(b.output(sum).build());
    assertEquals(1, p.launches().size());
    CudaLaunch l = p.launches().get(0);
    assertEquals("kiln_binary_f32", l.kernel().name());
    assertArrayEquals(new int[] {1, 1, 1}, l.grid());
    assertArrayEquals(new int[] {256, 1, 1}, l.block());
    assertEquals(0, i32(l.args().get(0)), "ADD");
    assertEquals(60, i64(l.args().get(1)));
    assertArrayEquals(
        bytes(Indexer.broadcast(Shape.of(4, 5, 3), Shape.of(4, 1, 3), Shape.of(5, 1))),
        ((Struct) l.args().get(2)).bytes());
    List<Ptr> ptrs = l.pointers();
    assertEquals(p.slot(p.graph().inputs().get(0)), ptrs.get(0).slot());
    assertEquals(p.slot(p.graph().inputs().get(1)), ptrs.get(1).slot());
    assertEquals(p.slot(p.graph().outputs().get(0)), ptrs.get(2).slot());
    assertFalse(ptrs.get(0).written());
    assertTrue(ptrs.get(2).written());
  }

  @Test
  void largeElementwiseLaunchesCapTheGridAndLoop() {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(t(1 << 25));
    CudaProgram p = compile(b.output(b.exp(x)).build());
    CudaLaunch l = p.launches().get(0);
    assertEquals("kiln_unary_f32", l.kernel().name());
    assertArrayEquals(new int[] {65535, 1, 1}, l.grid());
    assertEquals(1 << 25, i64(l.args().get(1)));
  }

  @Test
  void matmulPicksItsGemmTilesAndLeadingDimensions() {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(t(64, 32));
    Value w = b.input(t(32, 48));
    CudaLaunch small = compile(b.output(b.matmul(x, w)).build()).launches().get(0);
    assertEquals("kiln_gemm64_f32", small.kernel().name(), "one 128-tile: too few for 80 SMs");
    assertArrayEquals(new int[] {1, 1, 1}, small.grid());
    List<Arg> a = small.args();
    assertEquals(
        List.of(0, 0, 64, 48, 32),
        List.of(i32(a.get(0)), i32(a.get(1)), i32(a.get(2)), i32(a.get(3)), i32(a.get(4))));
    assertEquals(32, i64(a.get(7)), "lda");
    assertEquals(48, i64(a.get(9)), "ldb");
    assertEquals(48, i64(a.get(12)), "ldc");
    assertEquals(1, i64(a.get(13)), "one matrix");

    b = new GraphBuilder();
    Value big = b.input(t(1024, 512));
    Value wt = b.input(t(1280, 512));
    CudaLaunch large = compile(b.output(b.matmul(big, wt, false, true)).build()).launches().get(0);
    assertEquals("kiln_gemm_f32", large.kernel().name(), "80 tiles of 128");
    assertArrayEquals(new int[] {10, 8, 1}, large.grid());
    assertEquals(1, i32(large.args().get(1)), "transB");
    assertEquals(512, i64(large.args().get(9)), "ldb of the stored [1280, 512]");

    b = new GraphBuilder();
    Value d = b.input(TensorType.of(DType.FLOAT64, 3, 5, 7));
    Value e = b.input(TensorType.of(DType.FLOAT64, 7, 2));
    CudaLaunch f64 = compile(b.output(b.matmul(d, e)).build()).launches().get(0);
    assertEquals("kiln_gemm_f64", f64.kernel().name());
    assertArrayEquals(new int[] {16, 16, 1}, f64.block());
    assertArrayEquals(new int[] {1, 1, 3}, f64.grid());
    assertEquals(1.0, ((F64) f64.args().get(5)).value());
    assertEquals(3, i64(f64.args().get(13)), "batch of 3, B broadcast");
  }

  @Test
  void convolutionIsIm2colIntoTheWorkspaceThenGemm() {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(t(2, 8, 8, 3));
    Value w = b.input(t(3, 3, 3, 4));
    ConvSpec spec = ConvSpec.simple(2, Padding.SAME);
    CudaProgram p = compile(b.output(b.conv(x, w, spec)).build());
    List<CudaLaunch> l = p.launches();
    assertEquals(
        List.of("kiln_im2col_b4", "kiln_gemm64_f32"),
        l.stream().map(k -> k.kernel().name()).toList());
    ConvGeometry g =
        new ConvGeometry(spec, Shape.of(2, 8, 8, 3), Shape.of(3, 3, 3, 4), Shape.of(2, 8, 8, 4), 2);
    assertEquals(g.columnElements(), i64(l.get(0).args().get(1)));
    assertEquals(g.columnElements() * 4, p.workspaceBytes());
    Ptr col = l.get(0).pointers().get(1);
    assertEquals(CudaLaunch.WORKSPACE, col.slot());
    assertTrue(col.written());
    Ptr a = l.get(1).pointers().get(0);
    assertEquals(CudaLaunch.WORKSPACE, a.slot(), "the GEMM reads the column matrix");
    assertEquals(g.columns(), i64(l.get(1).args().get(7)), "lda = taps * cinG");
    assertEquals(g.rows(), i32(l.get(1).args().get(2)));
  }

  @Test
  void aConvolutionOverTheWorkspaceLimitRunsInChunksOfImages() {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(t(3, 8, 8, 3));
    Value w = b.input(t(3, 3, 3, 4));
    ConvSpec spec = ConvSpec.simple(2, Padding.SAME);
    Value y = b.conv(x, w, spec);
    Value dw = b.convBackpropFilter(x, y, spec, Shape.of(3, 3, 3, 4));
    FakeCudaRuntime device = new FakeCudaRuntime(1L << 30).limitWorkspace(64 * 27 * 4 * 2);
    CudaProgram p = compile(b.output(y, dw).build(), device);
    List<CudaLaunch> l = p.launches();
    assertEquals(8, l.size(), "two chunks (2 + 1 images) of im2col + GEMM, for each op");
    assertEquals(64 * 27 * 4 * 2, p.workspaceBytes());
    assertEquals(2 * 64 * 27, i64(l.get(0).args().get(1)), "the first chunk's column elements");
    assertEquals(64 * 27, i64(l.get(2).args().get(1)), "the last chunk has one image");
    assertEquals(2 * 8 * 8 * 3 * 4, l.get(2).pointers().get(0).byteOffset(), "x from image 2");
    assertEquals(2 * 8 * 8 * 4 * 4, l.get(3).pointers().get(2).byteOffset(), "y from image 2");
    assertEquals(0f, ((CudaLaunch.F32) l.get(5).args().get(10)).value(), "the first chunk sets dw");
    assertEquals(1f, ((CudaLaunch.F32) l.get(7).args().get(10)).value(), "the next adds to it");
  }

  @Test
  void poolReduceAndSoftmaxLaunches() {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(t(2, 6, 6, 3));
    Value pooled =
        b.pool(PoolFn.MAX, x, new PoolSpec(new int[] {2, 2}, new int[] {2, 2}, Padding.VALID));
    Value s = b.input(t(3, 40, 5));
    Value sum = b.reduceSum(s, new int[] {1}, false);
    Value sm = b.logSoftmax(b.input(t(6, 10)), -1);
    CudaProgram p = compile(b.output(pooled, sum, sm).build());
    Map<String, CudaLaunch> byName = new HashMap<>();
    p.launches().forEach(l -> byName.put(l.kernel().name(), l));
    assertEquals(Set.of("kiln_pool_f32", "kiln_reduce_f32", "kiln_softmax_f32"), byName.keySet());
    CudaLaunch pool = byName.get("kiln_pool_f32");
    assertEquals(0, i32(pool.args().get(0)), "MAX");
    assertEquals(2 * 3 * 3 * 3, i64(pool.args().get(2)));
    CudaLaunch red = byName.get("kiln_reduce_f32");
    assertArrayEquals(new int[] {15, 1, 1}, red.grid(), "a block per output");
    assertEquals(15, i64(red.args().get(1)));
    assertEquals(40, i64(red.args().get(2)));
    CudaLaunch soft = byName.get("kiln_softmax_f32");
    assertEquals(
        List.of(1L, 6L, 10L, 1L),
        List.of(
            (long) i32(soft.args().get(0)),
            i64(soft.args().get(1)),
            i64(soft.args().get(2)),
            i64(soft.args().get(3))));
  }

  @Test
  void aNodeBeyondTheKernelsLimitsFailsAtCompileTimeNamingIt() {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(t(2, 3, 2, 3, 2, 3, 2, 3, 2));
    Graph g = b.output(b.transpose(x, 8, 7, 6, 5, 4, 3, 2, 1, 0)).build();
    BackendException e = assertThrows(BackendException.class, () -> compile(g));
    assertTrue(e.getMessage().contains("'transpose'"), e.getMessage());
    assertTrue(e.getMessage().contains("CUDA"), e.getMessage());
    assertTrue(e.getMessage().contains("at most 8 dimensions"), e.getMessage());
  }

  @Test
  void gatherAndScatterAddSeeTheirOperandsAsOuterDimInner() {
    GraphBuilder b = new GraphBuilder();
    Value params = b.input(t(3, 10, 4));
    Value idx = b.input(TensorType.of(DType.INT64, 6));
    Value gathered = b.gather(params, idx, 1);
    Value scattered = b.scatterAdd(b.exp(params), idx, gathered, 1);
    CudaProgram p = compile(b.output(scattered).build());
    List<String> names = p.launches().stream().map(l -> l.kernel().name()).toList();
    assertEquals(
        List.of("kiln_gather_b4", "kiln_unary_f32", "kiln_scatter_add_f32"),
        names,
        "the scatter-add runs in place on exp's result, so no copy");
    CudaLaunch gather = p.launches().get(0);
    assertEquals(
        List.of(3L, 10L, 4L, 6L),
        List.of(
            i64(gather.args().get(0)),
            i64(gather.args().get(1)),
            i64(gather.args().get(2)),
            i64(gather.args().get(3))));
    assertEquals(3, i32(gather.args().get(6)), "int64 indices");
    FakeCudaRuntime device = new FakeCudaRuntime(1L << 30);
    CudaProgram q = compile(b.output(scattered).build(), device);
    run(q, device, Map.of());
    long expWrote = device.launches.get(1).pointers()[1];
    long[] scatterPtrs = device.launches.get(2).pointers();
    assertEquals(expWrote, scatterPtrs[2], "the scatter-add adds into exp's memory");
  }

  /** Runs {@code p} on {@code device} with zeroed inputs; returns the launches' nodes in order. */
  private static void run(CudaProgram p, FakeCudaRuntime device, Map<String, Long> variables) {
    for (int i = 0; i < p.graph().inputs().size(); i++) {
      Value in = p.graph().inputs().get(i);
      p.bindInput(i, device.allocate(Math.max(1, in.shape().size() * in.dtype().byteSize())));
    }
    p.run(variables::get);
  }

  /** Whether {@code v} is {@code w} or a reshape (sharing memory) of it. */
  private static boolean sameBytes(Value v, Value w) {
    return v == w
        || (v.node().op() instanceof ShapeOp.Reshape && sameBytes(v.node().inputs().get(0), w));
  }

  /**
   * Every pointer a launch reads holds the value it names: the last launch that wrote that address
   * wrote that value (or a reshape sharing its memory).
   */
  private static void assertNoLiveValueOverwritten(CudaProgram p, FakeCudaRuntime device) {
    Map<Long, Value> lastWritten = new HashMap<>();
    List<Node> nodes = p.launchNodes();
    assertEquals(nodes.size(), device.launches.size());
    for (int i = 0; i < nodes.size(); i++) {
      FakeCudaRuntime.Launched l = device.launches.get(i);
      List<Ptr> ptrs = l.launch().pointers();
      for (int k = 0; k < ptrs.size(); k++) {
        Ptr ptr = ptrs.get(k);
        Value had = lastWritten.get(l.pointers()[k]);
        if (!ptr.written() && ptr.value() != null && had != null) {
          Value want = ptr.value();
          assertTrue(
              sameBytes(want, had) || sameBytes(had, want),
              "launch "
                  + i
                  + " ("
                  + nodes.get(i).op().name()
                  + ") reads "
                  + want
                  + " but its memory holds "
                  + had);
        }
      }
      for (int k = 0; k < ptrs.size(); k++) {
        if (ptrs.get(k).written() && ptrs.get(k).value() != null) {
          lastWritten.put(l.pointers()[k], ptrs.get(k).value());
        }
      }
    }
  }

  @Test
  void aTrainingStepReusesMemoryButNeverOverwritesALiveValue() {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(t(32, 20));
    Value labels = b.input(t(32, 10));
    Value w1 = b.variable("w1", t(20, 64));
    Value w2 = b.variable("w2", t(64, 10));
    Value h = b.relu(b.matmul(x, w1));
    Value logits = b.matmul(h, w2);
    Value loss = b.reduceMean(b.softmaxCrossEntropy(logits, labels, -1), new int[] {0}, false);
    List<Value> grads = Autodiff.gradients(b, loss, List.of(w1, w2));
    Value lr = b.scalar(0.1, F);
    Graph g =
        b.update("w1", b.sub(w1, b.mul(lr, grads.get(0))))
            .update("w2", b.sub(w2, b.mul(lr, grads.get(1))))
            .output(loss)
            .build();
    FakeCudaRuntime device = new FakeCudaRuntime(1L << 30);
    CudaProgram p = compile(g, device);
    long naive = 0;
    for (Node n : p.graph().nodes()) {
      for (Value v : n.outputs()) {
        naive += v.shape().size() * v.dtype().byteSize();
      }
    }
    assertTrue(p.plannedBytes() < naive, p.plannedBytes() + " planned of " + naive);
    Map<String, Long> vars =
        Map.of("w1", device.allocate(20 * 64 * 4), "w2", device.allocate(64 * 10 * 4));
    run(p, device, vars);
    assertTrue(device.launches.size() > 10);
    assertNoLiveValueOverwritten(p, device);
    int allocations = (int) device.events.stream().filter(e -> e.startsWith("alloc")).count();
    device.launches.clear();
    p.run(vars::get);
    assertEquals(
        allocations,
        (int) device.events.stream().filter(e -> e.startsWith("alloc")).count(),
        "a second run allocates nothing");
    long inUse = device.used();
    p.close();
    assertTrue(device.used() <= inUse, "closing returns the program's buffers to the cache");
  }

  @Test
  void aScanRunsItsBodyOncePerStepOnCopiedCarries() {
    GraphBuilder body = new GraphBuilder();
    Value h = body.input(t(4, 8));
    Value z = body.input(t(4, 8));
    Value next = body.tanh(body.add(h, z));
    Graph bodyGraph = body.output(next, next).build();
    GraphBuilder b = new GraphBuilder();
    Value h0 = b.input(t(4, 8));
    Value zs = b.input(t(5, 4, 8));
    List<Value> r = b.scan(bodyGraph, List.of(h0), List.of(zs), List.of(), false);
    FakeCudaRuntime device = new FakeCudaRuntime(1L << 30);
    CudaProgram p = compile(b.output(r.get(0), r.get(1)).build(), device);
    assertEquals(1, p.scanBodies().size());
    CudaProgram bodyProgram = p.scanBodies().get(0);
    List<String> kernels = bodyProgram.launches().stream().map(l -> l.kernel().name()).toList();
    assertEquals(List.of("kiln_binary_f32", "kiln_unary_f32"), kernels);
    for (CudaLaunch l : bodyProgram.launches()) {
      assertMatchesPtx(l);
    }
    run(p, device, Map.of());
    assertEquals(10, device.launches.size(), "two launches per step, five steps");
    long zsAt = p.address(p.graph().inputs().get(1));
    for (int step = 0; step < 5; step++) {
      long[] ptrs = device.launches.get(2 * step).pointers();
      assertEquals(zsAt + step * 4 * 8 * 4L, ptrs[1], "step " + step + " reads its slice in place");
    }
    // Carry in, per step a stacked output and a carry copy, carry out.
    assertEquals(1 + 5 * 2 + 1, device.events.stream().filter(e -> e.startsWith("copy")).count());
    assertSame(p.graph(), p.graph());
  }
}
