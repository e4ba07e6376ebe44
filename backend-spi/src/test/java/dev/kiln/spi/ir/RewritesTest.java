package dev.kiln.spi.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.testkit.Compare;
import dev.kiln.spi.testkit.ReferenceEvaluator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RewritesTest {
  private static final TensorType LOGITS = TensorType.of(DType.FLOAT64, 2, 3);

  /** softmax_cross_entropy decomposes into log_softmax, itself a composite. */
  private static Graph crossEntropy() {
    GraphBuilder b = new GraphBuilder();
    Value logits = b.input(LOGITS);
    Value labels = b.input(LOGITS);
    return b.output(b.softmaxCrossEntropy(logits, labels, -1)).build();
  }

  private static List<String> opNames(Graph g) {
    return g.nodes().stream().map(n -> n.op().name()).toList();
  }

  private static long composites(Graph g) {
    return g.nodes().stream().filter(n -> n.op() instanceof CompositeOp).count();
  }

  @Test
  void aCompositeThatExpandsIntoAnotherCompositeIsExpandedToPrimitives() {
    Graph expanded = Rewrites.expandAll(crossEntropy());
    assertEquals(0, composites(expanded), expanded.toString());
    assertTrue(opNames(expanded).contains("reduce_max"), expanded.toString());
  }

  @Test
  void keptCompositesStayWholeAlsoWhenADecompositionEmitsThem() {
    Graph expanded = Rewrites.expand(crossEntropy(), c -> c instanceof CompositeOp.LogSoftmax);
    List<String> ops = opNames(expanded);
    assertEquals(1, ops.stream().filter(o -> o.equals("log_softmax")).count(), ops.toString());
    assertTrue(!ops.contains("softmax_cross_entropy"), ops.toString());

    Graph kept = Rewrites.expand(crossEntropy(), c -> c instanceof CompositeOp.SoftmaxCrossEntropy);
    assertEquals(List.of("parameter", "parameter", "softmax_cross_entropy"), opNames(kept));
  }

  @Test
  void theExpandedGraphComputesWhatTheCompositeComputes() {
    HostTensor logits =
        HostTensor.fromDoubles(DType.FLOAT64, Shape.of(2, 3), new double[] {1, 2, 3, -1, 0, 4});
    HostTensor labels =
        HostTensor.fromDoubles(
            DType.FLOAT64, Shape.of(2, 3), new double[] {0.2, 0.3, 0.5, 1, 0, 0});
    ReferenceEvaluator ref = new ReferenceEvaluator();
    Graph g = crossEntropy();
    HostTensor direct = ref.run(g, List.of(logits, labels)).get(0);
    HostTensor expanded = ref.run(Rewrites.expandAll(g), List.of(logits, labels)).get(0);
    Compare.assertClose("softmax_cross_entropy", direct, expanded, 1e-12, 1e-12);
  }

  @Test
  void inputsVariablesUpdatesAndOutputsCarryOver() {
    GraphBuilder b = new GraphBuilder();
    TensorType t = TensorType.of(DType.FLOAT32, 4);
    Value x = b.input(t);
    Value y = b.input(TensorType.of(DType.INT32, 4));
    Value w = b.variable("w", t);
    b.update("w", b.gelu(b.add(w, x), false));
    Graph g = b.output(b.silu(x), y).build();

    Graph expanded = Rewrites.expandAll(g);
    assertEquals(g.inputTypes(), expanded.inputTypes());
    assertEquals(Map.of("w", t), expanded.variables());
    assertEquals(2, expanded.outputs().size());
    assertEquals(expanded.inputs().get(1), expanded.outputs().get(1));
    assertEquals(0, composites(expanded), expanded.toString());
  }

  @Test
  void scanBodiesAreExpandedToo() {
    GraphBuilder body = new GraphBuilder();
    Value c = body.input(TensorType.of(DType.FLOAT32, 3));
    Value s = body.input(TensorType.of(DType.FLOAT32, 3));
    body.output(body.gelu(body.add(c, s), true), body.softmaxCrossEntropy(c, s, 0));
    GraphBuilder b = new GraphBuilder();
    Value c0 = b.input(TensorType.of(DType.FLOAT32, 3));
    Value xs = b.input(TensorType.of(DType.FLOAT32, 5, 3));
    List<Value> r = b.scan(body.build(), List.of(c0), List.of(xs), List.of(), false);
    Graph g = b.output(r.toArray(Value[]::new)).build();

    Graph expanded = Rewrites.expandAll(g);
    ControlFlowOp.Scan scan =
        (ControlFlowOp.Scan)
            expanded.nodes().stream()
                .filter(n -> n.op() instanceof ControlFlowOp.Scan)
                .findFirst()
                .orElseThrow()
                .op();
    assertEquals(0, composites(scan.body()), scan.body().toString());
    assertTrue(opNames(scan.body()).contains("tanh"), scan.body().toString());
  }
}
