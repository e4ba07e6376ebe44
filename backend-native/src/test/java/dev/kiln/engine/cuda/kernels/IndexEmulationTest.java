package dev.kiln.engine.cuda.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.engine.NativeBackendProvider;
import dev.kiln.engine.cpu.Index;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendOptions;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.ir.ConvSpec;
import dev.kiln.spi.ir.ConvolutionOp;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.LinalgOp;
import dev.kiln.spi.ir.Op;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.PoolFn;
import dev.kiln.spi.ir.PoolSpec;
import dev.kiln.spi.ir.PoolingOp;
import dev.kiln.spi.ir.ReduceFn;
import dev.kiln.spi.ir.ReductionOp;
import dev.kiln.spi.ir.ShapeOp;
import dev.kiln.spi.ir.Value;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Nothing can run the kernels here, so their index arithmetic, written again in Java beside the
 * launch structs, runs on the host in double and is compared with the CPU device: broadcasting, the
 * copies behind the shape ops, reductions, batched GEMM, convolution through im2col, GEMM and
 * col2im, and pooling with its gathering backward passes.
 */
class IndexEmulationTest {
  private static Backend backend;

  @BeforeAll
  static void open() {
    backend = new NativeBackendProvider().open(BackendOptions.defaults());
  }

  @AfterAll
  static void close() {
    backend.close();
  }

  private static double[] random(Shape s, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] v = new double[(int) s.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextInt(-8, 9) / 4.0;
    }
    return v;
  }

  /** The CPU device's float64 result of {@code op} on {@code inputs}. */
  private static double[] cpu(Op op, Shape[] shapes, double[]... inputs) {
    GraphBuilder b = new GraphBuilder();
    List<Value> in = new ArrayList<>();
    List<HostTensor> host = new ArrayList<>();
    for (int i = 0; i < inputs.length; i++) {
      in.add(b.input(new TensorType(DType.FLOAT64, shapes[i])));
      host.add(HostTensor.of(shapes[i], inputs[i]));
    }
    Value y = b.emit1(op, in.toArray(Value[]::new));
    try (Executable e = backend.compile(b.output(y).build(), CompileOptions.defaults())) {
      HostTensor out = e.runHost(host).get(0);
      double[] v = new double[out.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = out.getDouble(i);
      }
      return v;
    }
  }

  private static Shape outShape(Op op, Shape... in) {
    return op.infer(Arrays.stream(in).map(s -> new TensorType(DType.FLOAT64, s)).toList())
        .get(0)
        .shape();
  }

  private static void same(double[] want, double[] got, String what) {
    assertEquals(want.length, got.length, what + ": sizes");
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], got[i], 1e-9 * Math.max(1, Math.abs(want[i])), what + " at " + i);
    }
  }

  @Test
  void broadcastOffsetsMatchTheCpuOdometer() {
    // {a, b, out}
    Shape[][] cases = {
      {Shape.of(2, 3, 4), Shape.of(4), Shape.of(2, 3, 4)},
      {Shape.of(5, 1, 7, 3), Shape.of(1, 6, 1, 3), Shape.of(5, 6, 7, 3)},
      {Shape.of(4, 1), Shape.of(1, 9), Shape.of(4, 9)},
      {Shape.of(1), Shape.of(3, 1, 2), Shape.of(3, 5, 2)},
      {Shape.of(2, 3, 1, 1, 2, 2, 3, 1, 2), Shape.of(1), Shape.of(2, 3, 4, 5, 2, 2, 3, 2, 2)},
    };
    for (Shape[] c : cases) {
      Shape out = c[2];
      Indexer ix = Indexer.broadcast(out, c[0], c[1]);
      Index.Odometer od =
          new Index.Odometer(
              out.dims(), Index.broadcastStrides(c[0], out), Index.broadcastStrides(c[1], out));
      od.reset();
      for (long i = 0; i < out.size(); i++) {
        assertArrayEquals(od.offset, ix.offsets(i), Arrays.toString(c) + " position " + i);
        od.next();
      }
    }
  }

  @Test
  void mergingDropsUnitAxesAndJoinsContiguousOnes() {
    Indexer same = Indexer.broadcast(Shape.of(2, 3, 4), Shape.of(2, 3, 4), Shape.of(2, 3, 4));
    assertEquals(0, same.rank());
    Indexer bias = Indexer.broadcast(Shape.of(8, 5, 6), Shape.of(8, 5, 6), Shape.of(6));
    assertEquals(2, bias.rank(), bias.toString());
    assertArrayEquals(new long[] {40, 6}, bias.dims());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            Indexer.broadcast(
                Shape.of(2, 2, 2, 2, 2, 2, 2, 2, 2, 2),
                Shape.of(2, 1, 2, 1, 2, 1, 2, 1, 2, 1),
                Shape.of(1, 2, 1, 2, 1, 2, 1, 2, 1, 2)));
  }

  @Test
  void theStructIsWrittenWhereTheKernelsReadIt() {
    Indexer ix = Indexer.broadcast(Shape.of(4, 9), Shape.of(4, 1), Shape.of(1, 9));
    try (Arena a = Arena.ofConfined()) {
      MemorySegment m = a.allocate(Indexer.BYTES, 8);
      ix.write(m);
      assertEquals(2, m.get(ValueLayout.JAVA_INT, 0));
      assertEquals(4, m.get(ValueLayout.JAVA_LONG, 8));
      assertEquals(9, m.get(ValueLayout.JAVA_LONG, 16));
      // stride[0] = {1, 0} for the [4, 1] operand, stride[1] = {0, 1} for [1, 9].
      assertEquals(1, m.get(ValueLayout.JAVA_LONG, 72));
      assertEquals(0, m.get(ValueLayout.JAVA_LONG, 80));
      assertEquals(0, m.get(ValueLayout.JAVA_LONG, 136));
      assertEquals(1, m.get(ValueLayout.JAVA_LONG, 144));
    }
  }

  @Test
  void copiesServeTheShapeOps() {
    Shape x = Shape.of(3, 4, 5);
    double[] xv = random(x, 1);
    int[] perm = {2, 0, 1};
    check(new ShapeOp.Transpose(perm), x, xv, Copy.transpose(x, perm));
    Shape to = Shape.of(2, 3, 4, 5);
    Shape xb = Shape.of(3, 1, 5);
    check(new ShapeOp.BroadcastTo(to), xb, random(xb, 2), Copy.broadcastTo(xb, to));
    int[] begin = {2, 3, 4};
    int[] step = {-1, -2, -3};
    ShapeOp.StridedSlice ss = new ShapeOp.StridedSlice(begin, new int[] {-1, -1, -1}, step);
    check(ss, x, xv, Copy.stridedSlice(x, begin, step, outShape(ss, x)));
    ShapeOp.Slice sl = new ShapeOp.Slice(new int[] {1, 0, 2}, new int[] {2, 4, 3});
    check(sl, x, xv, Copy.stridedSlice(x, sl.begin(), new int[] {1, 1, 1}, outShape(sl, x)));
    int[] low = {1, 0, 2};
    ShapeOp.Pad pad = new ShapeOp.Pad(low, new int[] {0, 2, 1}, 0);
    check(pad, x, xv, Copy.padInterior(x, low, outShape(pad, x)));

    Shape y = Shape.of(3, 2, 5);
    double[] yv = random(y, 3);
    ShapeOp.Concat cat = new ShapeOp.Concat(1);
    Shape out = outShape(cat, x, y);
    double[] got = new double[(int) out.size()];
    Copy.concatPiece(x, 1, 0, out).emulate(xv, got);
    Copy.concatPiece(y, 1, 4, out).emulate(yv, got);
    same(cpu(cat, new Shape[] {x, y}, xv, yv), got, "concat");
  }

  private static void check(Op op, Shape x, double[] xv, Copy copy) {
    Shape out = outShape(op, x);
    double[] got = new double[(int) out.size()];
    copy.emulate(xv, got);
    same(cpu(op, new Shape[] {x}, xv), got, op.toString());
  }

  @Test
  void reductionIndexersWalkKeptAndReducedAxes() {
    Shape x = Shape.of(3, 4, 5, 2);
    double[] xv = random(x, 4);
    for (int[] axes : new int[][] {{0}, {1, 3}, {0, 2}, {3}, {0, 1, 2, 3}}) {
      ReductionOp.Reduce op = new ReductionOp.Reduce(ReduceFn.SUM, axes, false);
      Indexer[] ix = Copy.reduction(x, axes);
      double[] want = cpu(op, new Shape[] {x}, xv);
      long count = x.size() / want.length;
      double[] got = new double[want.length];
      for (int o = 0; o < got.length; o++) {
        long base = ix[0].offsets(o)[0];
        for (long r = 0; r < count; r++) {
          got[o] += xv[(int) (base + ix[1].offsets(r)[0])];
        }
      }
      same(want, got, "sum over " + Arrays.toString(axes));
    }
  }

  @Test
  void batchedGemmMatchesMatMul() {
    Shape[][] cases = {
      {Shape.of(2, 1, 3, 4), Shape.of(5, 4, 6)},
      {Shape.of(7, 3), Shape.of(3, 2)},
      {Shape.of(4, 2, 3), Shape.of(1, 3, 5)},
    };
    for (Shape[] c : cases) {
      for (boolean ta : new boolean[] {false, true}) {
        for (boolean tb : new boolean[] {false, true}) {
          Shape a = ta ? swapLast(c[0]) : c[0];
          Shape b = tb ? swapLast(c[1]) : c[1];
          LinalgOp.MatMul op = new LinalgOp.MatMul(ta, tb);
          Shape out = outShape(op, a, b);
          double[] av = random(a, 5);
          double[] bv = random(b, 6);
          double[] got = new double[(int) out.size()];
          Gemm.matMul(op, a, b, out).emulate(av, bv, got, 1, 0);
          same(cpu(op, new Shape[] {a, b}, av, bv), got, op + " " + a + " " + b);
        }
      }
    }
  }

  private static Shape swapLast(Shape s) {
    int[] d = s.dims();
    int r = d.length;
    int t = d[r - 1];
    d[r - 1] = d[r - 2];
    d[r - 2] = t;
    return Shape.of(d);
  }

  private record ConvCase(ConvSpec spec, Shape x, Shape w) {}

  private static List<ConvCase> convCases() {
    return List.of(
        new ConvCase(ConvSpec.simple(2, Padding.SAME), Shape.of(2, 5, 6, 3), Shape.of(3, 3, 3, 4)),
        new ConvCase(
            new ConvSpec(new int[] {2, 1}, Padding.SAME, new int[] {1, 2}, 2),
            Shape.of(2, 7, 6, 4),
            Shape.of(3, 2, 2, 6)),
        new ConvCase(
            new ConvSpec(new int[] {3}, Padding.explicit(new int[] {2, 1}), new int[] {2}, 3),
            Shape.of(3, 11, 3),
            Shape.of(3, 1, 6)),
        new ConvCase(
            new ConvSpec(new int[] {1, 2, 1}, Padding.VALID, new int[] {1, 1, 2}, 1),
            Shape.of(1, 4, 5, 6, 2),
            Shape.of(2, 2, 2, 2, 3)));
  }

  private static double[] im2col(ConvGeometry g, double[] x) {
    double[] col = new double[(int) g.columnElements()];
    for (int e = 0; e < col.length; e++) {
      long src = g.im2colSource(e);
      col[e] = src < 0 ? 0 : x[(int) src];
    }
    return col;
  }

  @Test
  void convolutionThroughIm2colAndGemmMatchesTheCpuDevice() {
    for (ConvCase c : convCases()) {
      ConvolutionOp.Conv op = new ConvolutionOp.Conv(c.spec());
      Shape y = outShape(op, c.x(), c.w());
      double[] xv = random(c.x(), 7);
      double[] wv = random(c.w(), 8);
      ConvGeometry g = new ConvGeometry(c.spec(), c.x(), c.w(), y, c.x().dim(0));
      double[] got = new double[(int) y.size()];
      g.forwardGemm().emulate(im2col(g, xv), wv, got, 1, 0);
      same(cpu(op, new Shape[] {c.x(), c.w()}, xv, wv), got, "conv " + c);
    }
  }

  @Test
  void inputGradientThroughGemmAndCol2imMatchesTheCpuDevice() {
    for (ConvCase c : convCases()) {
      Shape y = outShape(new ConvolutionOp.Conv(c.spec()), c.x(), c.w());
      ConvolutionOp.ConvBackpropInput op = new ConvolutionOp.ConvBackpropInput(c.spec(), c.x());
      double[] dy = random(y, 9);
      double[] wv = random(c.w(), 10);
      ConvGeometry g = new ConvGeometry(c.spec(), c.x(), c.w(), y, c.x().dim(0));
      double[] dcol = new double[(int) g.columnElements()];
      g.inputGradientGemm().emulate(dy, wv, dcol, 1, 0);
      double[] got = new double[(int) c.x().size()];
      for (int e = 0; e < got.length; e++) {
        for (long src : g.col2imSources(e)) {
          got[e] += dcol[(int) src];
        }
      }
      same(cpu(op, new Shape[] {y, c.w()}, dy, wv), got, "conv input gradient " + c);
    }
  }

  @Test
  void filterGradientAccumulatesOverImageChunks() {
    for (ConvCase c : convCases()) {
      Shape y = outShape(new ConvolutionOp.Conv(c.spec()), c.x(), c.w());
      ConvolutionOp.ConvBackpropFilter op = new ConvolutionOp.ConvBackpropFilter(c.spec(), c.w());
      double[] xv = random(c.x(), 11);
      double[] dy = random(y, 12);
      double[] got = new double[(int) c.w().size()];
      // One image per launch, beta = 1 after the first, as a launcher short of memory does.
      int images = c.x().dim(0);
      long xImage = c.x().size() / images;
      long yImage = y.size() / images;
      for (int n = 0; n < images; n++) {
        ConvGeometry g = new ConvGeometry(c.spec(), c.x(), c.w(), y, 1);
        double[] xs = Arrays.copyOfRange(xv, (int) (n * xImage), (int) ((n + 1) * xImage));
        double[] ys = Arrays.copyOfRange(dy, (int) (n * yImage), (int) ((n + 1) * yImage));
        g.filterGradientGemm().emulate(im2col(g, xs), ys, got, 1, n == 0 ? 0 : 1);
      }
      same(cpu(op, new Shape[] {c.x(), y}, xv, dy), got, "conv filter gradient " + c);
    }
  }

  private static List<PoolSpec> poolSpecs() {
    return List.of(
        new PoolSpec(new int[] {2, 2}, new int[] {2, 2}, Padding.VALID),
        new PoolSpec(new int[] {3, 2}, new int[] {2, 1}, Padding.SAME),
        new PoolSpec(
            new int[] {3, 3},
            new int[] {1, 2},
            Padding.explicit(new int[] {1, 2}, new int[] {2, 0})));
  }

  @Test
  void poolingWindowsMatchTheCpuDevice() {
    Shape x = Shape.of(2, 5, 6, 3);
    // Repeated values make ties, where the first maximum must win.
    double[] xv = random(x, 13);
    for (PoolSpec spec : poolSpecs()) {
      for (PoolFn fn : PoolFn.values()) {
        PoolingOp.Pool op = new PoolingOp.Pool(fn, spec);
        Shape y = outShape(op, x);
        PoolGeometry g = new PoolGeometry(spec, x, y);
        double[] got = new double[(int) y.size()];
        int c = x.dim(-1);
        for (int e = 0; e < got.length; e++) {
          int[] oc = unravel((e / c) % (int) (y.size() / y.dim(0) / c), y, 1);
          int n = e / c / (int) (y.size() / y.dim(0) / c);
          double acc = fn == PoolFn.MAX ? Double.NEGATIVE_INFINITY : 0;
          for (int[] p : window(g, oc)) {
            double v = xv[flat(x, n, p, e % c)];
            acc = fn == PoolFn.MAX ? Math.max(acc, v) : acc + v;
          }
          got[e] = fn == PoolFn.MAX ? acc : acc / g.windowCount(oc);
        }
        same(cpu(op, new Shape[] {x}, xv), got, op.toString());
      }
    }
  }

  @Test
  void gatheringPoolGradientsMatchTheCpuDevice() {
    Shape x = Shape.of(2, 5, 6, 3);
    double[] xv = random(x, 14);
    int c = x.dim(-1);
    long inPos = x.size() / x.dim(0) / c;
    for (PoolSpec spec : poolSpecs()) {
      Shape y = outShape(new PoolingOp.Pool(PoolFn.MAX, spec), x);
      long outPos = y.size() / y.dim(0) / c;
      PoolGeometry g = new PoolGeometry(spec, x, y);
      double[] dy = random(y, 15);
      double[] maxGot = new double[(int) x.size()];
      double[] avgGot = new double[(int) x.size()];
      for (int e = 0; e < maxGot.length; e++) {
        int ch = e % c;
        int p = (int) ((e / c) % inPos);
        int n = (int) (e / c / inPos);
        int[] pc = unravel(p, x, 1);
        for (int[] oc : covering(g, pc)) {
          int o = (int) flatOut(y, oc);
          double g0 = dy[(int) ((n * outPos + o) * c + ch)];
          avgGot[e] += g0 / g.windowCount(oc);
          int best = -1;
          double bv = 0;
          for (int[] q : window(g, oc)) {
            int at = flat(x, n, q, ch);
            if (best < 0 || xv[at] > bv) {
              best = at;
              bv = xv[at];
            }
          }
          if (best == e) {
            maxGot[e] += g0;
          }
        }
      }
      same(
          cpu(new PoolingOp.MaxPoolBackward(spec), new Shape[] {x, y}, xv, dy),
          maxGot,
          "max pool backward " + spec);
      same(
          cpu(new PoolingOp.AvgPoolBackward(spec, x), new Shape[] {y}, dy),
          avgGot,
          "avg pool backward " + spec);
    }
  }

  /** Spatial coordinates of flat spatial position {@code p} of a channels-last shape. */
  private static int[] unravel(long p, Shape s, int from) {
    int r = s.rank() - 2;
    int[] c = new int[r];
    for (int a = r - 1; a >= 0; a--) {
      c[a] = (int) (p % s.dim(a + from));
      p /= s.dim(a + from);
    }
    return c;
  }

  private static int flat(Shape x, int n, int[] p, int ch) {
    long f = n;
    for (int a = 0; a < p.length; a++) {
      f = f * x.dim(a + 1) + p[a];
    }
    return (int) (f * x.dim(-1) + ch);
  }

  private static long flatOut(Shape y, int[] oc) {
    long f = 0;
    for (int a = 0; a < oc.length; a++) {
      f = f * y.dim(a + 1) + oc[a];
    }
    return f;
  }

  /** The input coordinates inside the window of output coordinates {@code oc}, in slot order. */
  private static List<int[]> window(PoolGeometry g, int[] oc) {
    List<int[]> in = new ArrayList<>();
    int r = oc.length;
    int[] w = new int[r];
    while (true) {
      int[] p = new int[r];
      boolean inside = true;
      for (int a = 0; a < r; a++) {
        p[a] = g.inputAt(a, oc[a], w[a]);
        inside &= p[a] >= 0 && p[a] < g.in[a];
      }
      if (inside) {
        in.add(p);
      }
      int a = r - 1;
      while (a >= 0 && ++w[a] == g.window[a]) {
        w[a--] = 0;
      }
      if (a < 0) {
        return in;
      }
    }
  }

  /** The output coordinates whose windows cover input coordinates {@code pc}, from cover(). */
  private static List<int[]> covering(PoolGeometry g, int[] pc) {
    int r = pc.length;
    int[] first = new int[r];
    int[] last = new int[r];
    for (int a = 0; a < r; a++) {
      int[] fl = g.cover(a, pc[a]);
      first[a] = fl[0];
      last[a] = fl[1];
      if (first[a] > last[a]) {
        return List.of();
      }
    }
    List<int[]> out = new ArrayList<>();
    int[] o = first.clone();
    while (true) {
      out.add(o.clone());
      int a = r - 1;
      while (a >= 0 && ++o[a] > last[a]) {
        o[a] = first[a];
        a--;
      }
      if (a < 0) {
        return out;
      }
    }
  }
}
