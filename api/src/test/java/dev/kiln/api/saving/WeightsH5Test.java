package dev.kiln.api.saving;

import static dev.kiln.api.saving.FilesTestSupport.assertHas;
import static dev.kiln.api.saving.FilesTestSupport.listing;
import static dev.kiln.api.saving.FilesTestSupport.randomX;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.preprocessing.Normalization;
import dev.kiln.api.layers.reshaping.Flatten;
import dev.kiln.api.layers.rnn.LSTM;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import dev.kiln.api.models.Sequential;
import io.jhdf.HdfFile;
import io.jhdf.api.Dataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keras 3's {@code .weights.h5}: its layout, loading by structure, and clear errors. */
class WeightsH5Test {
  private static Sequential mlp(int hidden) {
    return new Sequential(Input.of(4), new Dense(hidden, "relu"), new Dense(3));
  }

  @Test
  void aSecondModelBuiltInTheSameProgramLoadsTheFirstOnesFile(@TempDir Path dir) throws Exception {
    Sequential a = mlp(8);
    Path file = dir.resolve("a.weights.h5");
    a.saveWeights(file);
    // Built again without clearing the session: its layers are dense_2, dense_3 (or later), so
    // only a match by structure pairs them with the file's.
    Sequential b = mlp(8);
    assertNotEquals(a.layers().get(0).name(), b.layers().get(0).name());
    assertNotEquals(a.getWeights(), b.getWeights());
    b.loadWeights(file);
    assertEquals(a.getWeights(), b.getWeights());
    Tensor x = randomX(5, 4, 1);
    assertEquals(a.predict(x), b.predict(x));
  }

  /**
   * Keras 3 keeps a Normalization's mean and variance with the kept axis only, (3,), and a third
   * variable, count (an int64 scalar); the file was written by
   * src/test/golden/make_keras3_normalization_h5.py in that layout.
   */
  @Test
  void keras3sNormalizationWithItsCountLoads() throws Exception {
    Path file =
        Path.of(WeightsH5Test.class.getResource("/golden/keras3-normalization.weights.h5").toURI());
    Sequential m =
        new Sequential(Input.of(2, 2, 3), new Normalization(), new Flatten(), new Dense(2));
    m.loadWeights(file);
    double[] mean = {10, 20, 30};
    double[] std = {2, 3, 4};
    float[] x = new float[12];
    double[] expected = {1, 2};
    for (int i = 0; i < 12; i++) {
      x[i] = 7 * i % 41;
      double normalized = (x[i] - mean[i % 3]) / std[i % 3];
      for (int j = 0; j < 2; j++) {
        expected[j] += normalized * ((2 * i + j) / 10.0 - 1);
      }
    }
    float[] got = m.predict(Tensor.of(x, 1, 2, 2, 3)).toFloatArray();
    assertArrayEquals(new float[] {(float) expected[0], (float) expected[1]}, got, 1e-4f);
  }

  @Test
  void aNormalizationIsWrittenAsKeras3WritesIt(@TempDir Path dir) throws Exception {
    Normalization norm = new Normalization();
    Sequential a = new Sequential(Input.of(2, 2, 3), norm, new Flatten(), new Dense(2));
    Tensor x = randomX(4, 12, 3).reshape(4, 2, 2, 3);
    norm.adapt(x);
    Path file = dir.resolve("n.weights.h5");
    a.saveWeights(file);
    try (HdfFile f = new HdfFile(file)) {
      assertArrayEquals(
          new int[] {3}, f.getDatasetByPath("layers/normalization/vars/0").getDimensions());
      assertArrayEquals(
          new int[] {3}, f.getDatasetByPath("layers/normalization/vars/1").getDimensions());
      Dataset count = f.getDatasetByPath("layers/normalization/vars/2");
      assertEquals(true, count.isScalar());
      assertEquals(0L, ((Number) count.getData()).longValue());
      assertEquals(8, count.getDataType().getSize(), "count is an int64");
    }
    Normalization norm2 = new Normalization();
    Sequential b = new Sequential(Input.of(2, 2, 3), norm2, new Flatten(), new Dense(2));
    b.loadWeights(file);
    assertEquals(a.getWeights(), b.getWeights());
    assertEquals(a.predict(x), b.predict(x));
  }

  @Test
  void theFileHasKeras3sLayout(@TempDir Path dir) throws Exception {
    Sequential a = new Sequential(Input.of(3, 2), new LSTM(5), new Dense(4), new Dense(1));
    Path file = dir.resolve("l.weights.h5");
    a.saveWeights(file);
    try (HdfFile f = new HdfFile(file)) {
      assertEquals(
          new TreeSet<>(
              List.of("layers/lstm/cell/vars", "layers/dense/vars", "layers/dense_1/vars")),
          new TreeSet<>(WeightsH5.datasetGroups(f, file)));
      assertArrayEquals(
          new int[] {2, 20}, f.getDatasetByPath("layers/lstm/cell/vars/0").getDimensions());
      assertArrayEquals(
          new int[] {5, 20}, f.getDatasetByPath("layers/lstm/cell/vars/1").getDimensions());
      assertArrayEquals(
          new int[] {4, 1}, f.getDatasetByPath("layers/dense_1/vars/0").getDimensions());
      assertEquals(
          a.layers().get(1).name(),
          WeightsH5.stringAttribute(f.getByPath("layers/dense/vars"), "name"));
      Tensor kernel = H5Arrays.read(f.getDatasetByPath("layers/dense/vars/0"), file);
      assertEquals(a.layers().get(1).getWeights().get(0), kernel);
    }
  }

  @Test
  void nestedModelsAreSavedUnderTheirOwnLayersGroup(@TempDir Path dir) throws Exception {
    KerasTensor in = Input.of(4);
    Sequential inner = new Sequential(Input.of(4), new Dense(3));
    KerasTensor out = new Dense(2).apply(inner.apply(in));
    Model m = Model.of(in, out);
    Path file = dir.resolve("n.weights.h5");
    m.saveWeights(file);
    try (HdfFile f = new HdfFile(file)) {
      assertEquals(
          new TreeSet<>(List.of("layers/sequential/layers/dense/vars", "layers/dense/vars")),
          new TreeSet<>(WeightsH5.datasetGroups(f, file)));
    }
  }

  @Test
  void optimizerStateIsSavedAndRestored(@TempDir Path dir) throws Exception {
    Sequential a = mlp(6);
    a.compile("adam", "mse");
    Tensor x = randomX(16, 4, 2);
    Tensor y = randomX(16, 3, 3);
    a.fit(x, y, new FitOptions().epochs(2).verbose(0).shuffle(false));
    Path file = dir.resolve("o.weights.h5");
    a.saveWeights(file);
    Sequential b = mlp(6);
    b.compile("adam", "mse");
    b.loadWeights(file);
    List<Weight> va = a.optimizer().variables();
    List<Weight> vb = b.optimizer().variables();
    assertEquals(va.size(), vb.size());
    for (int i = 0; i < va.size(); i++) {
      assertEquals(va.get(i).read(), vb.get(i).read(), "optimizer variable " + i);
    }
    try (HdfFile f = new HdfFile(file)) {
      assertEquals(
          va.size(), ((io.jhdf.api.Group) f.getByPath("optimizer/vars")).getChildren().size());
    }
  }

  @Test
  void aShapeMismatchNamesLayerVariableAndBothShapesAndLoadsNothing(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("a.weights.h5");
    mlp(6).saveWeights(file);
    Sequential b = mlp(8);
    List<Tensor> before = b.getWeights();
    KilnException e = assertThrows(KilnException.class, () -> b.loadWeights(file));
    assertHas(
        e.getMessage(),
        file.toString(),
        "layer \"" + b.layers().get(0).name() + "\" (Dense)",
        "variable 'kernel'",
        "(4, 8)",
        "(4, 6)",
        "layers/dense/vars/0");
    assertEquals(before, b.getWeights());
  }

  @Test
  void aFileOfAnotherArchitectureNamesTheMissingGroup(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("a.weights.h5");
    new Sequential(Input.of(4), new Dense(3)).saveWeights(file);
    KilnException e = assertThrows(KilnException.class, () -> mlp(3).loadWeights(file));
    assertHas(e.getMessage(), "no group 'layers/dense_1/vars'", "[layers/dense/vars]");
    KilnException extra =
        assertThrows(
            KilnException.class,
            () -> {
              Path big = dir.resolve("b.weights.h5");
              mlp(3).saveWeights(big);
              new Sequential(Input.of(4), new Dense(3)).loadWeights(big);
            });
    assertHas(extra.getMessage(), "layers/dense_1/vars", "no place for");
  }

  @Test
  void aTruncatedFileIsAClearErrorAndTheModelIsUnchanged(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("a.weights.h5");
    mlp(8).saveWeights(file);
    byte[] all = Files.readAllBytes(file);
    Path cut = dir.resolve("cut.weights.h5");
    Files.write(cut, java.util.Arrays.copyOf(all, all.length / 2));
    Sequential b = mlp(8);
    List<Tensor> before = b.getWeights();
    KilnException e = assertThrows(KilnException.class, () -> b.loadWeights(cut));
    assertHas(e.getMessage(), cut.toString());
    assertEquals(before, b.getWeights());
  }

  @Test
  void theSuffixChoosesTheFormat(@TempDir Path dir) throws Exception {
    Sequential a = mlp(4);
    Path h5 = dir.resolve("w.weights.h5");
    Path npz = dir.resolve("w.npz");
    a.saveWeights(h5);
    a.saveWeights(npz);
    // HDF5's signature, never a zip under an h5 name; and a zip's under the npz one.
    byte[] head = Arrays8.head(h5);
    assertEquals((byte) 0x89, head[0]);
    assertEquals('H', head[1]);
    assertEquals('P', Arrays8.head(npz)[0]);
    KilnException e =
        assertThrows(KilnException.class, () -> a.saveWeights(dir.resolve("w.weights")));
    assertHas(e.getMessage(), "w.weights", ".weights.h5", ".npz");
    assertThrows(KilnException.class, () -> a.loadWeights(dir.resolve("w.bin")));
    assertEquals(List.of("w.npz", "w.weights.h5"), listing(dir));
  }

  /** The first bytes of a file. */
  private static final class Arrays8 {
    static byte[] head(Path p) throws java.io.IOException {
      try (var in = Files.newInputStream(p)) {
        return in.readNBytes(8);
      }
    }
  }
}
