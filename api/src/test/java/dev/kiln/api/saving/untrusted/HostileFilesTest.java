package dev.kiln.api.saving.untrusted;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.models.Models;
import dev.kiln.api.models.Sequential;
import dev.kiln.api.saving.ModelFiles;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files crafted to make a reader allocate or loop without bound: each is refused up front. */
class HostileFilesTest {
  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static byte[] dims(long... d) {
    ByteBuffer b = ByteBuffer.allocate(8 * d.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long x : d) {
      b.putLong(x);
    }
    return b.array();
  }

  @Test
  void anHdf5DatasetClaimingTenToTheTwelveElementsIsRefused(@TempDir Path dir) throws Exception {
    // Distinctive sizes so the kernel's dataspace (77, 91) is found among the file's bytes.
    Sequential a = new Sequential(Input.of(77), new Dense(91));
    Path file = dir.resolve("m.weights.h5");
    a.saveWeights(file);
    byte[] bytes = Files.readAllBytes(file);
    int at = indexOf(bytes, dims(77, 91));
    assertTrue(at > 0, "the kernel's dataspace was not found in the file");
    System.arraycopy(dims(1_000_000, 1_000_000), 0, bytes, at, 16);
    // The maximum sizes, when stored, follow the current ones; patched the same way.
    int max = indexOf(bytes, dims(77, 91));
    if (max > 0) {
      System.arraycopy(dims(1_000_000, 1_000_000), 0, bytes, max, 16);
    }
    Files.write(file, bytes);
    // Today jhdf already fails on the patched header ("Failed to load children"), before any
    // allocation; the test pins that the outcome stays a clear error and the model is untouched.
    Sequential b = new Sequential(Input.of(77), new Dense(91));
    List<Tensor> before = b.getWeights();
    KilnException e = assertThrows(KilnException.class, () -> b.loadWeights(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    assertEquals(before, b.getWeights());
  }

  @Test
  void aLayerWithTenToTheTenWeightsIsRefusedBeforeAllocating() {
    String json =
        "{\"class_name\":\"Sequential\",\"config\":{\"name\":\"s\",\"layers\":["
            + "{\"class_name\":\"InputLayer\",\"config\":{\"batch_shape\":[null,100000]}},"
            + "{\"class_name\":\"Dense\",\"config\":{\"units\":100000}}]}}";
    KilnException e = assertThrows(KilnException.class, () -> Models.fromJson(json));
    assertTrue(e.getMessage().contains("10000000000 elements"), e.getMessage());
  }

  @Test
  void aWeightShardDeclaredAsTwoGigabytesIsRefused(@TempDir Path dir) throws Exception {
    Sequential a = new Sequential(Input.of(4), new Dense(2));
    Path web = dir.resolve("web");
    a.save(web);
    Path manifest = web.resolve("model.json");
    String text = Files.readString(manifest);
    // The kernel (4, 2) now claims 2^29 float32 values: 2 GiB from an 40-byte shard.
    String patched = text.replace("\"shape\":[4,2]", "\"shape\":[536870912,1]");
    assertTrue(!patched.equals(text), "the kernel's shape was not found in " + text);
    Files.writeString(manifest, patched);
    KilnException e = assertThrows(KilnException.class, () -> ModelFiles.load(manifest));
    assertTrue(e.getMessage().contains(manifest.toString()), e.getMessage());
    // Just under Kiln's 2 GiB bound: the short shard is found out before 1.5 GiB is allocated.
    Files.writeString(manifest, text.replace("\"shape\":[4,2]", "\"shape\":[400000000,1]"));
    KilnException e2 = assertThrows(KilnException.class, () -> ModelFiles.load(manifest));
    assertTrue(e2.getMessage().contains(manifest.toString()), e2.getMessage());
  }
}
