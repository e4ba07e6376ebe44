package dev.kiln.api.saving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.callbacks.ModelCheckpoint;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Dropout;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.models.Model;
import dev.kiln.api.models.Sequential;
import dev.kiln.api.optimizers.Adam;
import dev.kiln.api.optimizers.schedules.Schedules;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code .keras} checkpoint resumes training exactly: weights, optimizer moments, step count and
 * learning-rate schedule position come back, in another process too.
 */
class ResumeTest {
  private static final int EPOCHS = 3;

  /** 60 samples in batches of 8: 8 steps an epoch. */
  private static final int STEPS_PER_EPOCH = 8;

  /**
   * An MLP trained with Adam whose learning rate halves every 5 steps (staircase): a run whose
   * schedule restarts at step 0 after loading takes larger steps in its third epoch.
   */
  private static Sequential mlp() {
    Kiln.setRandomSeed(11);
    Sequential m =
        new Sequential(
            Input.of(ResumeProbe.FEATURES),
            new Dense(8, "relu"),
            new Dense(ResumeProbe.CLASSES, "softmax"));
    m.compile(
        new Adam(Schedules.exponentialDecay(0.05, 5, 0.5, true)),
        Losses.get("sparse_categorical_crossentropy"),
        "accuracy");
    return m;
  }

  /** The MLP with a Dropout layer between its Dense layers: each step draws a new mask. */
  private static Sequential dropoutMlp() {
    Kiln.setRandomSeed(11);
    Sequential m =
        new Sequential(
            Input.of(ResumeProbe.FEATURES),
            new Dense(8, "relu"),
            new Dropout(0.5),
            new Dense(ResumeProbe.CLASSES, "softmax"));
    m.compile(new Adam(0.05), Losses.get("sparse_categorical_crossentropy"), "accuracy");
    return m;
  }

  private static List<float[]> values(List<Weight> ws) {
    List<float[]> out = new ArrayList<>();
    for (Weight w : ws) {
      double[] d = w.read().toDoubleArray();
      float[] f = new float[d.length];
      for (int i = 0; i < d.length; i++) {
        f[i] = (float) d[i];
      }
      out.add(f);
    }
    return out;
  }

  private static void assertSameValues(List<Weight> expected, List<Weight> actual, String what) {
    assertEquals(expected.size(), actual.size(), what + ": how many");
    List<float[]> e = values(expected);
    List<float[]> a = values(actual);
    for (int i = 0; i < e.size(); i++) {
      // Bitwise: both runs execute the same float operations on the same inputs in the same order.
      assertArrayEquals(e.get(i), a.get(i), 0f, what + " " + expected.get(i).path());
    }
  }

  @Test
  void twoEpochsSavedAndOneMoreInANewProcessEqualThreeUninterrupted(@TempDir Path dir)
      throws Exception {
    Tensor[] d = ResumeProbe.data();
    Sequential straight = mlp();
    List<Tensor> initial = straight.getWeights();
    straight.fit(d[0], d[1], ResumeProbe.options(EPOCHS));
    assertEquals(EPOCHS * STEPS_PER_EPOCH, straight.optimizer().iterations());

    Sequential first = mlp();
    first.setWeights(initial);
    first.fit(d[0], d[1], ResumeProbe.options(2));
    Path two = dir.resolve("two.keras");
    first.save(two);

    Path three = dir.resolve("three.keras");
    String out = runProbe(two, three);
    assertTrue(out.contains("iterations before: " + 2 * STEPS_PER_EPOCH), out);
    assertTrue(out.contains("iterations after: " + EPOCHS * STEPS_PER_EPOCH), out);

    Model resumed = ModelFiles.load(three);
    assertNotNull(resumed.optimizer(), "a .keras with a compile_config loads compiled");
    assertEquals(EPOCHS * STEPS_PER_EPOCH, resumed.optimizer().iterations());
    assertEquals(
        straight.optimizer().learningRate(), resumed.optimizer().learningRate(), "schedule");
    assertSameValues(straight.weights(), resumed.weights(), "weight");
    assertSameValues(
        straight.optimizer().variables(), resumed.optimizer().variables(), "optimizer variable");
  }

  @Test
  void aLoadedCheckpointResumesInProcessToo(@TempDir Path dir) throws Exception {
    Tensor[] d = ResumeProbe.data();
    Sequential straight = mlp();
    List<Tensor> initial = straight.getWeights();
    straight.fit(d[0], d[1], ResumeProbe.options(EPOCHS));

    Sequential first = mlp();
    first.setWeights(initial);
    first.fit(d[0], d[1], ResumeProbe.options(2));
    Path two = dir.resolve("two.keras");
    first.save(two);
    Model resumed = ModelFiles.load(two);
    assertEquals(2 * STEPS_PER_EPOCH, resumed.optimizer().iterations(), "step count restored");
    resumed.fit(d[0], d[1], ResumeProbe.options(1));
    assertSameValues(straight.weights(), resumed.weights(), "weight");
  }

  @Test
  void aDropoutModelResumesWithTheMasksAnUninterruptedRunDraws(@TempDir Path dir) throws Exception {
    Tensor[] d = ResumeProbe.data();
    Sequential straight = dropoutMlp();
    straight.fit(d[0], d[1], ResumeProbe.options(EPOCHS));

    Sequential first = dropoutMlp();
    first.fit(d[0], d[1], ResumeProbe.options(2));
    Path two = dir.resolve("two.keras");
    first.save(two);
    // The global stream now stands elsewhere than where the first run's masks came from: only the
    // checkpoint can say which masks come next.
    Kiln.setRandomSeed(12);
    Model resumed = ModelFiles.load(two);
    assertEquals(first.randomState(), resumed.randomState(), "seed stream restored");
    resumed.fit(d[0], d[1], ResumeProbe.options(1));
    assertSameValues(straight.weights(), resumed.weights(), "weight");
    assertSameValues(
        straight.optimizer().variables(), resumed.optimizer().variables(), "optimizer variable");

    // Without the restored stream the third epoch draws other masks and ends elsewhere.
    Model fresh = ModelFiles.load(two);
    fresh.setRandomState(first.randomState() + 1);
    fresh.fit(d[0], d[1], ResumeProbe.options(1));
    assertFalse(
        java.util.Arrays.equals(values(straight.weights()).get(0), values(fresh.weights()).get(0)),
        "the masks matter here");
  }

  @Test
  void checkpointWritesWholeModelsForKerasPaths(@TempDir Path dir) throws Exception {
    Tensor[] d = ResumeProbe.data();
    Sequential m = mlp();
    String pattern = dir.resolve("ckpt-{epoch:02d}.keras").toString();
    m.fit(d[0], d[1], ResumeProbe.options(2).callbacks(new ModelCheckpoint(pattern)));
    Path last = dir.resolve("ckpt-02.keras");
    assertTrue(Files.isRegularFile(dir.resolve("ckpt-01.keras")));
    Model loaded = ModelFiles.load(last);
    assertNotNull(loaded.optimizer(), "checkpoint holds the compile config");
    assertEquals(2 * STEPS_PER_EPOCH, loaded.optimizer().iterations());
    assertSameValues(m.weights(), loaded.weights(), "weight");
    assertSameValues(m.optimizer().variables(), loaded.optimizer().variables(), "optimizer state");
    try (var s = Files.list(dir)) {
      List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
      assertEquals(List.of("ckpt-01.keras", "ckpt-02.keras"), names, "no temporary files left");
    }
  }

  @Test
  void checkpointSavesBestOnlyAndWeightsOnlyWhenAsked(@TempDir Path dir) throws Exception {
    Tensor[] d = ResumeProbe.data();
    Sequential m = mlp();
    Path best = dir.resolve("best.keras");
    Path weights = dir.resolve("w.weights.h5");
    // Training lowers the loss every epoch here, so a "max" monitor of it improves only on the
    // first.
    m.fit(
        d[0],
        d[1],
        ResumeProbe.options(3)
            .callbacks(
                new ModelCheckpoint(best.toString(), "loss", true, "max"),
                new ModelCheckpoint(weights.toString(), "loss", false, "min", true)));
    Model loaded = ModelFiles.load(best);
    assertTrue(
        loaded.optimizer().iterations() < 3 * STEPS_PER_EPOCH,
        "saveBestOnly kept an earlier epoch, not the last: " + loaded.optimizer().iterations());
    assertFalse(
        new String(Files.readAllBytes(weights), StandardCharsets.ISO_8859_1).startsWith("PK"),
        "weights only: an HDF5 file, not a .keras zip");
    Sequential fresh = mlp();
    fresh.loadWeights(weights);
    assertSameValues(m.weights(), fresh.weights(), "weight");
    KilnException e =
        assertThrows(
            KilnException.class,
            () ->
                new ModelCheckpoint(dir.resolve("x.keras").toString(), "loss", false, "min", true));
    assertTrue(
        e.getMessage().contains("x.keras") && e.getMessage().contains(".weights.h5"),
        e.getMessage());
  }

  private static String runProbe(Path in, Path out) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Process p =
        new ProcessBuilder(
                java,
                "-Xmx256m",
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                cp,
                ResumeProbe.class.getName(),
                in.toString(),
                out.toString())
            .redirectErrorStream(true)
            .start();
    String text;
    try (var s = p.getInputStream()) {
      text = new String(s.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertTrue(p.waitFor(2, TimeUnit.MINUTES), "probe did not finish: " + text);
    assertEquals(0, p.exitValue(), text);
    return text;
  }
}
