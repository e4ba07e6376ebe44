package dev.kiln.api.saving.untrusted;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.models.Sequential;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HDF5 files whose links loop (made by h5py: src/test/golden/make_hostile_h5.py): a group holding a
 * hard link to its own parent, a hard link to the root, soft links that point at each other. Each
 * is read without following a loop: the weights Keras would find load, anything reached only
 * through a loop is a clear error naming the file and the entry, never a stack overflow.
 */
class CyclicHdf5Test {
  private static final float[] KERNEL = {0f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f};

  private static Path copy(Path dir, String name) throws Exception {
    Path out = dir.resolve(name);
    try (InputStream in = CyclicHdf5Test.class.getResourceAsStream("/untrusted/" + name)) {
      Files.copy(in, out);
    }
    return out;
  }

  private static Sequential dense() {
    return new Sequential(Input.of(3), new Dense(2));
  }

  @Test
  void hardLinkCyclesAreNotFollowed(@TempDir Path dir) throws Exception {
    Path file = copy(dir, "hard-cycle.weights.h5");
    Sequential s = dense();
    s.loadWeights(file);
    assertArrayEquals(KERNEL, s.getWeights().get(0).toFloatArray(), 1e-7f);
    assertArrayEquals(new float[] {1f, 2f}, s.getWeights().get(1).toFloatArray());
    // A model the file does not fit: the error lists the file's weight groups, a walk over the
    // whole (cyclic) tree, which must end and name each group once.
    Sequential two = new Sequential(Input.of(3), new Dense(2), new Dense(2));
    String msg = assertThrows(KilnException.class, () -> two.loadWeights(file)).getMessage();
    assertTrue(msg.contains(file.toString()) && msg.contains("[layers/dense/vars]"), msg);
  }

  @Test
  void softLinkLoopsAreRefused(@TempDir Path dir) throws Exception {
    Path file = copy(dir, "soft-cycle.weights.h5");
    Sequential s = dense();
    List<Tensor> before = s.getWeights();
    String msg = assertThrows(KilnException.class, () -> s.loadWeights(file)).getMessage();
    assertTrue(msg.contains(file.toString()) && msg.contains("no dataset '1'"), msg);
    assertEquals(before, s.getWeights());
  }

  @Test
  void keras2WeightNamesThroughASoftLinkLoopAreRefused(@TempDir Path dir) throws Exception {
    Path file = copy(dir, "soft-cycle-keras2.h5");
    Sequential s = dense();
    List<Tensor> before = s.getWeights();
    String msg = assertThrows(KilnException.class, () -> s.loadWeights(file)).getMessage();
    assertTrue(
        msg.contains(file.toString())
            && msg.contains("dense/kernel:0")
            && msg.contains("goes through the link"),
        msg);
    assertEquals(before, s.getWeights());
  }
}
