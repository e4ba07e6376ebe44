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

  /** An Elman RNN's loss and its gradients: the gradient emits a second forward scan. */
  private static Graph rnnWithGradients(boolean reverse) {
    TensorType h = TensorType.of(DType.FLOAT64, 2, 3);
    GraphBuilder body = new GraphBuilder();
    Value c = body.input(h);
    Value x = body.input(h);
    Value u = body.input(TensorType.of(DType.FLOAT64, 3, 3));
    Value next = body.tanh(body.add(x, body.matmul(c, u)));
    Graph bodyGraph = body.output(next, body.mul(next, next)).build();
    GraphBuilder b = new GraphBuilder();
    Value h0 = b.input(h);
    Value xs = b.input(TensorType.of(DType.FLOAT64, 4, 2, 3));
    Value w = b.input(TensorType.of(DType.FLOAT64, 3, 3));
    List<Value> r = b.scan(bodyGraph, List.of(h0), List.of(xs), List.of(w), reverse);
    Value loss = b.add(b.sumAll(r.get(0)), b.sumAll(b.mul(r.get(1), xs)));
    List<Value> grads = dev.kiln.spi.autodiff.Autodiff.gradients(b, loss, List.of(h0, xs, w));
    b.output(loss);
    grads.forEach(b::output);
    return b.build();
  }

  private static long scans(Graph g) {
    return g.nodes().stream().filter(n -> n.op() instanceof ControlFlowOp.Scan).count();
  }

  @Test
  void theGradientsForwardScanReplacesTheOriginalLoop() {
    for (boolean reverse : new boolean[] {false, true}) {
      Graph g = rnnWithGradients(reverse);
      Graph shared = Rewrites.shareScans(g);
      // forward, forward-with-history, reverse: the first goes
      assertEquals(3, scans(g), g.toString());
      assertEquals(2, scans(shared), shared.toString());
      assertEquals(g.inputTypes(), shared.inputTypes());
      java.util.Random rnd = new java.util.Random(7);
      List<HostTensor> in = new java.util.ArrayList<>();
      for (TensorType t : g.inputTypes()) {
        double[] v = new double[(int) t.shape().size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = rnd.nextGaussian() * 0.5;
        }
        in.add(HostTensor.fromDoubles(DType.FLOAT64, t.shape(), v));
      }
      ReferenceEvaluator ref = new ReferenceEvaluator();
      List<HostTensor> want = ref.run(g, in);
      List<HostTensor> got = ref.run(shared, in);
      for (int i = 0; i < want.size(); i++) {
        Compare.assertClose("output " + i, want.get(i), got.get(i), 0, 0);
      }
    }
  }

  @Test
  void scansThatDifferAreKept() {
    GraphBuilder body = new GraphBuilder();
    Value c = body.input(TensorType.of(DType.FLOAT32, 3));
    Value s = body.input(TensorType.of(DType.FLOAT32, 3));
    Graph plus = body.output(body.add(c, s)).build();
    GraphBuilder other = new GraphBuilder();
    Value c2 = other.input(TensorType.of(DType.FLOAT32, 3));
    Value s2 = other.input(TensorType.of(DType.FLOAT32, 3));
    Graph minus = other.output(other.sub(c2, s2), c2).build();
    GraphBuilder b = new GraphBuilder();
    Value c0 = b.input(TensorType.of(DType.FLOAT32, 3));
    Value xs = b.input(TensorType.of(DType.FLOAT32, 5, 3));
    List<Value> r1 = b.scan(plus, List.of(c0), List.of(xs), List.of(), false);
    List<Value> r2 = b.scan(minus, List.of(c0), List.of(xs), List.of(), false);
    List<Value> r3 = b.scan(plus, List.of(c0), List.of(xs), List.of(), true);
    Graph g = b.output(r1.get(0), r2.get(0), r3.get(0)).build();
    assertTrue(Rewrites.shareScans(g) == g, "no scan repeats another");
  }

  @Test
  void anElementwiseOpReadsWhatABroadcastBroadcastsWhereItsOwnBroadcastingGivesTheSameShape() {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(TensorType.of(DType.FLOAT32, 2, 3, 4));
    Value y = b.input(TensorType.of(DType.FLOAT32, 1, 1, 4));
    Value wide = b.broadcastTo(y, dev.kiln.spi.Shape.of(2, 3, 4));
    Value product = b.mul(x, wide);
    // Here the broadcast makes the result's shape: the sum runs small and is broadcast after.
    Value sum = b.add(wide, y);
    Graph g = Rewrites.expandAll(b.output(product).output(sum).build());
    Node mul = g.nodes().stream().filter(n -> n.op().name().equals("mul")).findFirst().get();
    Node add = g.nodes().stream().filter(n -> n.op().name().equals("add")).findFirst().get();
    assertEquals(dev.kiln.spi.Shape.of(1, 1, 4), mul.inputs().get(1).shape(), g.toString());
    assertEquals(dev.kiln.spi.Shape.of(1, 1, 4), add.outputs().get(0).shape(), g.toString());
    assertEquals(dev.kiln.spi.Shape.of(2, 3, 4), g.outputs().get(1).shape());
    assertEquals("broadcast_to", g.outputs().get(1).node().op().name());
  }

  @Test
  void anOpOnBroadcastsAndScalarsRunsSmallAndItsBroadcastFoldsIntoTheNextOp() {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(TensorType.of(DType.FLOAT32, 2, 3, 4));
    Value y = b.input(TensorType.of(DType.FLOAT32, 1, 1, 4));
    // A mean's gradient: broadcast, then divided by the count; then summed with another path.
    Value scaled =
        b.div(b.broadcastTo(y, dev.kiln.spi.Shape.of(2, 3, 4)), b.scalar(6, DType.FLOAT32));
    Graph g = Rewrites.expandAll(b.output(b.add(x, scaled)).build());
    Node div = g.nodes().stream().filter(n -> n.op().name().equals("div")).findFirst().get();
    Node add = g.nodes().stream().filter(n -> n.op().name().equals("add")).findFirst().get();
    assertEquals(dev.kiln.spi.Shape.of(1, 1, 4), div.outputs().get(0).shape(), g.toString());
    assertEquals(dev.kiln.spi.Shape.of(1, 1, 4), add.inputs().get(1).shape(), g.toString());
    assertEquals(dev.kiln.spi.Shape.of(2, 3, 4), g.outputs().get(0).shape());
  }
}
