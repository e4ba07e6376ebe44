package dev.kiln.api.models;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static dev.kiln.api.models.ModelTest.randomX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.callbacks.LambdaCallback;
import dev.kiln.api.data.Dataset;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.optimizers.Adam;
import dev.kiln.api.optimizers.SGD;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Subclassed models and layers: field tracking, training with fit, overridden steps. */
class SubclassedModelTest {
  /** The acceptance model of the issue: two Dense layers held in fields. */
  static final class TwoDense extends Model {
    final Dense a = new Dense(8, "relu");
    final Dense b = new Dense(3);

    @Override
    protected Value call(Ops ops, Value x) {
      return b.trace(ops, a.trace(ops, x));
    }
  }

  private static double[] flat(List<Tensor> ts) {
    List<Double> all = new ArrayList<>();
    for (Tensor t : ts) {
      for (double d : t.toDoubleArray()) {
        all.add(d);
      }
    }
    return all.stream().mapToDouble(Double::doubleValue).toArray();
  }

  @Test
  void subclassedModelMatchesTheFunctionalOneStepByStep() {
    Kiln.setRandomSeed(5);
    KerasTensor in = Input.of(5);
    Model functional = Model.of(in, new Dense(3).apply(new Dense(8, "relu").apply(in)));
    TwoDense sub = new TwoDense();
    Tensor x = randomX(40, 5, 1);
    Tensor y = randomX(40, 3, 2);
    // A subclassed model builds on its first data, as Keras; then it takes the same weights.
    sub.predict(x);
    assertEquals(4, sub.weights().size());
    assertEquals(
        List.of(
            sub.a.name() + "/kernel",
            sub.a.name() + "/bias",
            sub.b.name() + "/kernel",
            sub.b.name() + "/bias"),
        sub.weights().stream().map(Weight::path).toList(),
        "weights in field order");
    sub.setWeights(functional.getWeights());
    assertClose(
        "same forward", flat(List.of(functional.predict(x))), flat(List.of(sub.predict(x))), 0);

    List<List<Double>> batchLosses = new ArrayList<>();
    for (Model m : List.of(functional, sub)) {
      List<Double> losses = new ArrayList<>();
      m.compile(new Adam(0.01), Losses.get("mse"));
      History h =
          m.fit(
              x,
              y,
              new FitOptions()
                  .epochs(3)
                  .batchSize(16)
                  .shuffle(false)
                  .verbose(0)
                  .callbacks(
                      new LambdaCallback().onBatchEnd((i, logs) -> losses.add(logs.get("loss")))));
      assertEquals(3, h.get("loss").size());
      batchLosses.add(losses);
    }
    assertEquals(9, batchLosses.get(0).size(), "3 epochs of 3 batches (16, 16, 8)");
    double[] f = batchLosses.get(0).stream().mapToDouble(Double::doubleValue).toArray();
    double[] s = batchLosses.get(1).stream().mapToDouble(Double::doubleValue).toArray();
    assertClose("per-batch losses", f, s, 1e-6);
    assertTrue(f[8] < f[0], "the loss falls: " + batchLosses.get(0));
    assertClose("trained weights", flat(functional.getWeights()), flat(sub.getWeights()), 1e-6);
    assertClose(
        "evaluate", functional.evaluate(x, y).get("loss"), sub.evaluate(x, y).get("loss"), 1e-6);
    assertEquals("TwoDense", sub.className());
    assertTrue(sub.name().startsWith("two_dense"), sub.name());
    assertEquals(List.of(sub.a, sub.b), sub.layers());
    java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
    sub.summary(new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8));
    String summary = buf.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(summary.contains(sub.b.name() + " (Dense)"), summary);
    assertTrue(summary.contains("Total params: " + (5 * 8 + 8 + 8 * 3 + 3)), summary);
  }

  /** A layer holding sub-layers in a field, a list and an array, without any override. */
  static final class Block extends Layer {
    final Dense first = new Dense(4);
    final List<Dense> middle = List.of(new Dense(3), new Dense(2));
    final Layer[] last = {new Dense(1)};
    static final Dense IGNORED = new Dense(7);

    @Override
    protected Value call(Ops ops, Value x) {
      List<Value> h = first.trace(ops, List.of(x));
      for (Dense d : middle) {
        h = d.trace(ops, h);
      }
      return last[0].trace(ops, h).get(0);
    }
  }

  @Test
  void fieldsListsAndArraysOfLayersAreTrackedInDeclarationOrder() {
    Block block = new Block();
    Sequential m = new Sequential(Input.of(5), block);
    // 5*4+4, 4*3+3, 3*2+2, 2*1+1
    assertEquals(24 + 15 + 8 + 3, m.countParams());
    List<Shape> shapes = block.weights().stream().map(w -> w.type().shape()).toList();
    assertEquals(
        List.of(
            Shape.of(5, 4),
            Shape.of(4),
            Shape.of(4, 3),
            Shape.of(3),
            Shape.of(3, 2),
            Shape.of(2),
            Shape.of(2, 1),
            Shape.of(1)),
        shapes);
    assertEquals(8, m.trainableWeights().size());
    block.setTrainable(false);
    assertEquals(0, m.trainableWeights().size(), "setTrainable reaches the layers in fields");
    assertEquals(false, block.middle.get(1).trainable());
    block.setTrainable(true);
    assertEquals(8, m.trainableWeights().size());
  }

  /** Fields of a superclass come before those of its subclass. */
  static class Base extends Layer {
    final Dense p = new Dense(2);
  }

  static final class Derived extends Base {
    final Dense q = new Dense(3);
    final Dense r = new Dense(4);
  }

  @Test
  void superclassFieldsComeFirst() {
    Derived d = new Derived();
    for (Dense l : List.of(d.r, d.q, d.p)) {
      l.apply(Input.of(5));
    }
    assertEquals(
        List.of(
            Shape.of(5, 2), Shape.of(2), Shape.of(5, 3), Shape.of(3), Shape.of(5, 4), Shape.of(4)),
        d.weights().stream().map(w -> w.type().shape()).toList());
  }

  /** Two inputs through {@code call(Ops, List)}, trained from a dataset. */
  static final class Pair extends Model {
    final Dense left = new Dense(2);
    final Dense right = new Dense(2);

    Pair() {
      super("pair");
    }

    @Override
    protected List<Value> call(Ops ops, List<Value> in) {
      Value l = left.trace(ops, List.of(in.get(0))).get(0);
      Value r = right.trace(ops, List.of(in.get(1))).get(0);
      return List.of(ops.add(l, r));
    }
  }

  @Test
  void aSubclassedModelTakesItsInputsFromTheData() {
    Pair m = new Pair();
    m.compile(new SGD(0.05), Losses.get("mse"));
    Tensor a = randomX(24, 3, 1);
    Tensor b = randomX(24, 4, 2);
    Tensor y = randomX(24, 2, 3);
    History h = m.fit(Dataset.fromTensors(a, b, y).batch(8), new FitOptions().epochs(4).verbose(0));
    assertTrue(h.last("loss") < h.get("loss").get(0), h.toString());
    assertEquals(Shape.of(24, 2), m.predict(List.of(a, b), new FitOptions()).get(0).shape());
    assertEquals(2, m.inputCount(), "fixed by the first data");
    KilnException e =
        assertThrows(KilnException.class, () -> m.predict(List.of(a), new FitOptions()));
    assertTrue(e.getMessage().contains("expects 2 input(s), but it received 1"), e.getMessage());
    // Once the input count is known, a dataset element may carry sample weights.
    Tensor zeros = Tensor.of(new float[24]);
    Map<String, Double> r =
        m.evaluate(Dataset.fromTensors(a, b, y, zeros).batch(8), new FitOptions().verbose(0));
    assertEquals(0.0, r.get("loss"), "every sample weighted 0");
  }

  /** Adds half the squared norm of one kernel to the loss. */
  private static Model penalized(KerasTensor in, KerasTensor out, Weight kernel) {
    return new Model(List.of(in), List.of(out), null) {
      @Override
      protected Value computeLoss(
          Ops ops, List<Value> x, List<Value> y, List<Value> yPred, Value sampleWeight) {
        Value loss = super.computeLoss(ops, x, y, yPred, sampleWeight);
        return ops.add(loss, ops.mul(ops.sumAll(ops.square(ops.read(kernel))), 0.5));
      }
    };
  }

  @Test
  void anOverriddenComputeLossIsWhatFitMinimizes() {
    Tensor x = Tensor.of(new float[] {1, 2, -1, 0.5f, 0, 3}, 3, 2);
    Tensor y = Tensor.of(new float[] {1, 0, 2}, 3, 1);
    List<Double> losses = new ArrayList<>();
    List<double[]> kernels = new ArrayList<>();
    for (boolean penalty : new boolean[] {false, true}) {
      KerasTensor in = Input.of(2);
      Dense d =
          new Dense(1)
              .useBias(false)
              .kernelInitializer((s, t) -> dev.kiln.spi.HostTensor.of(s, new float[] {1, 2}));
      KerasTensor out = d.apply(in);
      Weight kernel = d.weights().get(0);
      Model m = penalty ? penalized(in, out, kernel) : Model.of(in, out);
      m.compile(new SGD(0.1), Losses.get("mse"));
      losses.add(m.fit(x, y, new FitOptions().batchSize(3).shuffle(false).verbose(0)).last("loss"));
      kernels.add(kernel.read().toDoubleArray());
    }
    // The penalty 0.5 * (1^2 + 2^2) at the starting kernel.
    assertClose("loss with the penalty", losses.get(0) + 2.5, losses.get(1), 1e-5);
    // Its gradient is the kernel itself: SGD moves the penalized kernel 0.1 * (1, 2) further.
    assertClose(
        "kernel after one step",
        new double[] {kernels.get(0)[0] - 0.1, kernels.get(0)[1] - 0.2},
        kernels.get(1),
        1e-6);
  }

  /** Trains only the first layer: a custom train step built from the model's helpers. */
  static final class FirstOnly extends Model {
    final Dense a = new Dense(4, "tanh");
    final Dense b = new Dense(1);

    @Override
    protected Value call(Ops ops, Value x) {
      return b.trace(ops, a.trace(ops, List.of(x))).get(0);
    }

    @Override
    protected Value trainStep(Ops ops, List<Value> x, List<Value> y, Value sampleWeight) {
      List<Value> yPred = trace(ops, x);
      Value loss = computeLoss(ops, x, y, yPred, sampleWeight);
      minimize(ops, loss, a.trainableWeights());
      computeMetrics(ops, x, y, yPred, sampleWeight);
      return loss;
    }
  }

  @Test
  void anOverriddenTrainStepIsWhatFitRuns() {
    FirstOnly m = new FirstOnly();
    m.compile(new SGD(0.1), Losses.get("mse"), "mae");
    Tensor x = randomX(16, 3, 4);
    m.predict(x);
    List<Tensor> a0 = m.a.getWeights();
    List<Tensor> b0 = m.b.getWeights();
    History h = m.fit(x, randomX(16, 1, 5), new FitOptions().epochs(2).verbose(0));
    assertEquals(b0, m.b.getWeights(), "the second layer is left alone");
    assertNotEquals(a0, m.a.getWeights(), "the first layer trains");
    assertTrue(h.history().containsKey("mae"), h.toString());
  }

  @Test
  void dictCompileNeedsNamedOutputs() {
    TwoDense m = new TwoDense();
    KilnException e =
        assertThrows(
            KilnException.class, () -> m.compile(new SGD(0.1), Map.of("x", "mse"), null, null));
    assertTrue(e.getMessage().contains("subclassed"), e.getMessage());
    m.compile(new SGD(0.1), Losses.get("mse"));
    Tensor x = randomX(4, 2, 1);
    assertThrows(
        KilnException.class,
        () -> m.fit(List.of(x), List.of(randomX(4, 3, 1), randomX(4, 3, 2))),
        "two targets for one loss");
  }
}
