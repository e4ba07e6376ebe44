package dev.kiln.api.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.data.Dataset;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.History;
import dev.kiln.api.models.Sequential;
import dev.kiln.api.optimizers.SGD;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each callback changes training the way Keras's does. */
class CallbacksTest {
  private static Tensor x;
  private static Tensor y;

  static {
    SplittableRandom r = new SplittableRandom(1);
    float[] xv = new float[64 * 3];
    float[] yv = new float[64];
    for (int i = 0; i < 64; i++) {
      for (int j = 0; j < 3; j++) {
        xv[i * 3 + j] = (float) r.nextDouble();
      }
      yv[i] = xv[i * 3] - 2 * xv[i * 3 + 1];
    }
    x = Tensor.of(xv, 64, 3);
    y = Tensor.of(yv, 64, 1);
  }

  private static Sequential model(double lr) {
    Kiln.setRandomSeed(5);
    Sequential m = new Sequential(Input.of(3), new Dense(1));
    m.compile(new SGD(lr), Losses.get("mse"));
    return m;
  }

  private static FitOptions opts(int epochs) {
    return new FitOptions().epochs(epochs).batchSize(16).verbose(0).validationData(x, y);
  }

  @Test
  void earlyStoppingStopsAndRestoresTheBestWeights() {
    // A learning rate this high diverges, so val_loss worsens from the second epoch on.
    Sequential m = model(1.5);
    List<List<Tensor>> seen = new ArrayList<>();
    EarlyStopping es = new EarlyStopping("val_loss", 2, 0, "auto", true, 0);
    LambdaCallback record = new LambdaCallback().onEpochEnd((e, l) -> seen.add(m.getWeights()));
    History h = m.fit(x, y, opts(20).callbacks(record, es));
    assertTrue(h.epochs().size() < 20, "stopped early after " + h.epochs());
    int best = es.bestEpoch();
    assertEquals(seen.get(best), m.getWeights(), "weights of the best epoch restored");
  }

  @Test
  void checkpointWritesOnlyImprovementsAtomically(@TempDir Path dir) throws Exception {
    Sequential m = model(0.1);
    String pattern = dir.resolve("ckpt-{epoch:02d}.weights.npz").toString();
    m.fit(x, y, opts(3).callbacks(new ModelCheckpoint(pattern, "val_loss", true, "min")));
    List<String> files;
    try (var s = Files.list(dir)) {
      files = s.map(p -> p.getFileName().toString()).sorted().toList();
    }
    assertEquals(
        List.of("ckpt-01.weights.npz", "ckpt-02.weights.npz", "ckpt-03.weights.npz"), files);
    assertEquals(
        "a-03-0.50",
        ModelCheckpoint.format("a-{epoch:02d}-{val_loss:.2f}", 3, Map.of("val_loss", 0.5)));
  }

  @Test
  void fitEndsWhenAPrefetchedMapThrowsAnError() {
    Sequential m = model(0.1);
    Dataset data =
        Dataset.fromTensors(x, y)
            .batch(16)
            .map(
                e -> {
                  throw new StackOverflowError("deep");
                })
            .prefetch(2);
    StackOverflowError e =
        assertTimeoutPreemptively(
            Duration.ofSeconds(20),
            () ->
                assertThrows(
                    StackOverflowError.class,
                    () -> m.fit(data, new FitOptions().epochs(1).verbose(0))));
    assertEquals("deep", e.getMessage());
  }

  @Test
  void checkpointPatternsFormatAsPythonOrFailNamingTheKey() {
    assertEquals(
        "e07-l0.1235-7",
        ModelCheckpoint.format(
            "e{epoch:02d}-l{loss:.4f}-{epoch}", 7, Map.of("loss", 0.123456, "val_loss", 1.0)));
    // Python formats an int with a float spec.
    assertEquals("e3.0", ModelCheckpoint.format("e{epoch:.1f}", 3, Map.of()));
    KilnException intOfFloat =
        assertThrows(
            KilnException.class,
            () -> ModelCheckpoint.format("w-{loss:02d}.npz", 1, Map.of("loss", 0.5)));
    assertTrue(
        intOfFloat.getMessage().contains("w-{loss:02d}.npz")
            && intOfFloat.getMessage().contains("'loss'")
            && intOfFloat.getMessage().contains("'02d'"),
        intOfFloat.getMessage());
    KilnException badSpec =
        assertThrows(
            KilnException.class,
            () -> ModelCheckpoint.format("w-{val_loss:.2q}.npz", 1, Map.of("val_loss", 0.5)));
    assertTrue(
        badSpec.getMessage().contains("'val_loss'") && badSpec.getMessage().contains("'.2q'"),
        badSpec.getMessage());
  }

  @Test
  void reduceLrAndScheduler() {
    Sequential m = model(1.5);
    m.fit(x, y, opts(4).callbacks(new ReduceLROnPlateau("val_loss", 0.5, 1, 0, 0, 0.1)));
    assertTrue(m.optimizer().learningRate() < 1.5, "lr " + m.optimizer().learningRate());
    Sequential s = model(0.1);
    History h =
        s.fit(x, y, opts(3).callbacks(new LearningRateScheduler((epoch, lr) -> 0.1 / (epoch + 1))));
    List<Double> lrs = h.get("learning_rate");
    assertEquals(3, lrs.size());
    double[] expected = {0.1, 0.05, 0.1 / 3};
    for (int i = 0; i < 3; i++) {
      assertEquals(expected[i], lrs.get(i), 1e-12);
    }
  }

  @Test
  void csvLoggerWritesAHeaderAndARowPerEpoch(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("log.csv");
    model(0.1).fit(x, y, opts(2).callbacks(new CsvLogger(f)));
    List<String> lines = Files.readAllLines(f);
    assertEquals("epoch,loss,val_loss", lines.get(0));
    assertEquals(3, lines.size());
    assertTrue(lines.get(2).startsWith("1,"));
  }

  @Test
  void terminateOnNaNStopsAtTheBadBatch() {
    float[] v = x.toFloatArray();
    v[20 * 3] = Float.NaN; // sample 20 is in batch 1 when not shuffled
    Tensor bad = Tensor.of(v, 64, 3);
    Sequential m = model(0.1);
    TerminateOnNaN t = new TerminateOnNaN();
    List<Integer> batches = new ArrayList<>();
    m.fit(
        bad,
        y,
        new FitOptions()
            .epochs(3)
            .batchSize(16)
            .shuffle(false)
            .verbose(0)
            .callbacks(t, new LambdaCallback().onBatchEnd((b, l) -> batches.add(b))));
    assertEquals(1, t.terminatedAtBatch());
    assertEquals(List.of(0, 1), batches);
  }

  @Test
  void plainProgressLinesLookLikeKeras() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    ProgressBar bar = new ProgressBar(new PrintStream(buf, true, StandardCharsets.UTF_8), false, 1);
    bar.setParams(2, 4);
    Map<String, Double> logs = new LinkedHashMap<>();
    logs.put("loss", 0.25);
    logs.put("accuracy", 0.5);
    logs.put("val_loss", 0.0001);
    bar.onEpochBegin(0, logs);
    bar.onTrainBatchEnd(0, logs);
    bar.onEpochEnd(0, logs);
    String out = buf.toString(StandardCharsets.UTF_8);
    String[] lines = out.split("\n");
    assertEquals("Epoch 1/2", lines[0]);
    assertTrue(
        lines[1].matches(
            "4/4 \u2501{20} \\d+s \\d+us/step - accuracy: 0\\.5000 - loss: 0\\.2500 - val_loss:"
                + " 1\\.0000e-04"),
        lines[1]);
    assertEquals(2, lines.length, "no redraws on a non-terminal");
  }
}
