package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Tensor;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.normalization.BatchNormalization;
import dev.kiln.api.models.Sequential;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KilnTest {
  private static final Path SAMPLES = Path.of("../api/src/test/resources/keras-config-samples");
  private static final Path ABALONE =
      SAMPLES.resolve("tfjs-layers/tfjs-examples_abalone/model.json");

  /** One run of the command line: exit code, standard output, standard error. */
  record Run(int code, String out, String err) {
    List<String> lastLines(int n) {
      List<String> lines = out.lines().toList();
      return lines.subList(lines.size() - n, lines.size());
    }
  }

  static Run kiln(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Kiln.commandLine(new PrintWriter(out), new PrintWriter(err)).execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void summaryOfATfjsSampleEndsWithItsParameterCountsAsPlainIntegers() {
    Run r = kiln("summary", ABALONE.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("dense_Dense2 (Dense)"), r.out());
    // 3051 is TF.js 4.22's count for this file (golden-config-params.json).
    assertEquals(
        List.of("Total params: 3051", "Trainable params: 3051", "Non-trainable params: 0"),
        r.lastLines(3));
  }

  @Test
  void summaryOfAKeras2ConfigSplitsBatchNormStatisticsOff() {
    Run r =
        kiln(
            "summary",
            SAMPLES.resolve("keras2-json/kotlindl_batchnorm_modelConfig.json").toString());
    assertEquals(0, r.code(), r.err());
    List<String> last = r.lastLines(3);
    assertEquals("Total params: 846070", last.get(0));
    long trainable = Long.parseLong(last.get(1).substring("Trainable params: ".length()));
    long frozen = Long.parseLong(last.get(2).substring("Non-trainable params: ".length()));
    assertTrue(frozen > 0, r.out());
    assertEquals(846070, trainable + frozen);
  }

  private static Sequential smallModel() {
    Sequential m =
        new Sequential(Input.of(3), new Dense(4), new BatchNormalization(), new Dense(2));
    return m;
  }

  @Test
  void summaryOfAKilnWrittenKerasArchiveCountsTrainableAndFrozenWeights(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("small.keras");
    try (Sequential m = smallModel()) {
      m.save(file);
    }
    Run r = kiln("summary", file.toString());
    assertEquals(0, r.code(), r.err());
    // Dense 3*4+4, BatchNormalization 4 gamma + 4 beta trainable and 4 + 4 moving stats frozen,
    // Dense 4*2+2.
    assertEquals(
        List.of("Total params: 42", "Trainable params: 34", "Non-trainable params: 8"),
        r.lastLines(3));
  }

  @Test
  void validateAcceptsAGoodConfigAndPrintsPathsForABadOne(@TempDir Path dir) throws IOException {
    Run good = kiln("validate", ABALONE.toString());
    assertEquals(0, good.code(), good.out() + good.err());
    assertTrue(good.out().contains("valid"), good.out());

    Path bad = dir.resolve("bad.json");
    Files.writeString(
        bad,
        """
        {"module": "keras", "class_name": "Sequential", "registered_name": null,
         "config": {"name": "s", "layers": [
           {"module": "keras.layers", "class_name": "InputLayer", "registered_name": null,
            "config": {"batch_shape": [null, 4], "name": "in"}},
           {"module": "keras.layers", "class_name": "Dense", "registered_name": null,
            "config": {"units": "three", "name": "d"}}]}}
        """);
    Run r = kiln("validate", bad.toString());
    assertEquals(1, r.code(), r.out());
    assertTrue(r.out().startsWith("$.config.layers[1].config.units: "), r.out());
    assertTrue(r.err().startsWith("kiln: "), r.err());

    Path keras1 = SAMPLES.resolve("keras1-json/dl4j_keras1_mlp_fapi_config.json");
    Run old = kiln("validate", keras1.toString());
    assertEquals(1, old.code());
    assertTrue(
        old.err().startsWith("kiln: " + keras1 + ": $: this is a Keras 1 config"), old.err());
  }

  @Test
  void aMissingFileIsBadInputWithOneLineAndNoStackTrace() {
    Run r = kiln("summary", "no/such/model.keras");
    assertEquals(1, r.code());
    assertEquals("kiln: no such file: no/such/model.keras", r.err().strip());
    assertEquals("", r.out());

    Run verbose = kiln("summary", "--verbose", "no/such/model.keras");
    assertEquals(1, verbose.code());
    assertTrue(verbose.err().contains("NoSuchFileException"), verbose.err());
  }

  @Test
  void aBadOptionOrAMissingArgumentIsAUsageError() {
    assertEquals(2, kiln("summary", "--no-such-option", ABALONE.toString()).code());
    assertEquals(2, kiln("predict", ABALONE.toString()).code());
    assertEquals(2, kiln("no-such-command").code());
    assertEquals(0, kiln("predict", "--help").code());
  }

  @Test
  void predictRunsRawFloat32InputAndWritesNpy(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("affine.keras");
    try (Sequential m = new Sequential(Input.of(3), new Dense(2))) {
      m.layers()
          .get(0)
          .setWeights(
              List.of(
                  Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2),
                  Tensor.of(new float[] {0.5f, -1}, 2)));
      m.save(file);
    }
    Path x = dir.resolve("x.bin");
    ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : new float[] {1, 0, -1, 2, 1, 0}) {
      b.putFloat(v);
    }
    Files.write(x, b.array());
    Path y = dir.resolve("y.npy");
    Run r =
        kiln(
            "predict",
            file.toString(),
            "--input",
            x.toString(),
            "--shape",
            "2,3",
            "--output",
            y.toString());
    assertEquals(0, r.code(), r.err());
    // [1,0,-1] and [2,1,0] times the kernel (rows [1,2], [3,4], [5,6]) plus the bias [0.5, -1].
    assertEquals("[[-3.5,-5.0],[5.5,7.0]]", r.out().strip());
    Npy.Array back = Npy.read(y);
    assertArrayEquals(new int[] {2, 2}, back.shape());
    assertArrayEquals(new float[] {-3.5f, -5f, 5.5f, 7f}, back.values());

    // The same input as .npy; a wrong --shape for the raw file is bad input, named.
    Path xn = dir.resolve("x.npy");
    Npy.write(xn, new int[] {2, 3}, new float[] {1, 0, -1, 2, 1, 0});
    assertEquals(r.out(), kiln("predict", file.toString(), "--input", xn.toString()).out());
    Run wrong = kiln("predict", file.toString(), "--input", x.toString(), "--shape", "3,3");
    assertEquals(1, wrong.code());
    assertTrue(wrong.err().startsWith("kiln: " + x + " holds 24 bytes"), wrong.err());

    Run top = kiln("predict", file.toString(), "--input", xn.toString(), "--top", "1");
    assertEquals(List.of("0 -3.5", "1 7.0"), top.out().lines().toList());
  }

  @Test
  void convertWritesAConfigThatValidatesAndATfjsModelThatSummarises(@TempDir Path dir) {
    Path keras = dir.resolve("abalone.keras");
    Run converted = kiln("convert", ABALONE.toString(), keras.toString());
    assertEquals(0, converted.code(), converted.err());
    Path json = dir.resolve("abalone-config.json");
    assertEquals(0, kiln("convert", keras.toString(), json.toString()).code());
    assertEquals(0, kiln("validate", json.toString()).code());
    Path tfjs = dir.resolve("tfjs");
    assertEquals(0, kiln("convert", keras.toString(), tfjs.toString()).code());
    assertEquals("Total params: 3051", kiln("summary", tfjs.toString()).lastLines(3).get(0));
    Run h5 = kiln("convert", keras.toString(), dir.resolve("out.h5").toString());
    assertEquals(1, h5.code());
    assertFalse(Files.exists(dir.resolve("out.h5")));
  }

  @Test
  void theReadmeExamplesOnTheShippedModelHold() {
    Path shipped = Path.of("../data/models/abalone");
    Run summary = kiln("summary", shipped.resolve("model.json").toString());
    assertEquals("Total params: 3051", summary.lastLines(3).get(0));
    Run predict =
        kiln(
            "predict",
            shipped.resolve("model.json").toString(),
            "--input",
            shipped.resolve("one.npy").toString());
    assertEquals(0, predict.code(), predict.err());
    String out = predict.out().strip();
    assertTrue(out.startsWith("[[") && out.endsWith("]]"), out);
    assertEquals(10.40785, Double.parseDouble(out.substring(2, out.length() - 2)), 1e-4);
  }

  @Test
  void theReadmeTrainEvaluateAndImageExamplesRun(@TempDir Path dir) {
    // The launcher points kiln.data at the project's data/; the tests run in cli/.
    String before = System.getProperty(DataSource.DATA_PROPERTY);
    System.setProperty(DataSource.DATA_PROPERTY, "../data");
    try {
      Path saved = dir.resolve("mnist-mlp.keras");
      Run train =
          kiln(
              "train",
              "../data/models/mnist-mlp.train.json",
              "--epochs",
              "1",
              "--limit",
              "300",
              "--progress",
              "0",
              "--save",
              saved.toString());
      assertEquals(0, train.code(), train.err());
      assertTrue(train.lastLines(2).get(1).startsWith("test_accuracy: "), train.out());
      Run evaluate = kiln("evaluate", saved.toString(), "--data", "mnist", "--limit", "300");
      assertEquals(0, evaluate.code(), evaluate.err());
      assertEquals(train.lastLines(2), evaluate.out().lines().toList());
      Run predict =
          kiln(
              "predict",
              saved.toString(),
              "--input",
              "../data/images/dog.jpg",
              "--grayscale",
              "--resize",
              "28,28",
              "--scale",
              "0.00392156862745098",
              "--top",
              "3");
      assertEquals(0, predict.code(), predict.err());
      assertEquals(3, predict.out().strip().split("\t").length, predict.out());
    } finally {
      if (before == null) {
        System.clearProperty(DataSource.DATA_PROPERTY);
      } else {
        System.setProperty(DataSource.DATA_PROPERTY, before);
      }
    }
  }
}
