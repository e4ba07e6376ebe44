package dev.kiln.api.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.spi.Shape;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Damaged or ambiguous input files fail with a KilnException naming the file and the fault. */
class LoaderErrorsTest {
  /** A valid raw IDX file: uint8, shape (2, 3). */
  static final byte[] IDX = {0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, (byte) 255};

  /** Asserts that {@code call} throws a KilnException naming {@code file} and every fragment. */
  static KilnException fails(Path file, Executable call, String... fragments) {
    KilnException e = assertThrows(KilnException.class, call);
    String m = e.getMessage();
    assertTrue(m.contains(file.getFileName().toString()), "names the file: " + m);
    for (String f : fragments) {
      assertTrue(m.contains(f), "says '" + f + "': " + m);
    }
    return e;
  }

  static byte[] gzip(byte[] data) throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(b)) {
      out.write(data);
    }
    return b.toByteArray();
  }

  static byte[] png(int w, int h) throws Exception {
    return image(w, h, "png");
  }

  /** A small RGB gradient encoded as {@code format} (png, bmp, gif, jpeg). */
  static byte[] image(int w, int h, String format) throws Exception {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, (x * 40) << 16 | (y * 50) << 8 | (x * y * 7 & 0xff));
      }
    }
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    assertTrue(ImageIO.write(img, format, b), format);
    return b.toByteArray();
  }

  static Path write(Path dir, String name, byte[] bytes) throws Exception {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    Files.write(p, bytes);
    return p;
  }

  @Test
  void csvDuplicatedHeaderIsAnError(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("dup.csv");
    Files.writeString(f, "a,a,label\n1,2,0\n3,4,1\n");
    fails(f, () -> Csv.load(f, "label"), "'a'", "twice", "columns 1 and 2");
  }

  @Test
  void csvEmptyLabelIsAnErrorNamingTheLine(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("gap.csv");
    Files.writeString(f, "x,y\n1,2.5\n3,\n4,1\n");
    fails(f, () -> Csv.load(f, "y"), "line 3", "'y'", "empty");
  }

  @Test
  void csvByteOrderMarkIsStrippedAndHiddenCharactersShow(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bom.csv");
    Files.write(f, "\uFEFFlabel,x\n1,2\n0,3\n".getBytes(StandardCharsets.UTF_8));
    Csv.Data d = Csv.load(f, "label");
    assertEquals(List.of("x"), d.featureNames());
    assertArrayEquals(new float[] {1, 0}, d.labels().toFloatArray());
    Path z = dir.resolve("zw.csv");
    Files.writeString(z, "x,\u200Blabel \n1,2\n");
    fails(z, () -> Csv.load(z, "label"), "'\\u200Blabel '", "'x'");
  }

  @Test
  void csvThatIsNotUtf8(@TempDir Path dir) throws Exception {
    Path f = write(dir, "latin.csv", new byte[] {'x', ',', 'y', '\n', (byte) 0xe9, ',', '1', '\n'});
    fails(f, () -> Csv.load(f, "y"), "UTF-8");
  }

  @Test
  void idxEmptyOrTruncatedHeader(@TempDir Path dir) throws Exception {
    Path empty = write(dir, "empty-idx1-ubyte", new byte[0]);
    fails(empty, () -> Idx.read(empty), "truncated inside its IDX header");
    Path head = write(dir, "head-idx2-ubyte", Arrays.copyOf(IDX, 7));
    fails(head, () -> Idx.read(head), "truncated inside its IDX header", "2 dimensions");
  }

  @Test
  void idxTruncatedOrCorruptGzip(@TempDir Path dir) throws Exception {
    byte[] gz = gzip(IDX);
    Path cut = write(dir, "cut-idx2-ubyte.gz", Arrays.copyOf(gz, gz.length - 6));
    fails(cut, () -> Idx.read(cut), "gzip");
    byte[] bad = gz.clone();
    bad[gz.length - 8] ^= 0x5a; // the CRC: data decodes, so only reading to the end catches it
    Path crc = write(dir, "crc-idx2-ubyte.gz", bad);
    fails(crc, () -> Idx.read(crc), "gzip");
  }

  @Test
  void idxGzipNameMustMatchTheContent(@TempDir Path dir) throws Exception {
    Path raw = write(dir, "raw-idx2-ubyte.gz", IDX);
    fails(raw, () -> Idx.read(raw), "not gzip");
    Path packed = write(dir, "packed-idx2-ubyte", gzip(IDX));
    fails(packed, () -> Idx.read(packed), "gzip-compressed");
  }

  @Test
  void idxHeaderClaimingMoreThanTheFileFailsBeforeAllocating(@TempDir Path dir) throws Exception {
    // 1 x 2^30 - 1 elements: a 1 GB allocation before the old code noticed the file is 12 bytes.
    byte[] big = {0, 0, 8, 2, 0, 0, 0, 1, 0x3f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
    Path claim = write(dir, "claim-idx2-ubyte", big);
    fails(claim, () -> Idx.read(claim), "1073741823 data bytes", "has 0 after the header");
    Path gz = write(dir, "claim-idx2-ubyte.gz", gzip(big));
    fails(gz, () -> Idx.read(gz), "compressed bytes");
  }

  @Test
  void idxNegativeOrHugeDimensions(@TempDir Path dir) throws Exception {
    byte[] neg = IDX.clone();
    neg[8] = (byte) 0x80;
    Path n = write(dir, "neg-idx2-ubyte", neg);
    fails(n, () -> Idx.read(n), "dimension 1 is negative");
    byte[] huge =
        ByteBuffer.allocate(16)
            .putInt(0x0803)
            .putInt(0x7fffffff)
            .putInt(0x7fffffff)
            .putInt(0x7fffffff)
            .array();
    Path h = write(dir, "huge-idx3-ubyte", huge);
    fails(h, () -> Idx.read(h), "more than one array can hold");
  }

  @Test
  void idxBytesAfterTheData(@TempDir Path dir) throws Exception {
    byte[] longer = Arrays.copyOf(IDX, IDX.length + 3);
    Path p = write(dir, "long-idx2-ubyte", longer);
    fails(p, () -> Idx.read(p), "3 bytes after the data");
    Path gz = write(dir, "long-idx2-ubyte.gz", gzip(longer));
    fails(gz, () -> Idx.read(gz), "3 bytes after the data");
    Tensor ok = Idx.read(write(dir, "ok-idx2-ubyte.gz", gzip(IDX)));
    assertEquals(Shape.of(2, 3), ok.shape());
  }

  @Test
  void truncatedPngNamesTheFile(@TempDir Path dir) throws Exception {
    byte[] png = png(6, 5);
    Path f = write(dir, "c/cut.png", Arrays.copyOf(png, png.length / 2));
    fails(f, () -> ImageFolder.load(dir, 2, 2), "cannot decode");
  }

  @Test
  void pngClaimingHugeDimensionsFailsBeforeDecoding(@TempDir Path dir) throws Exception {
    byte[] png = png(6, 5);
    // IHDR's width and height sit at bytes 16..23.
    ByteBuffer.wrap(png).putInt(16, 60000).putInt(20, 60000);
    Path f = write(dir, "c/huge.png", png);
    fails(f, () -> ImageFolder.load(dir, 2, 2), "60000 x 60000");
  }

  @Test
  void unreadableImageNamesTheFile(@TempDir Path dir) throws Exception {
    Path f = write(dir, "c/text.png", "not an image".getBytes(StandardCharsets.UTF_8));
    fails(f, () -> ImageFolder.load(dir, 2, 2), "cannot decode");
  }

  @Test
  void classFoldersWithoutImagesAreAnError(@TempDir Path dir) throws Exception {
    Path root = dir.resolve("photos");
    Files.createDirectories(root.resolve("cat"));
    Files.createDirectories(root.resolve("dog"));
    Files.writeString(root.resolve("dog").resolve("readme.txt"), "no images here");
    fails(root, () -> ImageFolder.load(root, 2, 2), "[cat, dog]", "no images");
  }
}
