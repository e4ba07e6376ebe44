package dev.kiln.spi.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.ArgFn;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.ControlFlowOp;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.PoolFn;
import dev.kiln.spi.ir.PoolSpec;
import dev.kiln.spi.ir.PoolingOp;
import dev.kiln.spi.ir.Value;
import dev.kiln.spi.testkit.ReferenceEvaluator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Autodiff's explicit no-gradient cases, its errors, and hand-computed gradients. */
class AutodiffTest {
  private final GraphBuilder b = new GraphBuilder();
  private final ReferenceEvaluator ref = new ReferenceEvaluator();

  private double[] eval(Value v, HostTensor... inputs) {
    return ref.run(b.output(v).build(), List.of(inputs))
        .get(b.build().outputs().size() - 1)
        .toDoubleArray();
  }

  @Test
  void quadraticByHand() {
    // d/dx sum(x^2 * 3) = 6x.
    Value x = b.input(TensorType.of(DType.FLOAT64, 3));
    Value loss = b.sumAll(b.mul(b.square(x), b.scalar(3, DType.FLOAT64)));
    Value g = Autodiff.gradients(b, loss, List.of(x)).get(0);
    assertArrayEquals(
        new double[] {6, -12, 1.5},
        eval(g, HostTensor.of(Shape.of(3), new double[] {1, -2, 0.25})),
        1e-12);
  }

  @Test
  void reluHasZeroGradientAtZero() {
    Value x = b.input(TensorType.of(DType.FLOAT64, 3));
    Value g = Autodiff.gradients(b, b.sumAll(b.relu(x)), List.of(x)).get(0);
    assertArrayEquals(
        new double[] {0, 0, 1}, eval(g, HostTensor.of(Shape.of(3), new double[] {-1, 0, 2})), 0);
  }

  @Test
  void maxTiesGoToTheFirstOperandAndReduceMaxTiesShare() {
    Value x = b.input(TensorType.of(DType.FLOAT64, 2));
    Value y = b.input(TensorType.of(DType.FLOAT64, 2));
    List<Value> g = Autodiff.gradients(b, b.sumAll(b.max(x, y)), List.of(x, y));
    Value r = b.reduceMax(x, new int[] {0}, false);
    Value gr = Autodiff.gradients(b, r, List.of(x)).get(0);
    HostTensor a = HostTensor.of(Shape.of(2), new double[] {1, 1});
    HostTensor c = HostTensor.of(Shape.of(2), new double[] {1, 0});
    List<HostTensor> out = ref.run(b.output(g.get(0), g.get(1), gr).build(), List.of(a, c));
    assertArrayEquals(new double[] {1, 1}, out.get(0).toDoubleArray());
    assertArrayEquals(new double[] {0, 0}, out.get(1).toDoubleArray());
    assertArrayEquals(new double[] {0.5, 0.5}, out.get(2).toDoubleArray());
  }

  @Test
  void comparisonsCastsToIntegersAndArgmaxCarryNoGradient() {
    Value x = b.input(TensorType.of(DType.FLOAT64, 3));
    Value mask = b.cast(b.compare(CompareFn.GREATER, x, b.scalar(0, DType.FLOAT64)), DType.FLOAT64);
    Value idx = b.cast(b.argReduce(ArgFn.ARGMAX, x, 0, false), DType.FLOAT64);
    Value asInt = b.cast(b.cast(x, DType.INT32), DType.FLOAT64);
    Value loss = b.add(b.add(b.sumAll(mask), idx), b.sumAll(asInt));
    Value g = Autodiff.gradients(b, loss, List.of(x)).get(0);
    assertArrayEquals(
        new double[] {0, 0, 0}, eval(g, HostTensor.of(Shape.of(3), new double[] {-1, 2, 3})), 0);
  }

  @Test
  void unconnectedInputsGetZeros() {
    Value x = b.input(TensorType.of(DType.FLOAT64, 2));
    Value y = b.input(TensorType.of(DType.FLOAT64, 2));
    Value g = Autodiff.gradients(b, b.sumAll(x), List.of(y)).get(0);
    assertEquals(TensorType.of(DType.FLOAT64, 2), g.type());
    HostTensor z = HostTensor.of(Shape.of(2), new double[] {1, 2});
    assertArrayEquals(new double[] {0, 0}, eval(g, z, z), 0);
  }

  @Test
  void aNonDifferentiableOpOffThePathIsNoError() {
    Value x = b.input(TensorType.of(DType.FLOAT64, 1, 4, 4, 1));
    PoolSpec p = new PoolSpec(new int[] {2, 2}, new int[] {2, 2}, Padding.VALID);
    Value pooled = b.pool(PoolFn.MAX, x, p);
    b.emit1(new PoolingOp.MaxPoolBackward(p), x, pooled);
    Value g = Autodiff.gradients(b, b.sumAll(pooled), List.of(x)).get(0);
    assertEquals(x.type(), g.type());
  }

  @Test
  void secondOrderMaxPoolingFailsLoudlyNamingTheOp() {
    Value x = b.input(TensorType.of(DType.FLOAT64, 1, 4, 4, 1));
    Value dy = b.input(TensorType.of(DType.FLOAT64, 1, 2, 2, 1));
    PoolSpec p = new PoolSpec(new int[] {2, 2}, new int[] {2, 2}, Padding.VALID);
    Value dx = b.emit1(new PoolingOp.MaxPoolBackward(p), x, dy);
    MissingGradientException e =
        assertThrows(
            MissingGradientException.class,
            () -> Autodiff.gradients(b, b.sumAll(b.square(dx)), List.of(dy)));
    assertTrue(e.getMessage().contains("max_pool_backward"), e.getMessage());
    assertTrue(e.getMessage().contains("%"), "names the node: " + e.getMessage());
  }

  @Test
  void lossMustBeAFloatScalar() {
    Value x = b.input(TensorType.of(DType.FLOAT64, 2));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Autodiff.gradients(b, x, List.of(x)));
    assertTrue(e.getMessage().contains("float64(2,)"), e.getMessage());
  }

  @Test
  void integerWrtIsRejected() {
    Value x = b.input(TensorType.of(DType.INT32, 2));
    Value loss = b.sumAll(b.cast(x, DType.FLOAT32));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Autodiff.gradients(b, loss, List.of(x)));
    assertTrue(e.getMessage().contains("int32(2,)"), e.getMessage());
  }

  @Test
  void gradientsAccumulateOverSharedUses() {
    // x used three times: d/dx (x*x + x) = 2x + 1.
    Value x = b.input(TensorType.of(DType.FLOAT64));
    Value g = Autodiff.gradients(b, b.add(b.mul(x, x), x), List.of(x)).get(0);
    assertArrayEquals(
        new double[] {7}, eval(g, HostTensor.of(Shape.scalar(), new double[] {3})), 0);
  }

  @Test
  void theReverseLoopReadsSavedValuesAndTheRecurrentKernelsGradientIsOneProduct() {
    // h_t = tanh(x_t + h_{t-1} U): the reverse body needs tanh's output (saved by the forward
    // loop, not recomputed) and dU = sum_t h_{t-1}^T dz_t (one product after the loop).
    GraphBuilder body = new GraphBuilder();
    Value h = body.input(TensorType.of(DType.FLOAT64, 2, 3));
    Value xt = body.input(TensorType.of(DType.FLOAT64, 2, 3));
    Value u = body.input(TensorType.of(DType.FLOAT64, 3, 3));
    Value next = body.tanh(body.add(xt, body.matmul(h, u)));
    Value h0 = b.input(TensorType.of(DType.FLOAT64, 2, 3));
    Value xs = b.input(TensorType.of(DType.FLOAT64, 4, 2, 3));
    Value uIn = b.input(TensorType.of(DType.FLOAT64, 3, 3));
    List<Value> r =
        b.scan(body.output(next).build(), List.of(h0), List.of(xs), List.of(uIn), false);
    List<Value> g = Autodiff.gradients(b, b.sumAll(r.get(0)), List.of(h0, xs, uIn));
    ControlFlowOp.Scan reverse =
        b.nodes().stream()
            .filter(n -> n.op() instanceof ControlFlowOp.Scan s && s.reverse())
            .map(n -> (ControlFlowOp.Scan) n.op())
            .findFirst()
            .orElseThrow();
    List<String> ops = reverse.body().nodes().stream().map(n -> n.op().name()).toList();
    assertTrue(!ops.contains("tanh"), "the reverse body recomputes tanh: " + ops);
    assertEquals(
        1,
        reverse.body().nodes().stream()
            .filter(n -> n.op() instanceof dev.kiln.spi.ir.LinalgOp.MatMul)
            .count(),
        "only dh = dz U^T is multiplied per step: " + reverse.body());
    assertTrue(
        g.get(2).node().op() instanceof dev.kiln.spi.ir.LinalgOp.MatMul,
        "dU is one product of the stacked steps");
  }

  @Test
  void slicesThatTileTheirInputGetOneConcatAsGradient() {
    Value x = b.input(TensorType.of(DType.FLOAT64, 2, 8));
    Value loss = b.scalar(0, DType.FLOAT64);
    for (int i = 0; i < 4; i++) {
      Value gate = b.slice(x, new int[] {0, 2 * i}, new int[] {2, 2});
      loss = b.add(loss, b.sumAll(b.mul(gate, b.scalar(i + 1, DType.FLOAT64))));
    }
    int before = b.nodes().size();
    Value g = Autodiff.gradients(b, loss, List.of(x)).get(0);
    List<String> ops =
        b.nodes().subList(before, b.nodes().size()).stream().map(n -> n.op().name()).toList();
    assertTrue(ops.contains("concat") && !ops.contains("pad"), ops.toString());
    double[] v = new double[16];
    List<HostTensor> out = ref.run(b.output(g).build(), List.of(HostTensor.of(Shape.of(2, 8), v)));
    assertArrayEquals(
        new double[] {1, 1, 2, 2, 3, 3, 4, 4, 1, 1, 2, 2, 3, 3, 4, 4},
        out.get(0).toDoubleArray(),
        0);
  }

  @Test
  void scanGradientIsAReverseScan() {
    // h_t = h_{t-1} * x_t: the final h is h0 * prod(x); d/dh0 = prod(x), d/dx_t = h0 * prod(x) /
    // x_t.
    GraphBuilder body = new GraphBuilder();
    Value h = body.input(TensorType.of(DType.FLOAT64));
    Value xt = body.input(TensorType.of(DType.FLOAT64));
    Value next = body.mul(h, xt);
    List<Value> r =
        b.scan(
            body.output(next).build(),
            List.of(b.input(TensorType.of(DType.FLOAT64))),
            List.of(b.input(TensorType.of(DType.FLOAT64, 3))),
            List.of(),
            false);
    Value h0 = b.build().inputs().get(0);
    Value xs = b.build().inputs().get(1);
    List<Value> g = Autodiff.gradients(b, r.get(0), List.of(h0, xs));
    assertTrue(
        b.nodes().stream().anyMatch(n -> n.op() instanceof ControlFlowOp.Scan s && s.reverse()),
        "a reverse scan was emitted");
    List<HostTensor> out =
        ref.run(
            b.output(g.get(0), g.get(1)).build(),
            List.of(
                HostTensor.of(Shape.scalar(), new double[] {2}),
                HostTensor.of(Shape.of(3), new double[] {3, 5, 7})));
    assertArrayEquals(new double[] {105}, out.get(0).toDoubleArray(), 1e-12);
    assertArrayEquals(new double[] {70, 42, 30}, out.get(1).toDoubleArray(), 1e-12);
  }
}
