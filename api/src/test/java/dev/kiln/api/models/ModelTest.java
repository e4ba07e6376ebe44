package dev.kiln.api.models;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.initializers.Initializers;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Dropout;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.merging.Concatenate;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.optimizers.Adam;
import dev.kiln.api.optimizers.SGD;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sequential and Functional models: wiring, naming, summary, weights, training, errors. */
class ModelTest {
  static Tensor randomX(int n, int d, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[n * d];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return Tensor.of(v, n, d);
  }

  /** Labels: class 1 where the first two features sum above 0 (learnable). */
  static Tensor labels(Tensor x) {
    int n = x.length();
    int d = x.shape().dim(1);
    int[] y = new int[n];
    float[] v = x.toFloatArray();
    for (int i = 0; i < n; i++) {
      y[i] = v[i * d] + v[i * d + 1] > 0 ? 1 : 0;
    }
    return Tensor.of(y);
  }

  static Sequential smallModel() {
    return new Sequential(Input.of(4), new Dense(16, "relu"), new Dense(2, "softmax"));
  }

  @Test
  void sequentialLearnsAndIsDeterministic() {
    Tensor x = randomX(200, 4, 1);
    Tensor y = labels(x);
    double[] losses = new double[2];
    List<Tensor> firstWeights = null;
    for (int run = 0; run < 2; run++) {
      Kiln.setRandomSeed(7);
      Sequential m = smallModel();
      if (run == 0) {
        firstWeights = m.getWeights();
      } else {
        assertEquals(firstWeights, m.getWeights(), "same seed, same initial weights");
      }
      m.compile(new Adam(0.05), Losses.get("sparse_categorical_crossentropy"), "accuracy");
      History h = m.fit(x, y, new FitOptions().epochs(15).batchSize(32).verbose(0));
      losses[run] = h.last("loss");
      assertTrue(h.last("accuracy") > 0.9, "accuracy " + h.get("accuracy"));
      assertTrue(h.get("loss").get(0) > h.last("loss"), "loss falls: " + h.get("loss"));
    }
    assertEquals(losses[0], losses[1], "same seed, same losses");
  }

  @Test
  void functionalMultiInputMultiOutputWithSharedLayer() {
    KerasTensor a = Input.of(3);
    KerasTensor b = Input.of(3);
    Dense shared = new Dense(4, "relu");
    KerasTensor ha = shared.apply(a);
    KerasTensor hb = shared.apply(b);
    KerasTensor merged = new Concatenate().applyAll(List.of(ha, hb)).get(0);
    KerasTensor out1 = new Dense(1).name("reg").apply(merged);
    KerasTensor out2 = new Dense(2, "softmax").name("cls").apply(merged);
    Model m = Model.of(List.of(a, b), List.of(out1, out2));
    assertEquals(2, shared.calls().size());
    // shared 3*4 + 4, reg 8 + 1, cls 8*2 + 2: the shared layer counts once
    assertEquals(16 + 9 + 18, m.countParams());
    m.compile(
        new Adam(0.01),
        List.of(Losses.get("mse"), Losses.get("sparse_categorical_crossentropy")),
        List.of(1.0, 0.5),
        Map.of("reg", List.<Object>of("mae"), "cls", List.<Object>of("accuracy")));
    Tensor xa = randomX(64, 3, 2);
    Tensor xb = randomX(64, 3, 3);
    Tensor y1 = randomX(64, 1, 4);
    Tensor y2 = labels(randomX(64, 2, 5));
    History h = m.fit(List.of(xa, xb), List.of(y1, y2), new FitOptions().epochs(2).verbose(0));
    assertTrue(
        h.history().containsKey("reg_mae") && h.history().containsKey("cls_accuracy"),
        h.history().keySet().toString());
    List<Tensor> p = m.predict(List.of(xa, xb), new FitOptions().verbose(0));
    assertEquals(Shape.of(64, 1), p.get(0).shape());
    assertEquals(Shape.of(64, 2), p.get(1).shape());
  }

  @Test
  void modelAsALayerAndFreezing() {
    KerasTensor in = Input.of(3);
    Model inner = Model.of(in, new Dense(2).apply(in));
    KerasTensor outer = Input.of(3);
    Dense head = new Dense(1);
    Model m = Model.of(outer, head.apply(inner.apply(outer)));
    assertEquals(inner.countParams() + 3, m.countParams());
    inner.setTrainable(false);
    assertEquals(2, m.trainableWeights().size());
    List<Tensor> before = inner.getWeights();
    m.compile(new SGD(0.1), Losses.get("mse"));
    m.fit(randomX(16, 3, 1), randomX(16, 1, 2), new FitOptions().epochs(1).verbose(0));
    assertEquals(before, inner.getWeights(), "a frozen inner model keeps its weights");
  }

  /**
   * Keras 3 names layers and models by one counter per class that only automatically named ones
   * advance: {@code Dense(4, name="head")} then {@code Dense(2)} is {@code dense}.
   */
  @Test
  void layersAndModelsNamedByTheCallerDoNotCountAmongAutomaticNames() {
    Kiln.clearSession();
    new Dense(4).name("head");
    Dense a = new Dense(2);
    new Dense(3).name("dense_7");
    Dense b = new Dense(5);
    assertEquals("dense", a.name());
    assertEquals("dense_1", b.name());
    assertEquals("sequential", new Sequential().name());
    assertEquals("sequential_1", new Sequential().name());
    KerasTensor in = Input.of(3);
    assertEquals("mine", Model.of(List.of(in), List.of(a.apply(in)), "mine").name());
    assertEquals("functional", Model.of(List.of(in), List.of(b.apply(in)), null).name());
    Dense c = new Dense(1);
    assertEquals("dense_2", c.name());
    // Renamed after another Dense took a name, c's cannot be given back: the next is dense_4.
    Dense d = new Dense(1);
    c.name("late");
    assertEquals("dense_3", d.name());
    assertEquals("dense_4", new Dense(1).name());
  }

  @Test
  void namingSummaryAndGetLayer() {
    Kiln.clearSession();
    Sequential m = smallModel();
    assertEquals("dense", m.layers().get(0).name());
    assertEquals("dense_1", m.layers().get(1).name());
    assertSame(m.layers().get(1), m.getLayer("dense_1"));
    KilnException e = assertThrows(KilnException.class, () -> m.getLayer("nope"));
    assertTrue(e.getMessage().contains("[dense, dense_1]"), e.getMessage());
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    m.summary(new PrintStream(buf, true, StandardCharsets.UTF_8));
    String s = buf.toString(StandardCharsets.UTF_8);
    assertTrue(s.startsWith("Model: \"sequential\""), s);
    assertTrue(s.contains("dense (Dense)") && s.contains("(None, 16)") && s.contains("80"), s);
    assertTrue(s.contains(" Total params: 114 (456.00 B)"), s);
    assertTrue(s.contains(" Trainable params: 114 (456.00 B)"), s);
    assertTrue(s.contains(" Non-trainable params: 0 (0.00 B)"), s);

    KerasTensor in = Input.of(4);
    Model f = Model.of(in, new Dense(2).apply(in));
    buf.reset();
    f.summary(new PrintStream(buf, true, StandardCharsets.UTF_8));
    String fs = buf.toString(StandardCharsets.UTF_8);
    assertTrue(fs.contains("Connected to") && fs.contains("(InputLayer)"), fs);
    assertTrue(fs.contains(f.layers().get(0).name() + "[0][0]"), fs);
  }

  @Test
  void weightsRoundTripThroughAFile(@TempDir Path dir) throws Exception {
    Sequential m = smallModel();
    Path file = dir.resolve("w.weights.npz");
    m.saveWeights(file);
    List<Tensor> saved = m.getWeights();
    m.setWeights(
        List.of(
            Tensor.zeros(dev.kiln.spi.DType.FLOAT32, 4, 16),
            Tensor.zeros(dev.kiln.spi.DType.FLOAT32, 16),
            Tensor.zeros(dev.kiln.spi.DType.FLOAT32, 16, 2),
            Tensor.zeros(dev.kiln.spi.DType.FLOAT32, 2)));
    assertNotEquals(saved, m.getWeights());
    m.loadWeights(file);
    assertEquals(saved, m.getWeights());
    assertEquals(
        List.of("w.weights.npz"), Files.list(dir).map(p -> p.getFileName().toString()).toList());
    IllegalArgumentException bad =
        assertThrows(IllegalArgumentException.class, () -> m.setWeights(List.of(saved.get(0))));
    assertTrue(bad.getMessage().contains("4 weights but 1"), bad.getMessage());
  }

  @Test
  void errorsNameWhatIsWrong() {
    Sequential m = smallModel();
    m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
    KilnException shape =
        assertThrows(
            KilnException.class, () -> m.fit(randomX(8, 5, 1), Tensor.of(new int[8]), 1, 4));
    assertEquals(
        "Input 0 of layer \""
            + m.name()
            + "\" is incompatible with the layer: expected"
            + " shape=(None, 4), found shape=(4, 5)",
        shape.getMessage());
    KilnException pred = assertThrows(KilnException.class, () -> m.predict(randomX(2, 3, 1)));
    assertTrue(pred.getMessage().contains("expected shape=(None, 4)"), pred.getMessage());
    KilnException label =
        assertThrows(
            KilnException.class,
            () -> m.fit(randomX(4, 4, 1), Tensor.of(new int[] {0, 1, 2, 1}), 1, 4));
    assertTrue(
        label
            .getMessage()
            .contains(
                "Received a label value of 2 which is outside the valid range" + " of [0, 2)"),
        label.getMessage());
    KilnException oneHot =
        assertThrows(KilnException.class, () -> m.fit(randomX(4, 4, 1), randomX(4, 2, 1), 1, 4));
    assertTrue(oneHot.getMessage().contains("categorical_crossentropy"), oneHot.getMessage());
    assertThrows(KilnException.class, () -> m.compile("adamm", "mse"));
    Sequential fresh = smallModel();
    KilnException notCompiled =
        assertThrows(
            KilnException.class, () -> fresh.fit(randomX(4, 4, 1), randomX(4, 2, 1), 1, 4));
    assertTrue(notCompiled.getMessage().contains("compile()"));
    KerasTensor orphan = Input.of(3);
    KerasTensor in = Input.of(3);
    KerasTensor both = new Concatenate().applyAll(List.of(in, orphan)).get(0);
    KilnException disconnected = assertThrows(KilnException.class, () -> Model.of(in, both));
    assertTrue(
        disconnected.getMessage().startsWith("Graph disconnected"), disconnected.getMessage());
  }

  @Test
  void lastSmallerBatchAndEagerModeAgree() {
    Tensor x = randomX(50, 4, 3);
    Tensor y = labels(x);
    double[] loss = new double[2];
    for (int eager = 0; eager < 2; eager++) {
      Kiln.setRandomSeed(11);
      Sequential m = smallModel();
      m.compile(new SGD(0.1), Losses.get("sparse_categorical_crossentropy"));
      m.setRunEagerly(eager == 1);
      History h = m.fit(x, y, new FitOptions().epochs(2).batchSize(16).shuffle(false).verbose(0));
      loss[eager] = h.last("loss");
      assertEquals(2, m.trainer().cacheSize(), "train steps for 16 and 2 rows, and nothing more");
    }
    assertClose("eager vs compiled", loss[0], loss[1], 1e-5);
  }

  /** A custom layer through the same Ops the built-in layers use. */
  static final class Scale extends Layer {
    Weight alpha;

    @Override
    protected void build(List<Shape> shapes) {
      alpha = addWeight("alpha", new int[] {shapes.get(0).dim(-1)}, Initializers.constant(2), true);
    }

    @Override
    protected Value call(Ops ops, Value x) {
      return ops.mul(x, ops.read(alpha));
    }
  }

  @Test
  void customLayerTrains() {
    Scale s = new Scale();
    assertEquals("scale", s.name());
    Sequential m = new Sequential(Input.of(2), s);
    assertClose(
        "custom forward",
        new double[] {2, 4},
        m.predict(Tensor.of(new float[][] {{1, 2}})).toDoubleArray(),
        0);
    m.compile(new SGD(0.1), Losses.get("mse"));
    m.fit(randomX(32, 2, 1), randomX(32, 2, 2), new FitOptions().epochs(1).verbose(0));
    assertFalse(s.getWeights().get(0).equals(Tensor.of(new float[] {2, 2})));
  }

  @Test
  void dropoutIsActiveOnlyInTraining() {
    Kiln.setRandomSeed(3);
    Dense sum = new Dense(1).useBias(false).kernelInitializer(Initializers.ones());
    Sequential m = new Sequential(Input.of(1000), new Dropout(0.5), sum);
    float[] v = new float[1000];
    java.util.Arrays.fill(v, 1);
    Tensor x = Tensor.of(v, 1, 1000);
    Tensor zero = Tensor.of(new float[1], 1, 1);
    assertClose("predict is the identity", 1000, m.predict(x).getDouble(0), 0);
    m.compile(new SGD(0.0), Losses.get("mse"));
    assertClose("evaluation too", 1e6, m.testOnBatch(x, zero).get("loss"), 1e-6);
    // Training keeps about half the units and doubles them: the output is 2 * kept, not 1000.
    double out = Math.sqrt(m.trainOnBatch(x, zero).get("loss"));
    assertTrue(out > 800 && out < 1200 && out != 1000 && out % 2 == 0, "dropout output " + out);
  }

  private static double sum(Tensor t) {
    double s = 0;
    for (double d : t.toDoubleArray()) {
      s += d;
    }
    return s;
  }
}
