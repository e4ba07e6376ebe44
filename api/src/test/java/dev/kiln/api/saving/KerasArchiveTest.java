package dev.kiln.api.saving;

import static dev.kiln.api.saving.FilesTestSupport.assertHas;
import static dev.kiln.api.saving.FilesTestSupport.assertMatchesH5py;
import static dev.kiln.api.saving.FilesTestSupport.listing;
import static dev.kiln.api.saving.FilesTestSupport.randomX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.GoldenJson;
import dev.kiln.api.KerasTensor;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.initializers.Initializers;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.models.Model;
import dev.kiln.api.models.Sequential;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code .keras} archive: round trips, Keras's own sample, and hostile archives. */
class KerasArchiveTest {
  private static final String SAMPLE = "keras3/keras-test_pre_pr22362_nested_container.keras";

  private static Model functional() {
    KerasTensor in = Input.of(4);
    KerasTensor h = new Dense(6, "tanh").apply(in);
    return Model.of(in, new Dense(2).apply(h));
  }

  @Test
  void aFunctionalModelRoundTripsWithIdenticalWeightsAndPredictions(@TempDir Path dir)
      throws Exception {
    Model a = functional();
    Path file = dir.resolve("m.keras");
    a.save(file);
    Model b = ModelFiles.load(file);
    assertEquals(a.getWeights(), b.getWeights());
    Tensor x = randomX(5, 4, 11);
    assertEquals(a.predict(x), b.predict(x));
    assertEquals(List.of("m.keras"), listing(dir));
    try (ZipFile z = new ZipFile(file.toFile())) {
      List<String> names = new ArrayList<>();
      z.stream().forEach(e -> names.add(e.getName()));
      assertEquals(List.of("metadata.json", "config.json", "model.weights.h5"), names);
      assertEquals(ZipEntry.STORED, z.getEntry("model.weights.h5").getMethod());
      Map<?, ?> config =
          (Map<?, ?>)
              GoldenJson.parse(
                  new String(z.getInputStream(z.getEntry("config.json")).readAllBytes()));
      assertEquals("Functional", config.get("class_name"));
      assertTrue(config.containsKey("compile_config"));
      Map<?, ?> meta =
          (Map<?, ?>)
              GoldenJson.parse(
                  new String(z.getInputStream(z.getEntry("metadata.json")).readAllBytes()));
      assertTrue(
          ((String) meta.get("date_saved")).matches("\\d{4}-\\d\\d-\\d\\d@\\d\\d:\\d\\d:\\d\\d"));
      assertTrue(((String) meta.get("keras_version")).startsWith("3."));
    }
  }

  @Test
  void aSequentialModelRoundTrips(@TempDir Path dir) throws Exception {
    Sequential a = new Sequential(Input.of(3), new Dense(5, "relu"), new Dense(1));
    Path file = dir.resolve("s.keras");
    a.save(file);
    Model b = ModelFiles.load(file);
    assertInstanceOf(Sequential.class, b);
    Tensor x = randomX(4, 3, 12);
    assertEquals(a.predict(x), b.predict(x));
  }

  /** Keras's test model: three bias-free Dense layers d_0..d_2 and a Dense head. */
  static final class NestedDenseModel extends Model {
    final List<Dense> blocks =
        List.of(
            (Dense) new Dense(4).useBias(false).name("d_0"),
            (Dense) new Dense(4).useBias(false).name("d_1"),
            (Dense) new Dense(4).useBias(false).name("d_2"));
    final Dense head = new Dense(2);

    @Override
    protected Value call(Ops ops, Value x) {
      Value h = x;
      for (Dense d : blocks) {
        h = d.trace(ops, h);
      }
      return head.trace(ops, h);
    }
  }

  @Test
  void kerasOwnArchiveLoadsItsWeightsByStructure(@TempDir Path dir) throws Exception {
    Path file = FilesTestSupport.sample(dir, SAMPLE);
    // Its model is a subclass registered in Python: the config names it, and Kiln says so.
    KilnException e = assertThrows(KilnException.class, () -> ModelFiles.load(file));
    assertHas(e.getMessage(), "NestedDenseModel", "config.json");
    NestedDenseModel m = new NestedDenseModel();
    m.predict(randomX(2, 4, 1));
    m.loadWeights(file);
    for (int i = 0; i < 3; i++) {
      assertMatchesH5py(
          SAMPLE,
          "layers/dense" + (i == 0 ? "" : "_" + i) + "/vars/0",
          m.blocks.get(i).getWeights().get(0));
    }
    assertMatchesH5py(SAMPLE, "layers/dense_3/vars/0", m.head.getWeights().get(0));
    assertMatchesH5py(SAMPLE, "layers/dense_3/vars/1", m.head.getWeights().get(1));
  }

  private static void zip(Path file, String[] names, byte[][] data, boolean deflate)
      throws IOException {
    try (OutputStream out = Files.newOutputStream(file);
        ZipOutputStream z = new ZipOutputStream(out)) {
      z.setMethod(deflate ? ZipOutputStream.DEFLATED : ZipOutputStream.DEFLATED);
      for (int i = 0; i < names.length; i++) {
        z.putNextEntry(new ZipEntry(names[i]));
        z.write(data[i]);
        z.closeEntry();
      }
    }
  }

  @Test
  void entriesThatLeaveTheFolderAreRefused(@TempDir Path dir) throws Exception {
    for (String bad : new String[] {"../x", "/etc/x", "a/../../x", "..\\x"}) {
      Path file = dir.resolve("slip.keras");
      zip(
          file,
          new String[] {"config.json", "model.weights.h5", bad},
          new byte[][] {"{}".getBytes(), new byte[8], new byte[4]},
          true);
      KilnException e = assertThrows(KilnException.class, () -> ModelFiles.load(file), bad);
      assertHas(e.getMessage(), "'" + bad + "'", "zip slip");
      Files.delete(file);
    }
    assertEquals(List.of(), listing(dir));
  }

  @Test
  void anEntryThatInflatesPastTheLimitIsRefusedWhileStreaming(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bomb.keras");
    // 80 MiB of zeros deflate to about 80 KiB: past 100 times the archive and past 64 MiB.
    zip(
        file,
        new String[] {"config.json", "model.weights.h5"},
        new byte[][] {"{}".getBytes(), new byte[80 << 20]},
        true);
    assertTrue(Files.size(file) < 1 << 20);
    long temps = kilnTemps();
    KilnException e = assertThrows(KilnException.class, () -> ModelFiles.load(file));
    assertHas(e.getMessage(), "model.weights.h5", "inflates past", "zip bomb");
    assertEquals(temps, kilnTemps(), "the partial weights copy is deleted");
  }

  private static long kilnTemps() throws IOException {
    try (var s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.filter(p -> p.getFileName().toString().startsWith("kiln-keras-")).count();
    }
  }

  @Test
  void truncatedAndMalformedArchivesAreClearErrors(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("m.keras");
    functional().save(file);
    byte[] all = Files.readAllBytes(file);
    Path cut = dir.resolve("cut.keras");
    Files.write(cut, Arrays.copyOf(all, all.length * 2 / 3));
    KilnException e = assertThrows(KilnException.class, () -> ModelFiles.load(cut));
    assertHas(e.getMessage(), cut.toString(), "truncated");
    Path noConfig = dir.resolve("nc.keras");
    zip(noConfig, new String[] {"model.weights.h5"}, new byte[][] {new byte[4]}, true);
    assertHas(
        assertThrows(KilnException.class, () -> ModelFiles.load(noConfig)).getMessage(),
        "no config.json");
    Path badJson = dir.resolve("bj.keras");
    zip(
        badJson,
        new String[] {"config.json", "model.weights.h5"},
        new byte[][] {"{\"class_name\": ".getBytes(), new byte[4]},
        true);
    assertHas(
        assertThrows(KilnException.class, () -> ModelFiles.load(badJson)).getMessage(),
        "config.json is not valid JSON");
  }

  /** A layer with a weight of no elements, which io.jhdf cannot write. */
  static final class EmptyWeight extends Layer {
    @Override
    protected void build(List<Shape> inputShapes) {
      addWeight("nothing", new int[] {0}, Initializers.get("zeros"), true);
    }

    @Override
    protected Value call(Ops ops, Value x) {
      return x;
    }
  }

  @Test
  void aFailedSaveLeavesTheOldFileAndNoTemporaryFiles(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("m.keras");
    Model a = functional();
    a.save(file);
    byte[] before = Files.readAllBytes(file);
    // A model whose last weight cannot be written (it has no elements) fails the save midway.
    Sequential empty = new Sequential(Input.of(4), new Dense(2), new EmptyWeight());
    assertThrows(KilnException.class, () -> empty.save(file));
    assertEquals(List.of("m.keras"), listing(dir));
    assertTrue(Arrays.equals(before, Files.readAllBytes(file)));
  }
}
