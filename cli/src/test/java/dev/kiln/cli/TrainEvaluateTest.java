package dev.kiln.cli;

import static dev.kiln.cli.KilnTest.kiln;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Tensor;
import dev.kiln.api.data.Npy;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import dev.kiln.api.models.Sequential;
import dev.kiln.api.saving.ModelFiles;
import dev.kiln.cli.KilnTest.Run;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln train} and {@code kiln evaluate} on small data: seconds, not minutes. */
class TrainEvaluateTest {
  /** 48 samples of 3 features, 3 classes: the class is the index of the largest feature. */
  private static void writeNpz(Path file) throws IOException {
    int n = 48;
    float[] x = new float[n * 3];
    int[] y = new int[n];
    java.util.SplittableRandom r = new java.util.SplittableRandom(3);
    for (int i = 0; i < n; i++) {
      int best = 0;
      for (int j = 0; j < 3; j++) {
        x[i * 3 + j] = (float) r.nextDouble(-1, 1);
        if (x[i * 3 + j] > x[i * 3 + best]) {
          best = j;
        }
      }
      y[i] = best;
    }
    try (OutputStream out = Files.newOutputStream(file)) {
      Npy.writeNpz(out, Map.of("x", Tensor.of(x, n, 3), "y", Tensor.of(y)));
    }
  }

  private static final String MODEL =
      """
      {"module": "keras", "class_name": "Sequential", "registered_name": null,
       "config": {"name": "tiny", "layers": [
         {"module": "keras.layers", "class_name": "InputLayer", "registered_name": null,
          "config": {"batch_shape": [null, 3], "name": "in"}},
         {"module": "keras.layers", "class_name": "Dense", "registered_name": null,
          "config": {"units": %s, "activation": "relu", "name": "hidden"}},
         {"module": "keras.layers", "class_name": "Dropout", "registered_name": null,
          "config": {"rate": 0.25, "name": "drop"}},
         {"module": "keras.layers", "class_name": "Dense", "registered_name": null,
          "config": {"units": 3, "activation": "softmax", "name": "out"}}]}}
      """;

  /** A spec on {@code data.npz} in its folder: 2 epochs, shuffled, a quarter held out as test. */
  private static Path spec(Path dir, String fit, String units) throws IOException {
    writeNpz(dir.resolve("data.npz"));
    Path spec = dir.resolve("tiny.train.json");
    Files.writeString(
        spec,
        """
        {"model": %s,
         "compile": {"optimizer": {"class_name": "Adam", "config": {"learning_rate": 0.05}},
                     "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
         "fit": %s,
         "data": {"source": "data.npz", "test_split": 0.25}}
        """
            .formatted(MODEL.formatted(units), fit));
    return spec;
  }

  private static Path spec(Path dir) throws IOException {
    return spec(dir, "{\"epochs\": 2, \"batch_size\": 8, \"shuffle\": true, \"seed\": 5}", "6");
  }

  private static double value(String line, String key) {
    assertTrue(line.startsWith(key + ": "), line);
    return Double.parseDouble(line.substring(key.length() + 2));
  }

  @Test
  void trainFromASpecEndsWithTestLines(@TempDir Path dir) throws IOException {
    Run r = kiln("train", spec(dir).toString(), "--progress", "0");
    assertEquals(0, r.code(), r.err());
    List<String> last = r.lastLines(2);
    double loss = value(last.get(0), "test_loss");
    double acc = value(last.get(1), "test_accuracy");
    assertTrue(loss > 0 && Double.isFinite(loss), r.out());
    assertTrue(acc >= 0 && acc <= 1, r.out());
  }

  private static List<float[]> weights(Model m) {
    return m.weights().stream().map(w -> w.read().toFloatArray()).toList();
  }

  @Test
  void saveThenResumeEqualsUninterruptedTraining(@TempDir Path dir) throws IOException {
    Path spec = spec(dir);
    Path three = dir.resolve("three.keras");
    Path two = dir.resolve("two.keras");
    Path resumed = dir.resolve("resumed.keras");
    String s = spec.toString();
    assertEquals(
        0, kiln("train", s, "--progress", "0", "--epochs", "3", "--save", three + "").code());
    assertEquals(
        0, kiln("train", s, "--progress", "0", "--epochs", "2", "--save", two + "").code());
    Run r =
        kiln(
            "train",
            s,
            "--progress",
            "0",
            "--epochs",
            "3",
            "--resume",
            two + "",
            "--save",
            resumed + "");
    assertEquals(0, r.code(), r.err());

    Model straight = ModelFiles.load(three);
    Model after = ModelFiles.load(resumed);
    // 36 training samples in batches of 8: 5 steps an epoch.
    assertEquals(15, straight.optimizer().iterations());
    assertEquals(15, after.optimizer().iterations());
    List<float[]> a = weights(straight);
    List<float[]> b = weights(after);
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      // Bitwise: the same float operations on the same batches, with the same Dropout masks (the
      // checkpoint holds the seed stream), in the same order.
      assertArrayEquals(a.get(i), b.get(i), 0f, straight.weights().get(i).path());
    }
    // A run whose epochs reshuffled differently (or restarted at epoch 0) would differ, as a
    // different seed does.
    Path other = dir.resolve("other.keras");
    kiln("train", s, "--progress", "0", "--epochs", "3", "--seed", "6", "--save", other + "");
    assertFalse(
        java.util.Arrays.equals(a.get(0), weights(ModelFiles.load(other)).get(0)),
        "the seed changes the run");

    Run done = kiln("train", s, "--progress", "0", "--epochs", "2", "--resume", two + "");
    assertEquals(1, done.code());
    assertTrue(done.err().contains("has trained 2 epochs already"), done.err());
  }

  @Test
  void aCompiledKerasConfigTrainsOnDataNamedOnTheCommandLine(@TempDir Path dir) throws IOException {
    writeNpz(dir.resolve("data.npz"));
    Path config = dir.resolve("compiled.json");
    try (Sequential m = new Sequential(Input.of(3), new Dense(3, "softmax"))) {
      m.compile("sgd", "sparse_categorical_crossentropy", "accuracy");
      Files.writeString(config, m.toJson());
    }
    Run r =
        kiln(
            "train",
            config.toString(),
            "--data",
            dir.resolve("data.npz").toString(),
            "--progress",
            "0",
            "--save",
            dir.resolve("out.keras").toString());
    assertEquals(0, r.code(), r.err());
    // The npz has no test split: no test lines.
    assertEquals(List.of("saved " + dir.resolve("out.keras")), r.out().lines().toList());

    Run noData = kiln("train", config.toString());
    assertEquals(2, noData.code(), noData.err());
    assertTrue(noData.err().contains("--data"), noData.err());
  }

  @Test
  void evaluatePrintsTheLossAndCompiledMetrics(@TempDir Path dir) throws IOException {
    Path trained = dir.resolve("trained.keras");
    assertEquals(
        0, kiln("train", spec(dir).toString(), "--progress", "0", "--save", trained + "").code());
    Path data = dir.resolve("data.npz");
    Run r = kiln("evaluate", trained.toString(), "--data", data.toString());
    assertEquals(0, r.code(), r.err());
    Model m = ModelFiles.load(trained);
    Map<String, Tensor> d = Npy.readNpz(data);
    Map<String, Double> expected =
        m.evaluate(List.of(d.get("x")), List.of(d.get("y")), new FitOptions().verbose(0));
    assertEquals(
        List.of(
            String.format(Locale.ROOT, "test_loss: %.4f", expected.get("loss")),
            String.format(Locale.ROOT, "test_accuracy: %.4f", expected.get("accuracy"))),
        r.out().lines().toList());

    // A model saved without a compile config needs --loss.
    Path bare = dir.resolve("bare.keras");
    try (Sequential s = new Sequential(Input.of(3), new Dense(3, "softmax"))) {
      s.save(bare);
    }
    Run noLoss = kiln("evaluate", bare.toString(), "--data", data.toString());
    assertEquals(1, noLoss.code());
    assertTrue(noLoss.err().contains("--loss"), noLoss.err());
    Run withLoss =
        kiln(
            "evaluate",
            bare.toString(),
            "--data",
            data.toString(),
            "--loss",
            "sparse_categorical_crossentropy",
            "--metrics",
            "accuracy");
    assertEquals(0, withLoss.code(), withLoss.err());
    assertEquals(2, withLoss.out().lines().count(), withLoss.out());
    assertTrue(withLoss.out().startsWith("test_loss: "), withLoss.out());
  }

  @Test
  void badSpecsAreBadInputNamingTheJsonPath(@TempDir Path dir) throws IOException {
    Path typo = spec(dir, "{\"epochs\": \"two\"}", "6");
    Run r = kiln("train", typo.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("kiln: " + typo + ": $.fit.epochs: "), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());

    Path units = spec(dir, "{}", "\"six\"");
    Run u = kiln("train", units.toString());
    assertEquals(1, u.code());
    assertTrue(
        u.err().startsWith("kiln: " + units + ": $.model.config.layers[1].config.units: "),
        u.err());

    Path loss = dir.resolve("loss.train.json");
    Files.writeString(
        loss,
        Files.readString(spec(dir))
            .replace("\"sparse_categorical_crossentropy\"", "\"sparse_categorical_crossentropi\""));
    Run l = kiln("train", loss.toString());
    assertEquals(1, l.code());
    assertTrue(l.err().startsWith("kiln: " + loss + ": $.compile.loss"), l.err());

    Path csv = dir.resolve("no-label.train.json");
    Files.writeString(csv, Files.readString(spec(dir)).replace("\"data.npz\"", "\"missing.csv\""));
    Run c = kiln("train", csv.toString());
    assertEquals(1, c.code());
    assertTrue(c.err().startsWith("kiln: no such file: "), c.err());
  }

  @Test
  void usageErrorsExitWithTwoAndEveryNewCommandHasHelp(@TempDir Path dir) throws IOException {
    Path spec = spec(dir);
    assertEquals(2, kiln("train").code());
    assertEquals(2, kiln("train", spec.toString(), "--epochs", "0").code());
    assertEquals(2, kiln("train", spec.toString(), "--epochs", "x").code());
    assertEquals(2, kiln("evaluate", "m.keras").code());
    assertEquals(2, kiln("evaluate", "m.keras", "--data", "mnist", "--metrics", "accuracy").code());
    for (String c : List.of("train", "evaluate", "predict")) {
      Run h = kiln(c, "--help");
      assertEquals(0, h.code(), c);
      assertTrue(h.out().startsWith("Usage: kiln " + c), h.out());
    }
  }

  private static String tinyModel(String inputShape, int classes) {
    return """
        {"class_name": "Sequential", "config": {"name": "t", "layers": [
          {"class_name": "InputLayer", "config": {"batch_shape": [null, %s], "name": "in"}},
          {"class_name": "Flatten", "config": {"name": "flat"}},
          {"class_name": "Dense", "config": {"units": %d, "activation": "softmax", "name": "out"}}
        ]}}
        """
        .formatted(inputShape, classes);
  }

  private static Path trainSpec(Path dir, String model, String data) throws IOException {
    Path spec = dir.resolve("t.train.json");
    Files.writeString(
        spec,
        """
        {"model": %s,
         "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
                     "metrics": ["accuracy"]},
         "fit": {"epochs": 1, "batch_size": 4, "verbose": 0},
         "data": %s}
        """
            .formatted(model, data));
    return spec;
  }

  @Test
  void csvWithATestFileTrainsAndEvaluatesTheSameWay(@TempDir Path dir) throws IOException {
    StringBuilder train = new StringBuilder("a,b,label\n");
    StringBuilder test = new StringBuilder("a,b,label\n");
    for (int i = 0; i < 24; i++) {
      (i < 16 ? train : test)
          .append(i % 5)
          .append(',')
          .append(i % 3)
          .append(',')
          .append(i % 5 > 1 ? "big" : "small")
          .append('\n');
    }
    Files.writeString(dir.resolve("train.csv"), train);
    Files.writeString(dir.resolve("test.csv"), test);
    Path spec =
        trainSpec(
            dir,
            tinyModel("2", 2),
            "{\"source\": \"train.csv\", \"label\": \"label\", \"test\": \"test.csv\"}");
    Path saved = dir.resolve("csv.keras");
    Run r = kiln("train", spec.toString(), "--save", saved.toString());
    assertEquals(0, r.code(), r.err());
    List<String> tests = r.lastLines(2);
    assertTrue(tests.get(0).startsWith("test_loss: "), r.out());
    // evaluate on the test file prints what train printed for it.
    Run e =
        kiln(
            "evaluate",
            saved.toString(),
            "--data",
            dir.resolve("test.csv").toString(),
            "--label",
            "label");
    assertEquals(0, e.code(), e.err());
    assertEquals(tests, e.out().lines().toList());

    Run noLabel = kiln("evaluate", saved.toString(), "--data", dir.resolve("test.csv").toString());
    assertEquals(1, noLabel.code());
    assertTrue(noLabel.err().contains("label column"), noLabel.err());
  }

  @Test
  void anImageFolderIsResizedToTheModelsInput(@TempDir Path dir) throws IOException {
    for (String c : List.of("dark", "light")) {
      Files.createDirectories(dir.resolve("imgs").resolve(c));
      for (int i = 0; i < 3; i++) {
        java.awt.image.BufferedImage img =
            new java.awt.image.BufferedImage(8, 6, java.awt.image.BufferedImage.TYPE_INT_RGB);
        int v = c.equals("dark") ? 20 * i : 255 - 20 * i;
        for (int y = 0; y < 6; y++) {
          for (int x = 0; x < 8; x++) {
            img.setRGB(x, y, (v << 16) | (v << 8) | v);
          }
        }
        javax.imageio.ImageIO.write(
            img, "png", dir.resolve("imgs/" + c + "/" + i + ".png").toFile());
      }
    }
    Path spec =
        trainSpec(dir, tinyModel("4, 4, 3", 2), "{\"source\": \"imgs\", \"test_split\": 0.5}");
    Run r = kiln("train", spec.toString(), "--save", dir.resolve("img.keras").toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.lastLines(2).get(1).startsWith("test_accuracy: "), r.out());
    Run e =
        kiln(
            "evaluate",
            dir.resolve("img.keras").toString(),
            "--data",
            dir.resolve("imgs").toString());
    assertEquals(0, e.code(), e.err());
  }

  /** An IDX file: magic (0, 0, type 0x08 unsigned byte, rank), big-endian sizes, then bytes. */
  private static void writeIdx(Path file, int[] dims, byte[] data) throws IOException {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + 4 * dims.length + data.length);
    b.put(new byte[] {0, 0, 0x08, (byte) dims.length});
    for (int d : dims) {
      b.putInt(d);
    }
    b.put(data);
    Files.write(file, b.array());
  }

  @Test
  void anIdxFilePairFeedsAChannelLastModel(@TempDir Path dir) throws IOException {
    byte[] pixels = new byte[8 * 2 * 2];
    byte[] labels = new byte[8];
    for (int i = 0; i < 8; i++) {
      labels[i] = (byte) (i % 2);
      for (int j = 0; j < 4; j++) {
        pixels[i * 4 + j] = (byte) (i % 2 == 0 ? 10 : 240);
      }
    }
    writeIdx(dir.resolve("x-idx3-ubyte"), new int[] {8, 2, 2}, pixels);
    writeIdx(dir.resolve("y-idx1-ubyte"), new int[] {8}, labels);
    // (8, 2, 2) images feed an input of (2, 2, 1), as MNIST's do a Conv2D model.
    Path spec =
        trainSpec(
            dir,
            tinyModel("2, 2, 1", 2),
            "{\"source\": \"x-idx3-ubyte\", \"labels\": \"y-idx1-ubyte\", \"test_split\": 0.25}");
    Run r = kiln("train", spec.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.lastLines(2).get(0).startsWith("test_loss: "), r.out());

    Path wrong =
        trainSpec(
            dir, tinyModel("3", 2), "{\"source\": \"x-idx3-ubyte\", \"labels\": \"y-idx1-ubyte\"}");
    Run w = kiln("train", wrong.toString());
    assertEquals(1, w.code());
    assertTrue(w.err().contains("samples have shape [2, 2] but the model's input is [3]"), w.err());
  }
}
