package dev.kiln.api.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dataset pipelines and the file loaders. */
class DataTest {
  private static List<Integer> firsts(Dataset d) {
    List<Integer> out = new ArrayList<>();
    for (List<Tensor> e : d) {
      for (int v : e.get(0).toIntArray()) {
        out.add(v);
      }
    }
    return out;
  }

  private static Dataset range(int n) {
    int[] v = new int[n];
    for (int i = 0; i < n; i++) {
      v[i] = i;
    }
    return Dataset.fromTensors(Tensor.of(v), Tensor.of(v));
  }

  @Test
  void anErrorInsideAPrefetchedMapReachesTheConsumer() {
    Dataset d =
        range(6)
            .map(
                e -> {
                  if (e.get(0).toIntArray()[0] == 3) {
                    throw new AssertionError("boom at 3");
                  }
                  return e;
                })
            .prefetch(2);
    // Before the fix the Error killed the prefetch thread and the consumer waited forever.
    AssertionError e =
        assertTimeoutPreemptively(
            Duration.ofSeconds(10), () -> assertThrows(AssertionError.class, () -> firsts(d)));
    assertEquals("boom at 3", e.getMessage());
    Iterator<List<Tensor>> it = d.iterator();
    assertTimeoutPreemptively(
        Duration.ofSeconds(10),
        () -> {
          for (int i = 0; i < 3; i++) {
            it.next();
          }
          assertThrows(AssertionError.class, it::hasNext);
          // Asking again repeats the failure instead of waiting on the dead thread.
          assertThrows(AssertionError.class, it::hasNext);
        });
    KilnException checked =
        assertThrows(
            KilnException.class,
            () ->
                firsts(
                    range(2)
                        .map(
                            x -> {
                              throw new IllegalStateException("bad row");
                            })
                        .prefetch(1)));
    assertTrue(checked.getMessage().contains("bad row"), checked.getMessage());
  }

  @Test
  void batchesOfOneRowKeepTheBatchAxis() {
    Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
    List<List<Tensor>> batches = new ArrayList<>();
    Dataset.fromTensors(x).batch(1).forEach(batches::add);
    assertEquals(3, batches.size());
    assertArrayEquals(new int[] {1, 2}, batches.get(2).get(0).dims(), "a batch of one row");
    List<List<Tensor>> last = new ArrayList<>();
    Dataset.fromTensors(x).batch(2).forEach(last::add);
    assertArrayEquals(new int[] {1, 2}, last.get(1).get(0).dims(), "a last batch of one row");
    List<List<Tensor>> rows = new ArrayList<>();
    Dataset.fromTensors(x).forEach(rows::add);
    assertArrayEquals(new int[] {2}, rows.get(0).get(0).dims(), "an unbatched row");
  }

  @Test
  void batchTakeSkipRepeatMap() {
    Dataset d = range(10).batch(4);
    assertEquals(3, d.cardinality());
    List<Integer> sizes = new ArrayList<>();
    for (List<Tensor> e : d) {
      sizes.add(e.get(0).length());
    }
    assertEquals(List.of(4, 4, 2), sizes);
    assertEquals(2, range(10).batch(4, true).cardinality());
    assertEquals(List.of(2, 3, 4), firsts(range(10).skip(2).take(3)));
    assertEquals(List.of(0, 1, 0, 1), firsts(range(2).repeat(2)));
    Dataset doubled =
        range(3).map(e -> List.of(Tensor.of(new int[] {e.get(0).toIntArray()[0] * 2}, new int[0])));
    assertEquals(List.of(0, 2, 4), firsts(doubled));
    assertEquals(List.of(0, 1, 2, 3, 4), firsts(range(5).prefetch(2)));
    assertEquals(List.of(0, 1, 2, 3), firsts(range(4).batch(2).prefetch(1)));
    // A generic (not array-backed) pipeline batches by stacking.
    Dataset generic = range(5).map(e -> e).batch(2);
    assertEquals(List.of(0, 1, 2, 3, 4), firsts(generic));
  }

  @Test
  void shuffleIsSeededAndReshufflesEachPass() {
    Dataset a = range(20).shuffle(20, 5);
    List<Integer> p1 = firsts(a);
    List<Integer> p2 = firsts(a);
    assertEquals(p1, firsts(range(20).shuffle(20, 5)), "same seed, same first pass");
    assertNotEquals(p1, p2, "a new order on the next pass");
    List<Integer> sorted = new ArrayList<>(p1);
    sorted.sort(null);
    assertEquals(firsts(range(20)), sorted);
    List<Integer> buffered = firsts(range(20).map(e -> e).shuffle(4, 1));
    buffered.sort(null);
    assertEquals(firsts(range(20)), buffered, "a small buffer still yields every element once");
  }

  @Test
  void mismatchedLengthsAreAClearError() {
    KilnException e =
        assertThrows(
            KilnException.class,
            () -> Dataset.fromTensors(Tensor.of(new int[3]), Tensor.of(new int[4])));
    assertTrue(e.getMessage().contains("3 samples") && e.getMessage().contains("4"));
  }

  @Test
  void npyAndNpzRoundTrip(@TempDir Path dir) throws Exception {
    Tensor f = Tensor.of(new float[][] {{1.5f, -2}, {3, 4}});
    Tensor i = Tensor.of(new int[] {7, 8, 9});
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    Npy.write(buf, f);
    byte[] bytes = buf.toByteArray();
    assertEquals(0, (bytes.length - 2 * 2 * 4) % 64, "header padded to 64 bytes");
    String header = new String(bytes, 10, 60, java.nio.charset.StandardCharsets.ISO_8859_1);
    assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }"));
    assertEquals(f, Npy.read(new ByteArrayInputStream(bytes), "mem"));
    Map<String, Tensor> m = new LinkedHashMap<>();
    m.put("a", f);
    m.put("b/c", i);
    Path npz = dir.resolve("x.npz");
    try (OutputStream out = Files.newOutputStream(npz)) {
      Npy.writeNpz(out, m);
    }
    assertEquals(m, Npy.readNpz(npz));
    Path bad = dir.resolve("bad.npy");
    Files.writeString(bad, "hello");
    assertThrows(KilnException.class, () -> Npy.read(bad));
  }

  @Test
  void idxGzipAndRaw(@TempDir Path dir) throws Exception {
    byte[] raw = {0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, (byte) 255};
    Path plain = dir.resolve("t-idx2-ubyte");
    Files.write(plain, raw);
    Path gz = dir.resolve("t-idx2-ubyte.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write(raw);
    }
    for (Path p : List.of(plain, gz)) {
      Tensor t = Idx.read(p);
      assertEquals(Shape.of(2, 3), t.shape());
      assertEquals(DType.UINT8, t.dtype());
      assertArrayEquals(new int[] {1, 2, 3, 4, 5, 255}, t.toIntArray());
    }
    Path truncated = dir.resolve("short");
    Files.write(truncated, java.util.Arrays.copyOf(raw, 14));
    KilnException e = assertThrows(KilnException.class, () -> Idx.read(truncated));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void bundledMnistLoads() throws Exception {
    Path dir = Path.of("../data/mnist");
    Idx.Split s = Idx.loadMnist(dir);
    assertEquals(Shape.of(60000, 28, 28), s.trainImages().shape());
    assertEquals(Shape.of(10000), s.testLabels().shape());
    assertEquals(5, s.trainLabels().toIntArray()[0], "the first MNIST training label is a 5");
  }

  @Test
  void bundledFashionMnistLoads() throws Exception {
    Idx.Split s = Idx.loadMnist(Path.of("../data/fashion-mnist"));
    assertEquals(Shape.of(60000, 28, 28), s.trainImages().shape());
    assertEquals(Shape.of(10000, 28, 28), s.testImages().shape());
    assertEquals(Shape.of(10000), s.testLabels().shape());
    assertEquals(DType.INT32, s.trainLabels().dtype());
    // The first image is an ankle boot (class 9); its pixels tell it from MNIST's first digit.
    assertEquals(9, s.trainLabels().toIntArray()[0]);
    int sum = 0;
    for (int v : s.trainImages().slice(0, 1).toIntArray()) {
      sum += v;
    }
    assertEquals(76247, sum);
    int[] perClass = new int[10];
    for (int label : s.testLabels().toIntArray()) {
      perClass[label]++;
    }
    int[] thousand = new int[10];
    Arrays.fill(thousand, 1000);
    assertArrayEquals(thousand, perClass, "Fashion-MNIST's test set has 1,000 images per class");
  }

  @Test
  void csvWithTextAndNumericLabels(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("iris.csv");
    Files.writeString(f, "a,b,species\n1,2,setosa\n3,\"4\",virginica\n\n5,6,setosa\n");
    Csv.Data d = Csv.load(f, "species");
    assertEquals(Shape.of(3, 2), d.features().shape());
    assertArrayEquals(new int[] {0, 1, 0}, d.labels().toIntArray());
    assertEquals(List.of("setosa", "virginica"), d.classes());
    KilnException text = assertThrows(KilnException.class, () -> Csv.load(f, "b"));
    assertTrue(text.getMessage().contains("column 'species': 'setosa' is not a number"));
    Path num = dir.resolve("num.csv");
    Files.writeString(num, "x,y\n1,2.5\n");
    Csv.Data r = Csv.load(num, "y");
    assertEquals(DType.FLOAT32, r.labels().dtype());
    assertEquals(2.5, r.labels().getDouble(0));
    Path bad = dir.resolve("bad.csv");
    Files.writeString(bad, "a,y\n1,2\nx,3\n");
    KilnException e = assertThrows(KilnException.class, () -> Csv.load(bad, "y"));
    assertTrue(e.getMessage().contains("line 3, column 'a'"), e.getMessage());
    assertThrows(KilnException.class, () -> Csv.load(bad, "z"));
  }

  @Test
  void imageFolder(@TempDir Path dir) throws Exception {
    for (String c : new String[] {"cat", "dog"}) {
      Files.createDirectories(dir.resolve(c));
      BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < 4; y++) {
        for (int x = 0; x < 4; x++) {
          img.setRGB(x, y, c.equals("cat") ? 0xff0000 : 0x0000ff);
        }
      }
      ImageIO.write(img, "png", dir.resolve(c).resolve("a.png").toFile());
    }
    Files.writeString(dir.resolve("cat").resolve("notes.txt"), "skip me");
    ImageFolder.Data d = ImageFolder.load(dir, 2, 2);
    assertEquals(Shape.of(2, 2, 2, 3), d.images().shape());
    assertEquals(List.of("cat", "dog"), d.classes());
    assertArrayEquals(new int[] {0, 1}, d.labels().toIntArray());
    float[] px = d.images().toFloatArray();
    assertEquals(255, px[0]);
    assertEquals(255, px[12 + 2]);
  }
}
