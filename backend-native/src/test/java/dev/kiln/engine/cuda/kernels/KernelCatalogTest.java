package dev.kiln.engine.cuda.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.engine.cpu.Kernels;
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
import dev.kiln.spi.ir.Distribution;
import dev.kiln.spi.ir.ElementwiseOp;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.IndexingOp;
import dev.kiln.spi.ir.LinalgOp;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.Op;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.PoolFn;
import dev.kiln.spi.ir.PoolSpec;
import dev.kiln.spi.ir.PoolingOp;
import dev.kiln.spi.ir.ReduceFn;
import dev.kiln.spi.ir.ReductionOp;
import dev.kiln.spi.ir.ShapeError;
import dev.kiln.spi.ir.ShapeOp;
import dev.kiln.spi.ir.SourceOp;
import dev.kiln.spi.ir.UnaryFn;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Every IR op the native engine executes maps to kernels that the shipped PTX defines, for every
 * dtype the op accepts; the composites the engine expands before lowering are refused by name.
 */
class KernelCatalogTest {
  private static final Shape X = Shape.of(2, 3, 4);

  /** One op with the operand types it takes for a given dtype. */
  private record Sample(Op op, Function<DType, List<TensorType>> inputs) {}

  /** Op classes without a sample, and why. */
  private static final Map<Class<?>, String> EXEMPT =
      Map.of(
          ControlFlowOp.Scan.class,
          "a scan has no kernel of its own; its body's nodes are lowered one by one");

  private static TensorType t(DType d, int... dims) {
    return new TensorType(d, Shape.of(dims));
  }

  private static List<Sample> samples() {
    List<Sample> s = new ArrayList<>();
    for (UnaryFn fn : UnaryFn.values()) {
      s.add(new Sample(new ElementwiseOp.Unary(fn), d -> List.of(new TensorType(d, X))));
    }
    for (BinaryFn fn : BinaryFn.values()) {
      s.add(
          new Sample(new ElementwiseOp.Binary(fn), d -> List.of(new TensorType(d, X), t(d, 3, 1))));
    }
    for (CompareFn fn : CompareFn.values()) {
      s.add(
          new Sample(
              new ElementwiseOp.Compare(fn), d -> List.of(t(d, 3, 1), new TensorType(d, X))));
    }
    s.add(
        new Sample(
            new ElementwiseOp.Select(),
            d -> List.of(new TensorType(DType.BOOL, X), t(d, 3, 4), t(d, 2, 1, 1))));
    for (DType to : DType.values()) {
      s.add(new Sample(new ElementwiseOp.Cast(to), d -> List.of(new TensorType(d, X))));
    }
    for (ReduceFn fn : ReduceFn.values()) {
      s.add(
          new Sample(
              new ReductionOp.Reduce(fn, new int[] {0, 2}, false),
              d -> List.of(new TensorType(d, X))));
    }
    for (ArgFn fn : ArgFn.values()) {
      for (DType idx : List.of(DType.INT32, DType.INT64)) {
        s.add(
            new Sample(
                new ReductionOp.ArgReduce(fn, 1, false, idx), d -> List.of(new TensorType(d, X))));
      }
    }
    s.add(new Sample(new LinalgOp.MatMul(false, true), d -> List.of(t(d, 2, 4, 3), t(d, 5, 3))));
    s.add(
        new Sample(new LinalgOp.MatMul(true, false), d -> List.of(t(d, 300, 200), t(d, 300, 400))));
    ConvSpec conv = new ConvSpec(new int[] {1, 2}, Padding.SAME, new int[] {2, 1}, 2);
    s.add(
        new Sample(new ConvolutionOp.Conv(conv), d -> List.of(t(d, 2, 5, 5, 4), t(d, 3, 3, 2, 6))));
    s.add(
        new Sample(
            new ConvolutionOp.ConvBackpropInput(conv, Shape.of(2, 5, 5, 4)),
            d -> List.of(t(d, 2, 5, 3, 6), t(d, 3, 3, 2, 6))));
    s.add(
        new Sample(
            new ConvolutionOp.ConvBackpropFilter(conv, Shape.of(3, 3, 2, 6)),
            d -> List.of(t(d, 2, 5, 5, 4), t(d, 2, 5, 3, 6))));
    PoolSpec pool = new PoolSpec(new int[] {2, 2}, new int[] {2, 2}, Padding.VALID);
    for (PoolFn fn : PoolFn.values()) {
      s.add(new Sample(new PoolingOp.Pool(fn, pool), d -> List.of(t(d, 2, 4, 4, 3))));
    }
    s.add(
        new Sample(
            new PoolingOp.MaxPoolBackward(pool), d -> List.of(t(d, 2, 4, 4, 3), t(d, 2, 2, 2, 3))));
    s.add(
        new Sample(
            new PoolingOp.AvgPoolBackward(pool, Shape.of(2, 4, 4, 3)),
            d -> List.of(t(d, 2, 2, 2, 3))));
    s.add(new Sample(new ShapeOp.Reshape(Shape.of(6, 4)), d -> List.of(new TensorType(d, X))));
    s.add(
        new Sample(new ShapeOp.Transpose(new int[] {2, 0, 1}), d -> List.of(new TensorType(d, X))));
    s.add(
        new Sample(
            new ShapeOp.BroadcastTo(Shape.of(5, 2, 3, 4)), d -> List.of(new TensorType(d, X))));
    s.add(
        new Sample(
            new ShapeOp.Slice(new int[] {0, 1, 0}, new int[] {2, 2, 4}),
            d -> List.of(new TensorType(d, X))));
    s.add(
        new Sample(
            new ShapeOp.StridedSlice(
                new int[] {1, 2, 3}, new int[] {-1, -1, -1}, new int[] {-1, -2, -2}),
            d -> List.of(new TensorType(d, X))));
    s.add(new Sample(new ShapeOp.Concat(1), d -> List.of(new TensorType(d, X), t(d, 2, 1, 4))));
    s.add(
        new Sample(
            new ShapeOp.Pad(new int[] {0, 1, 0}, new int[] {1, 0, 2}, 0),
            d -> List.of(new TensorType(d, X))));
    for (DType idx : List.of(DType.INT8, DType.UINT8, DType.INT32, DType.INT64)) {
      s.add(new Sample(new IndexingOp.Gather(1), d -> List.of(new TensorType(d, X), t(idx, 5))));
      s.add(
          new Sample(
              new IndexingOp.ScatterAdd(1),
              d -> List.of(new TensorType(d, X), t(idx, 5), t(d, 2, 5, 4))));
    }
    for (DType to : DType.values()) {
      s.add(new Sample(new IndexingOp.OneHot(4, to), d -> List.of(t(d, 3))));
      if (to.isNumeric()) {
        s.add(new Sample(new SourceOp.Iota(t(to, 3, 4), 1), d -> d == to ? List.of() : null));
      }
      for (Distribution dist : Distribution.values()) {
        if (dist != Distribution.BERNOULLI && !to.isFloating()) {
          continue;
        }
        s.add(
            new Sample(
                new SourceOp.Random(dist, t(to, 3, 4), 0.25, 1),
                d -> d == to ? List.of(t(DType.INT64, 2)) : null));
      }
    }
    s.add(new Sample(new CompositeOp.Softmax(1), d -> List.of(new TensorType(d, X))));
    s.add(new Sample(new CompositeOp.LogSoftmax(-1), d -> List.of(new TensorType(d, X))));
    s.add(
        new Sample(
            new CompositeOp.AdamUpdate(0.9, 0.999, 1e-7),
            d -> {
              TensorType w = new TensorType(d, X);
              return List.of(w, w, w, w, t(d));
            }));
    s.add(
        new Sample(
            new CompositeOp.LogSumExp(new int[] {1}, false), d -> List.of(new TensorType(d, X))));
    s.add(
        new Sample(
            new CompositeOp.SoftmaxCrossEntropy(-1),
            d -> List.of(new TensorType(d, X), new TensorType(d, X))));
    s.add(
        new Sample(
            new CompositeOp.SigmoidCrossEntropy(),
            d -> List.of(new TensorType(d, X), new TensorType(d, X))));
    s.add(
        new Sample(
            new CompositeOp.BatchNormTraining(-1, 1e-3),
            d -> List.of(new TensorType(d, X), t(d, 4), t(d, 4))));
    s.add(
        new Sample(
            new CompositeOp.BatchNormTrainingGrad(-1, 1e-3),
            d -> {
              TensorType x = new TensorType(d, X);
              TensorType c = t(d, 4);
              return List.of(x, c, c, c, x, c, c);
            }));
    s.add(
        new Sample(
            new CompositeOp.BatchNormInference(-1, 1e-3),
            d -> List.of(new TensorType(d, X), t(d, 4), t(d, 4), t(d, 4), t(d, 4))));
    s.add(
        new Sample(
            new CompositeOp.LayerNorm(new int[] {2}, 1e-3),
            d -> List.of(new TensorType(d, X), t(d, 4), t(d, 4))));
    s.add(new Sample(new CompositeOp.Gelu(true), d -> List.of(new TensorType(d, X))));
    s.add(new Sample(new CompositeOp.Silu(), d -> List.of(new TensorType(d, X))));
    return s;
  }

  /** The node of {@code op} on fresh inputs, or null when the op refuses those operand types. */
  private static Node node(Op op, List<TensorType> in) {
    GraphBuilder b = new GraphBuilder();
    List<Value> operands = new ArrayList<>();
    for (TensorType t : in) {
      operands.add(b.input(t));
    }
    try {
      b.emit(op, operands);
    } catch (ShapeError e) {
      return null;
    }
    return b.nodes().getLast();
  }

  private static void leafClasses(Class<?> c, Set<Class<?>> into) {
    if (c.isSealed()) {
      for (Class<?> sub : c.getPermittedSubclasses()) {
        leafClasses(sub, into);
      }
    } else {
      into.add(c);
    }
  }

  @Test
  void everyOpAndDtypeTheEngineRunsHasKernelsInEveryArchitecture() {
    List<KernelCatalog> catalogs =
        KernelCatalog.archs().stream().map(KernelCatalog::forArch).toList();
    Set<Class<?>> covered = new HashSet<>();
    List<String> problems = new ArrayList<>();
    int mapped = 0;
    for (Sample s : samples()) {
      int valid = 0;
      for (DType d : DType.values()) {
        List<TensorType> in = s.inputs().apply(d);
        Node n = in == null ? null : node(s.op(), in);
        if (n == null) {
          continue;
        }
        valid++;
        covered.add(s.op().getClass());
        String what = s.op() + " on " + in;
        if (s.op() instanceof CompositeOp c && !Kernels.hasDirectKernel(c)) {
          IllegalArgumentException e =
              assertThrows(IllegalArgumentException.class, () -> KernelCatalog.kernelsFor(n), what);
          assertTrue(e.getMessage().contains(c.name()), e.getMessage());
          continue;
        }
        List<CudaKernel> ks;
        try {
          ks = KernelCatalog.kernelsFor(n);
        } catch (IllegalArgumentException e) {
          problems.add(what + ": " + e.getMessage());
          continue;
        }
        if (ks.isEmpty()) {
          problems.add(what + ": no kernels");
        }
        for (CudaKernel k : ks) {
          for (KernelCatalog c : catalogs) {
            try {
              c.entry(k);
              mapped++;
            } catch (IllegalStateException e) {
              problems.add(what + ": " + e.getMessage());
            }
          }
        }
      }
      if (valid == 0) {
        problems.add("the sample " + s.op() + " is valid for no dtype");
      }
    }
    Set<Class<?>> ops = new HashSet<>();
    leafClasses(Op.class, ops);
    for (Class<?> c : ops) {
      boolean source =
          c == SourceOp.Parameter.class
              || c == SourceOp.Constant.class
              || c == SourceOp.VariableRead.class;
      if (!covered.contains(c) && !EXEMPT.containsKey(c) && !source) {
        problems.add("no sample covers op " + c.getName() + ": add one and map it");
      }
    }
    if (!problems.isEmpty()) {
      fail(problems.size() + " problems:\n" + String.join("\n", problems));
    }
    assertTrue(mapped > 500, "kernel lookups: " + mapped);
  }

  @Test
  void boundMemoryAndScansNeedNoKernel() {
    GraphBuilder b = new GraphBuilder();
    Value p = b.input(new TensorType(DType.FLOAT32, X));
    Value c = b.constant(HostTensor.zeros(DType.FLOAT32, X));
    Value v = b.variable("w", new TensorType(DType.FLOAT32, X));
    for (Value x : List.of(p, c, v)) {
      assertEquals(List.of(), KernelCatalog.kernelsFor(x.node()), x.node().op().name());
    }
  }

  @Test
  void kernelsArePickedByDtypeAndSize() {
    Supplier<List<String>> bigMatMul =
        () ->
            names(
                node(
                    new LinalgOp.MatMul(false, false),
                    List.of(t(DType.FLOAT32, 1024, 512), t(DType.FLOAT32, 512, 2048))));
    assertEquals(List.of("kiln_gemm_f32"), bigMatMul.get());
    assertEquals(
        List.of("kiln_gemm64_bf16"),
        names(
            node(
                new LinalgOp.MatMul(false, false),
                List.of(t(DType.BFLOAT16, 64, 32), t(DType.BFLOAT16, 32, 10)))));
    assertEquals(
        List.of("kiln_gemm_f64"),
        names(
            node(
                new LinalgOp.MatMul(false, false),
                List.of(t(DType.FLOAT64, 64, 32), t(DType.FLOAT64, 32, 10)))));
    assertEquals(
        List.of("kiln_cast_bf16_i64"),
        names(node(new ElementwiseOp.Cast(DType.INT64), List.of(t(DType.BFLOAT16, 3)))));
    assertEquals(
        List.of("kiln_fill_b2", "kiln_copy_b2"),
        names(
            node(new ShapeOp.Pad(new int[] {1}, new int[] {2}, 1), List.of(t(DType.FLOAT16, 3)))));
    assertEquals(
        List.of("kiln_argreduce_i32_i64"),
        names(
            node(
                new ReductionOp.ArgReduce(ArgFn.ARGMIN, 0, false, DType.INT64),
                List.of(t(DType.INT32, 3)))));
  }

  @Test
  void anUnservedDtypeIsNamedWithTheNode() {
    Node n =
        node(
            new LinalgOp.MatMul(false, false),
            List.of(t(DType.FLOAT32, 2, 2), t(DType.FLOAT32, 2, 2)));
    assertFalse(KernelCatalog.kernelsFor(n).isEmpty());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> KernelCatalog.indexTypeCode(DType.FLOAT32));
    assertTrue(e.getMessage().contains("float32"), e.getMessage());
  }

  private static List<String> names(Node n) {
    return KernelCatalog.kernelsFor(n).stream().map(CudaKernel::name).toList();
  }
}
