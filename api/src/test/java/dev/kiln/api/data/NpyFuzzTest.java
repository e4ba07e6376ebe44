package dev.kiln.api.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.reshaping.Flatten;
import dev.kiln.api.models.Sequential;
import dev.kiln.api.saving.WeightsFile;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged {@code .npy} and {@code .npz} files: each either loads or fails with a KilnException that
 * names the file, never an internal exception, a hang or a huge allocation.
 */
class NpyFuzzTest {
  private static byte[] npy(Tensor t) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Npy.write(out, t);
    return out.toByteArray();
  }

  private static byte[] npz(Map<String, Tensor> m) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Npy.writeNpz(out, m);
    return out.toByteArray();
  }

  /** A version-1 file rebuilt with a version-2 header (4-byte header length). */
  private static byte[] version2(byte[] v1) {
    int len = (v1[8] & 0xff) | (v1[9] & 0xff) << 8;
    ByteBuffer b = ByteBuffer.allocate(v1.length + 2).order(ByteOrder.LITTLE_ENDIAN);
    b.put(v1, 0, 6).put((byte) 2).put((byte) 0).putInt(len);
    b.put(v1, 10, v1.length - 10);
    return b.array();
  }

  /** A file with the given header dictionary and data bytes. */
  private static byte[] withHeader(String dict, int dataBytes) {
    byte[] h = (dict + "\n").getBytes(StandardCharsets.ISO_8859_1);
    ByteBuffer b = ByteBuffer.allocate(10 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length);
    b.put(h);
    return b.array();
  }

  private static List<byte[]> npySeeds() throws Exception {
    List<byte[]> seeds = new ArrayList<>();
    seeds.add(npy(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3)));
    seeds.add(npy(Tensor.of(new int[] {7, -8, 9}, 3)));
    seeds.add(npy(Tensor.wrap(HostTensor.of(Shape.of(), new long[] {42}))));
    seeds.add(npy(Tensor.wrap(HostTensor.of(Shape.of(2, 1), new double[] {0.5, -1.5}))));
    HostTensor bytes = HostTensor.zeros(DType.UINT8, Shape.of(4));
    seeds.add(npy(Tensor.wrap(bytes)));
    seeds.add(version2(npy(Tensor.of(new float[] {1, 2}, 2))));
    seeds.add(
        withHeader(
            "{'descr': '>i2', 'fortran_order': False, 'shape': (3L,), }", 6)); // big-endian, 3L
    return seeds;
  }

  private static List<byte[]> npzSeeds() throws Exception {
    Map<String, Tensor> two = new LinkedHashMap<>();
    two.put("dense/kernel", Tensor.of(new float[] {1, 2, 3, 4}, 2, 2));
    two.put("dense/bias", Tensor.of(new float[] {5, 6}, 2));
    return List.of(npz(two), npz(Map.of("x", Tensor.of(new int[] {1, 2, 3}, 3))), storedNpz(two));
  }

  /** An archive of uncompressed entries, as {@code numpy.savez} writes them. */
  private static byte[] storedNpz(Map<String, Tensor> arrays) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      for (Map.Entry<String, Tensor> a : arrays.entrySet()) {
        byte[] data = npy(a.getValue());
        ZipEntry e = new ZipEntry(a.getKey() + ".npy");
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
      }
    }
    return out.toByteArray();
  }

  private static byte[] mutate(byte[] seed, SplittableRandom r) {
    byte[] b = seed.clone();
    int edits = 1 + r.nextInt(3);
    for (int k = 0; k < edits; k++) {
      switch (r.nextInt(7)) {
        case 0 -> b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
        case 1 -> b[r.nextInt(b.length)] = (byte) r.nextInt(256);
        case 2 -> b = Arrays.copyOf(b, r.nextInt(b.length)); // truncate
        case 3 -> {
          // A digit, comma, quote or paren somewhere in the first 128 bytes (the header).
          byte[] pick = "0123456789,-()'L e".getBytes(StandardCharsets.ISO_8859_1);
          b[r.nextInt(Math.min(b.length, 128))] = pick[r.nextInt(pick.length)];
        }
        case 4 -> {
          // Huge values in the length and size fields.
          int at = r.nextInt(Math.min(b.length, 64));
          for (int i = at; i < Math.min(b.length, at + 4); i++) {
            b[i] = (byte) 0xff;
          }
        }
        case 5 -> {
          int at = r.nextInt(b.length + 1);
          byte[] ins = new byte[1 + r.nextInt(8)];
          r.nextBytes(ins);
          byte[] c = new byte[b.length + ins.length];
          System.arraycopy(b, 0, c, 0, at);
          System.arraycopy(ins, 0, c, at, ins.length);
          System.arraycopy(b, at, c, at + ins.length, b.length - at);
          b = c;
        }
        default -> {
          int from = r.nextInt(b.length);
          int len = Math.min(1 + r.nextInt(8), b.length - from);
          b = concat(Arrays.copyOf(b, from), Arrays.copyOfRange(b, from + len, b.length));
        }
      }
      if (b.length == 0) {
        break;
      }
    }
    return b;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  /** Loads the file or checks that the failure is a KilnException naming it. */
  private static boolean loadsOrNamesTheFile(Path file, boolean zip, byte[] content, int i)
      throws Exception {
    Files.write(file, content);
    try {
      if (zip) {
        Npy.readNpz(file);
        WeightsFile.read(file);
      } else {
        Npy.read(file);
      }
      return true;
    } catch (KilnException e) {
      if (e.getMessage() == null || !e.getMessage().contains(file.toString())) {
        fail("case " + i + ": the message does not name the file: " + e.getMessage(), e);
      }
      return false;
    } catch (Exception | OutOfMemoryError e) {
      fail("case " + i + " (" + HexFormatHolder.hex(content) + "): " + e, e);
      return false;
    }
  }

  /** Hex of the first bytes, to reproduce a failing case by hand. */
  private static final class HexFormatHolder {
    static String hex(byte[] b) {
      return java.util.HexFormat.of().formatHex(b, 0, Math.min(b.length, 96));
    }
  }

  @Test
  void mutatedNpyAndNpzFilesLoadOrFailNamingTheFile(@TempDir Path dir) {
    assertTimeoutPreemptively(
        Duration.ofSeconds(60),
        () -> {
          SplittableRandom r = new SplittableRandom(20261202);
          List<byte[]> npy = npySeeds();
          List<byte[]> npz = npzSeeds();
          Path npyFile = dir.resolve("fuzz.npy");
          Path npzFile = dir.resolve("fuzz.npz");
          int loaded = 0;
          int failed = 0;
          for (int i = 0; i < 3000; i++) {
            boolean zip = i % 3 == 2;
            List<byte[]> seeds = zip ? npz : npy;
            byte[] content = mutate(seeds.get(r.nextInt(seeds.size())), r);
            if (loadsOrNamesTheFile(zip ? npzFile : npyFile, zip, content, i)) {
              loaded++;
            } else {
              failed++;
            }
          }
          // Both outcomes occur, so the mutations neither always nor never break the files.
          assertTrue(loaded > 100 && failed > 1000, loaded + " loaded, " + failed + " failed");
        });
  }

  private static String failure(Path file, byte[] content, boolean zip) throws Exception {
    Files.write(file, content);
    KilnException e =
        assertThrows(
            KilnException.class,
            () -> {
              if (zip) {
                Npy.readNpz(file);
              } else {
                Npy.read(file);
              }
            });
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    return e.getMessage();
  }

  @Test
  void eachKnownDamageFailsNamingTheFileAndTheProblem(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bad.npy");
    String overflow =
        failure(
            f,
            withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536), }", 0),
            false);
    assertTrue(overflow.contains("65536, 65536"), overflow);
    String big =
        failure(
            f,
            withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999,), }", 0),
            false);
    assertTrue(big.contains("99999999999"), big);
    String text =
        failure(
            f,
            withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': ('a', 3), }", 0),
            false);
    assertTrue(text.contains("'a'"), text);
    String negative =
        failure(
            f,
            withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", 0),
            false);
    assertTrue(negative.contains("-3"), negative);
    byte[] v2 = version2(npy(Tensor.of(new float[] {1, 2}, 2)));
    v2[8] = v2[9] = v2[10] = v2[11] = (byte) 0xff;
    String headerLen = failure(f, v2, false);
    assertTrue(headerLen.contains("4294967295"), headerLen);
    byte[] ok = npy(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
    String cut = failure(f, Arrays.copyOf(ok, 9), false);
    assertTrue(cut.contains("truncated"), cut);
    assertTrue(failure(f, Arrays.copyOf(ok, 40), false).contains("truncated"));

    Path z = dir.resolve("bad.npz");
    byte[] archive = npzSeeds().get(0);
    Files.write(z, archive);
    assertEquals(2, Npy.readNpz(z).size());
    for (int len : new int[] {0, 10, 40, archive.length / 2, archive.length - 30}) {
      String msg = failure(z, Arrays.copyOf(archive, len), true);
      assertTrue(msg.contains("truncated"), len + ": " + msg);
    }
    // One changed number in an uncompressed entry: only the checksum can tell.
    byte[] stored = npzSeeds().get(2);
    Files.write(z, stored);
    Map<String, Tensor> good = Npy.readNpz(z);
    int at = indexOf(stored, npy(good.get("dense/bias"))) + 130;
    stored[at] ^= 1;
    String crc = failure(z, stored, true);
    assertTrue(crc.contains("dense/bias.npy") && crc.contains("checksum"), crc);
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    for (int i = 0; i + needle.length <= hay.length; i++) {
      if (Arrays.equals(hay, i, i + needle.length, needle, 0, needle.length)) {
        return i;
      }
    }
    throw new AssertionError("not found");
  }

  @Test
  void aModelWithoutWeightsSavesAndLoads(@TempDir Path dir) throws Exception {
    Sequential m = new Sequential(Input.of(2, 3), new Flatten());
    assertEquals(0, m.weights().size());
    Path file = dir.resolve("none.weights.npz");
    m.saveWeights(file);
    m.loadWeights(file);
    // Npy.readNpz still refuses an archive without arrays: data files must hold some.
    KilnException e = assertThrows(KilnException.class, () -> Npy.readNpz(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }
}
