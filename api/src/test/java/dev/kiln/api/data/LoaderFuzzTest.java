package dev.kiln.api.data;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.api.KilnException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated IDX, CSV, PNG, BMP, GIF and JPEG files (bytes flipped, set, inserted, cut off) either
 * load or fail with a KilnException naming the file: never another exception, never an allocation
 * the file's size cannot justify. The seed is fixed, so a failure names a case that can be
 * replayed.
 */
class LoaderFuzzTest {
  private static final int CASES_PER_FORMAT = 600;

  /** Loads one file, as a user would. */
  private interface Loader {
    void load(Path file) throws Exception;
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS) // a guard against hangs, not a speed test
  void mutatedFilesLoadOrFailNamingTheFile(@TempDir Path dir) throws Exception {
    byte[] idx = new byte[4 + 12 + 3 * 4 * 5];
    idx[2] = 8;
    idx[3] = 3;
    idx[7] = 3;
    idx[11] = 4;
    idx[15] = 5;
    for (int i = 16; i < idx.length; i++) {
      idx[i] = (byte) (i * 37);
    }
    byte[] csv =
        ("f1,f2,\"f 3\",label\n1.5,2,-3,0\n3,4e-1,\"5\",1\n\n0,0,0,2\n7,8,9,1\n-1,-2,-3,0\n")
            .getBytes(StandardCharsets.UTF_8);
    Random random = new Random(20261202);
    fuzz(random, "idx", idx, dir.resolve("fuzz-idx3-ubyte"), Idx::read);
    fuzz(
        random, "idx.gz", LoaderErrorsTest.gzip(idx), dir.resolve("fuzz-idx3-ubyte.gz"), Idx::read);
    fuzz(random, "csv", csv, dir.resolve("fuzz.csv"), f -> Csv.load(f, "label"));
    for (String format : new String[] {"png", "bmp", "gif", "jpeg"}) {
      Path images = dir.resolve(format);
      Path image = images.resolve("a").resolve("fuzz." + format);
      Files.createDirectories(image.getParent());
      Files.createDirectories(images.resolve("b"));
      byte[] valid = LoaderErrorsTest.image(7, 5, format);
      fuzz(random, format, valid, image, f -> ImageFolder.load(images, 3, 4));
    }
  }

  private static void fuzz(Random random, String format, byte[] valid, Path file, Loader loader)
      throws Exception {
    loader.load(writeTo(file, valid)); // the unmutated file must load
    int failures = 0;
    for (int c = 0; c < CASES_PER_FORMAT; c++) {
      byte[] bytes = mutate(random, valid);
      Files.write(file, bytes);
      try {
        loader.load(file);
      } catch (KilnException e) {
        failures++;
        String m = String.valueOf(e.getMessage());
        if (!m.contains(file.getFileName().toString())) {
          fail(describe(format, c, bytes) + ": the message does not name the file: " + m, e);
        }
      } catch (Throwable t) {
        fail(describe(format, c, bytes) + ": threw " + t, t);
      }
    }
    // The mutations must reach the checks, or the test proves nothing.
    assertTrue(failures > CASES_PER_FORMAT / 4, format + ": only " + failures + " cases failed");
  }

  private static Path writeTo(Path file, byte[] bytes) throws Exception {
    Files.write(file, bytes);
    return file;
  }

  private static String describe(String format, int c, byte[] bytes) {
    return format + " case " + c + " (" + HexFormat.of().formatHex(bytes) + ")";
  }

  /** One to three mutations: a bit flipped, a byte set to an edge value, bytes inserted, a cut. */
  static byte[] mutate(Random random, byte[] valid) {
    byte[] b = valid.clone();
    int count = 1 + random.nextInt(3);
    for (int m = 0; m < count && b.length > 0; m++) {
      int at = random.nextInt(b.length);
      switch (random.nextInt(5)) {
        case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
        case 1 -> {
          byte[] edges = {0, (byte) 0xff, 0x7f, (byte) 0x80, 1, ',', '\n', '"'};
          b[at] = edges[random.nextInt(edges.length)];
        }
        case 2 -> b[at] = (byte) random.nextInt(256);
        case 3 -> {
          byte[] extra = new byte[1 + random.nextInt(8)];
          random.nextBytes(extra);
          byte[] longer = new byte[b.length + extra.length];
          System.arraycopy(b, 0, longer, 0, at);
          System.arraycopy(extra, 0, longer, at, extra.length);
          System.arraycopy(b, at, longer, at + extra.length, b.length - at);
          b = longer;
        }
        default -> b = Arrays.copyOf(b, at);
      }
    }
    return b;
  }
}
