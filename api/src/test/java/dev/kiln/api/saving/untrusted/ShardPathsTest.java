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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TF.js manifest's shard paths are untrusted: whatever they spell ({@code ..} anywhere, absolute
 * paths, backslashes, a link to a file or a folder elsewhere), no byte outside the model's folder
 * is read. Each refused shard is a real, well-sized file, so a reader that followed the path would
 * load it and the test would see the weights change.
 */
class ShardPathsTest {
  private static final float[] SECRET = {7f, 8f};

  private static byte[] floats(float... v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      b.putFloat(x);
    }
    return b.array();
  }

  /** A model.json in {@code dir} for Dense(1) on 1 input, its one shard named {@code shard}. */
  private static Path manifest(Path dir, String shard) throws Exception {
    Files.createDirectories(dir);
    String json =
        "{\"modelTopology\":{\"class_name\":\"Sequential\",\"config\":{\"name\":\"s\",\"layers\":["
            + "{\"class_name\":\"Dense\",\"config\":{\"name\":\"d\",\"units\":1,"
            + "\"batch_input_shape\":[null,1]}}]}},"
            + "\"weightsManifest\":[{\"paths\":[\""
            + shard.replace("\\", "\\\\")
            + "\"],\"weights\":["
            + "{\"name\":\"d/kernel\",\"shape\":[1,1],\"dtype\":\"float32\"},"
            + "{\"name\":\"d/bias\",\"shape\":[1],\"dtype\":\"float32\"}]}]}";
    Path file = dir.resolve("model.json");
    Files.writeString(file, json);
    return file;
  }

  private static Sequential model() {
    return new Sequential(Input.of(1), new Dense(1));
  }

  @Test
  void pathsThatLeaveTheFolderAreRefusedHoweverSpelt(@TempDir Path dir) throws Exception {
    Path outside = dir.resolve("outside");
    Files.createDirectories(outside);
    Files.write(dir.resolve("secret.bin"), floats(SECRET));
    Files.write(outside.resolve("secret.bin"), floats(SECRET));
    Path m = dir.resolve("m");
    Files.createDirectories(m.resolve("sub"));
    for (String shard :
        List.of(
            "../secret.bin",
            "a/../../secret.bin",
            "./../secret.bin",
            "sub/../../secret.bin",
            "sub/./../.././outside/secret.bin",
            "sub//..//..//secret.bin",
            dir.resolve("secret.bin").toString(),
            "..\\secret.bin")) {
      Path file = manifest(m, shard);
      Sequential s = model();
      List<Tensor> before = s.getWeights();
      String msg = assertThrows(KilnException.class, () -> s.loadWeights(file), shard).getMessage();
      assertTrue(msg.contains(shard) && msg.contains("out of the model's folder"), msg);
      assertEquals(before, s.getWeights(), shard);
    }
  }

  @Test
  void linksToFilesOrFoldersOutsideAreRefused(@TempDir Path dir) throws Exception {
    Path outside = dir.resolve("outside");
    Files.createDirectories(outside);
    Files.write(outside.resolve("secret.bin"), floats(SECRET));
    Path m = dir.resolve("m");
    Files.createDirectories(m);
    Files.createSymbolicLink(m.resolve("link.bin"), outside.resolve("secret.bin"));
    Files.createSymbolicLink(m.resolve("linked"), outside);
    for (String shard : List.of("link.bin", "linked/secret.bin")) {
      Path file = manifest(m, shard);
      Sequential s = model();
      String msg = assertThrows(KilnException.class, () -> s.loadWeights(file), shard).getMessage();
      assertTrue(msg.contains(shard) && msg.contains("outside the model's folder"), msg);
    }
  }

  @Test
  void aPathThatStaysInsideAfterNormalizingIsRead(@TempDir Path dir) throws Exception {
    Path m = dir.resolve("m");
    Files.createDirectories(m.resolve("sub"));
    Files.write(m.resolve("w.bin"), floats(3f, 4f));
    // Reached through a dotted path and through a model.json path that itself holds "..".
    Path file = manifest(m, "sub/../w.bin");
    Path dotted = m.resolve("sub").resolve("..").resolve("model.json");
    for (Path f : List.of(file, dotted)) {
      Sequential s = model();
      s.loadWeights(f);
      assertArrayEquals(new float[] {3f}, s.getWeights().get(0).toFloatArray());
      assertArrayEquals(new float[] {4f}, s.getWeights().get(1).toFloatArray());
    }
  }
}
