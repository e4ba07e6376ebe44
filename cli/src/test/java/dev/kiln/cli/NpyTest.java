package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
  // np.save of np.array([[1.5, -2.0, 3.25]], dtype='<f4'), as NumPy 1.26 writes it.
  private static final String NUMPY_HEAD =
      "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a"
          + "2046616c73652c20277368617065273a2028312c2033292c207d";

  @Test
  void readsWhatNumpyWritesAndWritesTheSameBytes(@TempDir Path dir) throws IOException {
    byte[] head = HexFormat.of().parseHex(NUMPY_HEAD);
    int pad = 128 - head.length - 1;
    byte[] data = HexFormat.of().parseHex("0000c03f000000c000005040");
    byte[] file = new byte[128 + data.length];
    System.arraycopy(head, 0, file, 0, head.length);
    for (int i = head.length; i < 127; i++) {
      file[i] = ' ';
    }
    file[127] = '\n';
    System.arraycopy(data, 0, file, 128, data.length);
    assertEquals(pad, 127 - head.length);
    Path p = dir.resolve("a.npy");
    Files.write(p, file);
    Npy.Array a = Npy.read(p);
    assertArrayEquals(new int[] {1, 3}, a.shape());
    assertArrayEquals(new float[] {1.5f, -2f, 3.25f}, a.values());

    Path q = dir.resolve("b.npy");
    Npy.write(q, a.shape(), a.values());
    assertArrayEquals(file, Files.readAllBytes(q));
  }

  @Test
  void refusesATruncatedFileNamingItAndBothSizes(@TempDir Path dir) throws IOException {
    Path p = dir.resolve("t.npy");
    Npy.write(p, new int[] {4}, new float[] {1, 2, 3, 4});
    byte[] all = Files.readAllBytes(p);
    Files.write(p, java.util.Arrays.copyOf(all, all.length - 3));
    CliException e = assertThrows(CliException.class, () -> Npy.read(p));
    assertTrue(e.getMessage().contains(p + ": shape [4] needs 16 bytes"), e.getMessage());
    Files.write(p, "not numpy".getBytes(StandardCharsets.US_ASCII));
    assertThrows(CliException.class, () -> Npy.read(p));
  }
}
