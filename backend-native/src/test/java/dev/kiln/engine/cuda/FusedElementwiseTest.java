package dev.kiln.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.cuda.kernels.KernelFamily;
import dev.kiln.engine.cuda.kernels.ParamKind;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.BinaryFn;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.UnaryFn;
import dev.kiln.spi.ir.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which chains {@link FusedElementwise} plans, how it reads inputs, and what it names kernels. */
class FusedElementwiseTest {
  private static TensorType f(int... dims) {
    return TensorType.of(DType.FLOAT32, dims);
  }

  private static String index(int[] in, int[] out) {
    FusedElementwise.Read r = FusedElementwise.read(Shape.of(in), Shape.of(out));
    return r == null ? null : r.index();
  }

  @Test
  void inputsAreReadWholeAsScalarsOrAsOneBroadcastBlockOfAxes() {
    assertEquals("i", index(new int[] {4, 3}, new int[] {4, 3}));
    assertEquals("i", index(new int[] {4, 1, 3}, new int[] {1, 4, 1, 3}));
    assertEquals("0", index(new int[] {}, new int[] {4, 3}));
    assertEquals("0", index(new int[] {1, 1}, new int[] {4, 3}));
    assertEquals("i % 3LL", index(new int[] {3}, new int[] {4, 3}));
    assertEquals("i / 3LL", index(new int[] {4, 1}, new int[] {4, 3}));
    assertEquals("(i / 4LL) % 3LL", index(new int[] {1, 3, 1}, new int[] {2, 3, 4}));
    assertEquals("(i / 3LL) % 5LL", index(new int[] {5, 1}, new int[] {4, 5, 3}));
    // Two blocks with a broadcast axis between them need a real indexer.
    assertNull(index(new int[] {4, 1, 3}, new int[] {4, 5, 3}));
    assertNull(index(new int[] {2, 3}, new int[] {3}));
  }

  @Test
  void denseReluSigmoidIsOneKernelReadingItsThreeInputs() {
    FusedChains.Case c = FusedChains.denseReluSigmoid();
    List<FusedElementwise.Kernel> ks = FusedElementwise.plan(c.graph());
    assertEquals(1, ks.size(), () -> "kernels: " + ks);
    FusedElementwise.Kernel k = ks.get(0);
    assertEquals("mul -> add -> less_equal -> select -> sigmoid", k.describe());
    List<Value> in = c.graph().inputs();
    // x, w, b and relu's zero.
    assertEquals(4, k.inputs().size());
    assertEquals(in, k.inputs().subList(0, 3));
    assertEquals(c.graph().outputs().get(0), k.output());
    assertTrue(k.body().contains("in2[i % 16LL]"), k.body());
    assertTrue(k.body().contains("in3[0]"), k.body());
    assertEquals(KernelFamily.FUSED, k.kernel().family());
    assertEquals(
        List.of(
            ParamKind.I64,
            ParamKind.PTR,
            ParamKind.PTR,
            ParamKind.PTR,
            ParamKind.PTR,
            ParamKind.PTR),
        k.kernel().params());
  }

  @Test
  void namesHashTheSourceSoTheSameChainHasTheSameKernel() {
    FusedElementwise.Kernel a =
        FusedElementwise.plan(FusedChains.denseReluSigmoid().graph()).get(0);
    FusedElementwise.Kernel b =
        FusedElementwise.plan(FusedChains.denseReluSigmoid().graph()).get(0);
    assertEquals(a.name(), b.name());
    assertEquals(a.source(), b.source());
    assertTrue(a.name().matches("kiln_fused_[0-9a-f]{16}"), a.name());
    assertTrue(a.source().contains("void " + a.name() + "(long long n,"), a.source());
    GraphBuilder g = new GraphBuilder();
    Value x = g.input(f(8, 16));
    Value y = g.tanh(g.exp(x));
    FusedElementwise.Kernel other = FusedElementwise.plan(g.output(y).build()).get(0);
    assertNotEquals(a.name(), other.name());
    // Two kernels in one unit share their helpers.
    String unit = FusedElementwise.source(List.of(a, other, a));
    assertEquals(1, count(unit, "void " + a.name() + "("));
    assertEquals(1, count(unit, "float kiln_exp("));
  }

  private static int count(String text, String part) {
    return text.split(java.util.regex.Pattern.quote(part), -1).length - 1;
  }

  @Test
  void aValueUsedOutsideTheChainEndsItThere() {
    GraphBuilder g = new GraphBuilder();
    Value x = g.input(f(4, 8));
    Value a = g.exp(x);
    Value b = g.tanh(a);
    Value c = g.neg(b);
    // b is an output too: the chain ends at b, and c runs alone.
    Graph graph = g.output(c, b).build();
    List<FusedElementwise.Kernel> ks = FusedElementwise.plan(graph);
    assertEquals(1, ks.size());
    assertEquals("exp -> tanh", ks.get(0).describe());
  }

  @Test
  void anOperandThatAnotherKindOfOpAlsoReadsStartsANewChain() {
    GraphBuilder g = new GraphBuilder();
    Value x = g.input(f(4, 4));
    Value a = g.add(x, x);
    Value m = g.matmul(a, a);
    Value s = g.sigmoid(g.exp(a));
    Graph graph = g.output(g.add(s, m)).build();
    List<FusedElementwise.Kernel> ks = FusedElementwise.plan(graph);
    // a is read by the matmul, so it is written; exp starts the chain and reads it.
    assertEquals(1, ks.size());
    assertEquals("exp -> sigmoid -> add", ks.get(0).describe());
    assertEquals(List.of(a, m), ks.get(0).inputs());
  }

  @Test
  void theBranchesOfASelectMergeIntoOneChain() {
    FusedChains.Case c =
        FusedChains.all().stream()
            .filter(x -> x.name().equals("select of an outside condition"))
            .findFirst()
            .orElseThrow();
    List<FusedElementwise.Kernel> ks = FusedElementwise.plan(c.graph());
    assertEquals(1, ks.size());
    assertEquals("add -> neg -> select", ks.get(0).describe());
    assertTrue(ks.get(0).body().contains("const unsigned char* in"), ks.get(0).body());
  }

  @Test
  void everyTestCaseIsOneKernelOverTheWholeGraph() {
    for (FusedChains.Case c : FusedChains.all()) {
      List<FusedElementwise.Kernel> ks = FusedElementwise.plan(c.graph());
      assertEquals(1, ks.size(), c.name());
      long ops = c.graph().nodes().stream().filter(FusedElementwise::fusable).count();
      assertEquals(ops, ks.get(0).nodes().size(), c.name());
    }
  }

  @Test
  void otherDtypesLogicalOpsAndShapeChangesDoNotFuse() {
    GraphBuilder g = new GraphBuilder();
    Value d = g.input(TensorType.of(DType.FLOAT64, 4));
    Value dd = g.exp(g.neg(d));
    Value p = g.input(TensorType.of(DType.BOOL, 4));
    Value q = g.unary(UnaryFn.LOGICAL_NOT, g.binary(BinaryFn.LOGICAL_AND, p, p));
    Value x = g.input(f(3));
    Value wide = g.add(g.exp(x), g.input(f(2, 3)));
    Graph graph = g.output(dd, q, g.tanh(wide)).build();
    for (Node n : graph.nodes()) {
      if (n.output().dtype() != DType.FLOAT32) {
        assertFalse(FusedElementwise.fusable(n), n.op().name());
      }
    }
    List<FusedElementwise.Kernel> ks = FusedElementwise.plan(graph);
    // exp(x) is [3] and the add [2, 3]: only add -> tanh fuse, reading exp(x) broadcast.
    assertEquals(1, ks.size(), () -> "kernels: " + ks);
    assertEquals("add -> tanh", ks.get(0).describe());
  }

  @Test
  void generateRefusesANodeOfAnotherShape() {
    GraphBuilder g = new GraphBuilder();
    Value x = g.input(f(3));
    Value e = g.exp(x);
    Value w = g.add(e, g.input(f(2, 3)));
    g.output(w).build();
    assertThrows(
        IllegalArgumentException.class,
        () -> FusedElementwise.generate(List.of(e.node(), w.node())));
  }
}
