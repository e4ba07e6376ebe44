package dev.kiln.api.optimizers;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.api.ApiTestSupport;
import dev.kiln.api.ApiTestSupport.Golden;
import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.autodiff.Autodiff;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Optimizers minimize {@code sum(a w^2 / 2 + b w)}: trajectories against TensorFlow.js, and
 * hand-computed first steps for those TF.js lacks (Nadam, Lion, AdamW, AMSGrad) and for clipping.
 */
class OptimizersTest {
  private static final Map<String, Golden> GOLDEN = ApiTestSupport.golden("/golden/tfjs-api.txt");

  /** Runs {@code steps} updates from w0; returns w after each. */
  static double[][] trajectory(Optimizer opt, float[] a, float[] b, float[] w0, int steps) {
    Weight w = new Weight("w", "w", HostTensor.of(Shape.of(w0.length), w0), true, null, null);
    GraphBuilder g = new GraphBuilder();
    Ops o = new Ops(g, true, g.constant(HostTensor.of(Shape.of(2), new long[] {1, 0})));
    Value wv = o.read(w);
    Value av = o.constant(Tensor.of(a));
    Value bv = o.constant(Tensor.of(b));
    Value loss = o.sumAll(o.add(o.mul(o.mul(av, o.square(wv)), 0.5), o.mul(bv, wv)));
    List<Value> grads = Autodiff.gradients(g, loss, List.of(wv));
    Map<Weight, Value> next = opt.applyGradients(o, List.of(w), grads);
    o.assign(w, next.get(w));
    o.assignments().forEach((k, v) -> g.update(k.id(), v));
    double[][] out = new double[steps][];
    try (Executable ex =
        Kiln.backend().compile(g.output(loss).build(), CompileOptions.defaults())) {
      for (int i = 0; i < steps; i++) {
        opt.beforeStep();
        ex.runHost(List.of());
        opt.afterStep();
        out[i] = w.read().toDoubleArray();
      }
    }
    return out;
  }

  private static final Map<String, Supplier<Optimizer>> PEERS =
      Map.of(
          "sgd", () -> new SGD(0.1),
          "sgd_momentum", () -> new SGD(0.1, 0.9, false),
          "sgd_nesterov", () -> new SGD(0.1, 0.9, true),
          "adam", () -> new Adam(0.1).epsilon(1e-12),
          "adamax", () -> new Adamax(0.1),
          "adagrad", () -> new Adagrad(0.1),
          "rmsprop", () -> new RMSprop(0.01),
          "rmsprop_momentum_centered", () -> new RMSprop(0.01).options(0.9, 0.5, true));

  @TestFactory
  Stream<DynamicTest> trajectoriesMatchTfjs() {
    return GOLDEN.values().stream()
        .filter(g -> g.name().startsWith("optimizer "))
        .map(
            g ->
                DynamicTest.dynamicTest(
                    g.name(),
                    () -> {
                      String name = g.name().substring(10);
                      double[][] got =
                          trajectory(
                              PEERS.get(name).get(),
                              g.inputs().get(0).toFloatArray(),
                              g.inputs().get(1).toFloatArray(),
                              g.inputs().get(2).toFloatArray(),
                              5);
                      for (int i = 0; i < 5; i++) {
                        assertClose(
                            name + " step " + (i + 1),
                            g.outputs().get(i).toDoubleArray(),
                            got[i],
                            1e-4);
                      }
                    }));
  }

  private static final float[] A = {1};
  private static final float[] B = {0};
  private static final float[] W0 = {2}; // gradient a*w + b = 2 at the start

  @Test
  void lionFirstStepsByHand() {
    // step 1: m = 0 -> sign(0.1 * 2) = 1; w = 2 - 0.1 = 1.9; m = 0.01 * 2 = 0.02
    // step 2: g = 1.9; sign(0.9 * 0.02 + 0.1 * 1.9) = 1; w = 1.8
    double[][] w = trajectory(new Lion(0.1), A, B, W0, 2);
    assertClose("lion 1", 1.9, w[0][0], 1e-6);
    assertClose("lion 2", 1.8, w[1][0], 1e-6);
  }

  @Test
  void adamWDecaysThenUpdates() {
    // decay: w = 2 - 2 * 0.1 * 0.5 = 1.9; Adam's first step moves by lr * g / (|g| + eps) = 0.1
    double[][] w = trajectory(new AdamW(0.1, 0.5), A, B, W0, 1);
    assertClose("adamw", 1.8, w[0][0], 1e-5);
  }

  @Test
  void nadamFirstStepByHand() {
    // u1 = 0.9 (1 - 0.5 * 0.96) = 0.468, u2 = 0.9 (1 - 0.5 * 0.9216) = 0.48528
    // m = 0.2, v = 0.004; m_hat = u2 * m / (1 - u1 u2) + (1 - u1) g / (1 - u1)
    //   = 0.097056 / 0.77288896 + 2 = 2.12557...; v_hat = 0.004 / 0.001 = 4
    // w = 2 - 0.1 * 2.1255760 / (2 + 1e-7) = 1.8937212
    double u1 = 0.9 * (1 - 0.5 * 0.96);
    double u2 = 0.9 * (1 - 0.5 * 0.96 * 0.96);
    double mHat = u2 * 0.2 / (1 - u1 * u2) + (1 - u1) * 2 / (1 - u1);
    double expected = 2 - 0.1 * mHat / (Math.sqrt(0.004 / 0.001) + 1e-7);
    double[][] w = trajectory(new Nadam(0.1), A, B, W0, 1);
    assertClose("nadam", expected, w[0][0], 1e-5);
  }

  @Test
  void adadeltaFirstStepByHand() {
    // g = 2: accumulated grad = 0.05 * 4 = 0.2; delta = -sqrt(1e-7) / sqrt(0.2 + 1e-7) * 2
    double delta = -Math.sqrt(1e-7) / Math.sqrt(0.2 + 1e-7) * 2;
    double[][] w = trajectory(new Adadelta(0.5), A, B, W0, 1);
    assertClose("adadelta", 2 + 0.5 * delta, w[0][0], 1e-6);
  }

  @Test
  void amsgradKeepsTheLargestVelocity() {
    // lr 1 drives the gradient towards 0 within a few dozen steps; then Adam's velocity decays
    // while
    // AMSGrad's stays at its maximum, so the trajectories part.
    double[][] ams = trajectory(new Adam(1).amsgrad(true), A, B, W0, 40);
    double[][] adam = trajectory(new Adam(1), A, B, W0, 40);
    assertClose("same first step", adam[0][0], ams[0][0], 1e-6);
    double diff = 0;
    for (int i = 0; i < 40; i++) {
      diff = Math.max(diff, Math.abs(ams[i][0] - adam[i][0]));
    }
    if (!(diff > 1e-4)) {
      throw new AssertionError("amsgrad and adam agree within " + diff + " over 40 steps");
    }
  }

  @Test
  void clippingByHand() {
    float[] a = {1, 1};
    float[] b = {0, 0};
    float[] w0 = {3, 4}; // gradient (3, 4), norm 5
    double[][] byNorm = trajectory(new SGD(1).clipnorm(1), a, b, w0, 1);
    assertClose("clipnorm", new double[] {3 - 0.6, 4 - 0.8}, byNorm[0], 1e-6);
    double[][] byValue = trajectory(new SGD(1).clipvalue(3.5), a, b, w0, 1);
    assertClose("clipvalue", new double[] {0, 0.5}, byValue[0], 1e-6);
    double[][] global = trajectory(new SGD(1).globalClipnorm(2.5), a, b, w0, 1);
    assertClose("global_clipnorm", new double[] {1.5, 2}, global[0], 1e-6);
  }

  @Test
  void badArgumentsAndNames() {
    assertThrows(IllegalArgumentException.class, () -> new SGD(-1));
    assertThrows(IllegalArgumentException.class, () -> new SGD(1).clipnorm(1).globalClipnorm(1));
    assertThrows(KilnException.class, () -> Optimizers.get("adamm"));
  }
}
