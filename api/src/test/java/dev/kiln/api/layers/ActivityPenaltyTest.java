package dev.kiln.api.layers;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.LayerTestSupport.LayerCase;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Embedding;
import dev.kiln.api.layers.regularization.ActivityRegularization;
import dev.kiln.api.layers.rnn.SimpleRNN;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.regularizers.Regularizers;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Activity penalties as Keras 3's {@code Layer.__call__} adds them: {@code regularizer(y) /
 * batch_size} for every output of the call (a recurrent layer's returned states included). Batches
 * of 3 make the undivided penalty three times the expected one.
 */
class ActivityPenaltyTest {
  private static final Tensor X =
      Tensor.of(new float[][] {{1, 2, -1}, {3, -1, 0.5f}, {0.5f, 0, 2}}); // batch 3

  @TestFactory
  Stream<DynamicTest> penalties() {
    return LayerTestSupport.onEveryBackend(
        List.of(
            new LayerCase("ActivityRegularization [batch 3]", ActivityPenaltyTest::layer),
            new LayerCase("Dense [activity_regularizer, batch 3]", ActivityPenaltyTest::dense),
            new LayerCase("Embedding [activity_regularizer, batch 3]", ActivityPenaltyTest::embed),
            new LayerCase(
                "SimpleRNN [activity_regularizer on the output and the state]",
                ActivityPenaltyTest::rnnStates)));
  }

  /** The layer's outputs then the sum of the losses it added, traced in training mode. */
  private static List<Tensor> trace(Layer layer, Tensor x) {
    GraphBuilder b = new GraphBuilder();
    Value in = b.input(x.host().type());
    Ops ops = new Ops(b, true, b.constant(HostTensor.of(Shape.of(2), new long[] {1, 0})));
    List<Value> out = new java.util.ArrayList<>(layer.trace(ops, List.of(in)));
    Value total = ops.scalar(0.0, DType.FLOAT32);
    for (Value l : ops.addedLosses()) {
      total = ops.add(total, l);
    }
    out.add(total);
    try (var ex =
        Kiln.backend()
            .compile(b.output(out.toArray(Value[]::new)).build(), CompileOptions.defaults())) {
      return ex.runHost(List.of(x.host())).stream().map(Tensor::wrap).toList();
    }
  }

  private static double sum(double[] v, boolean squares) {
    double s = 0;
    for (double d : v) {
      s += squares ? d * d : Math.abs(d);
    }
    return s;
  }

  private static double lastScalar(List<Tensor> t) {
    return t.getLast().toDoubleArray()[0];
  }

  private static void layer() {
    // 0.1 sum|x| + 0.5 sum x^2 = 0.1 * 11 + 0.5 * 20.5, over the batch of 3
    List<Tensor> r = trace(new ActivityRegularization(0.1, 0.5), X);
    assertClose("penalty", (1.1 + 10.25) / 3, lastScalar(r), 1e-5);
  }

  private static void dense() {
    Dense d = new Dense(2).useBias(false).activityRegularizer(Regularizers.l1(0.2));
    List<Tensor> r = trace(d, X);
    assertClose("penalty", 0.2 * sum(r.get(0).toDoubleArray(), false) / 3, lastScalar(r), 1e-5);
  }

  private static void embed() {
    Embedding e = new Embedding(5, 2);
    e.args().set(Embedding.ACTIVITY_REGULARIZER, Regularizers.l2(0.3));
    Tensor ids = Tensor.of(new float[][] {{1, 2}, {3, 4}, {0, 1}}).cast(DType.INT32);
    List<Tensor> r = trace(e, ids);
    assertClose("penalty", 0.3 * sum(r.get(0).toDoubleArray(), true) / 3, lastScalar(r), 1e-5);
  }

  private static void rnnStates() {
    Tensor seq = LayerTestSupport.random(DType.FLOAT32, new int[] {3, 4, 2}, 9);
    SimpleRNN rnn = new SimpleRNN(3).returnState(true).activityRegularizer(Regularizers.l2(0.5));
    List<Tensor> r = trace(rnn, seq);
    assertEquals(3, r.size(), "output, state, penalty");
    double expected =
        0.5 * (sum(r.get(0).toDoubleArray(), true) + sum(r.get(1).toDoubleArray(), true)) / 3;
    assertClose("penalty on the output and the returned state", expected, lastScalar(r), 1e-5);
  }
}
