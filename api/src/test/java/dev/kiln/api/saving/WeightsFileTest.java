package dev.kiln.api.saving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Atomic weight saves: stale temporary files, symbolic links, permissions, empty archives. */
class WeightsFileTest {
  private static final Map<String, Tensor> WEIGHTS =
      Map.of("dense/kernel", Tensor.of(new float[] {1, 2, 3, 4}, 2, 2));

  private static List<String> names(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** A process id that is not running now: a child that has exited. */
  private static long deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    assumeTrue(ProcessHandle.of(p.pid()).isEmpty(), "pid reused at once");
    return p.pid();
  }

  @Test
  void aLaterSaveDeletesTheTempFilesOfKilledSaves(@TempDir Path dir) throws Exception {
    assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    Path target = dir.resolve("m.weights.npz");
    // What a save killed by kill -9 leaves behind: its process is gone.
    Path dead = dir.resolve(".m.weights.npz.kiln-tmp-" + deadPid() + "-1a2b");
    Files.write(dead, new byte[1000]);
    // A writer whose id is alive but was reused: the file predates that process.
    long self = ProcessHandle.current().parent().orElseThrow().pid();
    Path reused = dir.resolve(".m.weights.npz.kiln-tmp-" + self + "-3c4d");
    Files.write(reused, new byte[10]);
    Files.setLastModifiedTime(reused, FileTime.from(Instant.parse("2000-01-01T00:00:00Z")));
    // A save in progress in this very process (another thread): left alone.
    Path live = dir.resolve(".m.weights.npz.kiln-tmp-" + ProcessHandle.current().pid() + "-5e");
    Files.write(live, new byte[10]);
    // Another target's temp file and an unrelated hidden file: not ours to delete.
    Path other = dir.resolve(".other.npz.kiln-tmp-" + deadPid() + "-77");
    Files.write(other, new byte[10]);
    Path unrelated = dir.resolve(".m.weights.npz.notes");
    Files.write(unrelated, new byte[10]);

    WeightsFile.write(target, WEIGHTS);

    assertEquals(
        List.of(
            live.getFileName().toString(),
            ".m.weights.npz.notes",
            other.getFileName().toString(),
            "m.weights.npz"),
        names(dir));
    assertEquals(WEIGHTS, WeightsFile.read(target));
  }

  /**
   * Kills (SIGKILL) a JVM in the middle of saving, several times: the target is always either the
   * last complete save or absent, never a torn file, and the next save removes every temporary file
   * the killed ones left.
   */
  @Test
  void savesKilledMidWayLeaveTheTargetWholeAndTheirTempFilesGo(@TempDir Path dir) throws Exception {
    assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    Path target = dir.resolve("big.weights.npz");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    int leftBehind = 0;
    for (int kill = 0; kill < 3; kill++) {
      Process p =
          new ProcessBuilder(
                  java, "-Xmx512m", "-cp", cp, SaveProbe.class.getName(), target.toString())
              .redirectErrorStream(true)
              .start();
      try {
        // Wait for a save in flight: its temporary file exists and has grown past its start.
        long deadline = System.nanoTime() + 60_000_000_000L;
        Path tmp = null;
        while (tmp == null && System.nanoTime() < deadline) {
          try (Stream<Path> s = Files.list(dir)) {
            tmp =
                s.filter(f -> f.getFileName().toString().contains(".kiln-tmp-"))
                    .filter(f -> f.toFile().length() > 1 << 20)
                    .findFirst()
                    .orElse(null);
          }
          Thread.sleep(5);
        }
        if (tmp == null) {
          p.destroyForcibly();
          throw new AssertionError(
              "the probe never started a save: " + new String(p.getInputStream().readAllBytes()));
        }
      } finally {
        p.destroyForcibly();
        p.waitFor();
      }
      try (Stream<Path> s = Files.list(dir)) {
        leftBehind +=
            (int) s.filter(f -> f.getFileName().toString().contains(".kiln-tmp-")).count();
      }
      if (Files.exists(target)) {
        Map<String, Tensor> read = WeightsFile.read(target);
        assertEquals(4, read.size(), "a killed save left a whole file or none");
        assertEquals(4f, read.get("layer_3/kernel").toFloatArray()[(2 << 20) - 1]);
      }
    }
    assertTrue(leftBehind > 0, "no kill landed mid-save, so nothing was tested");
    WeightsFile.write(target, WEIGHTS);
    assertEquals(List.of("big.weights.npz"), names(dir), "temporary files of the killed saves");
    assertEquals(WEIGHTS, WeightsFile.read(target));
  }

  @Test
  void savingOverASymbolicLinkWritesItsTarget(@TempDir Path dir) throws Exception {
    Path real = Files.createDirectories(dir.resolve("store")).resolve("real.npz");
    Files.write(real, new byte[] {1, 2, 3});
    Path link = dir.resolve("link.npz");
    try {
      Files.createSymbolicLink(link, Path.of("store", "real.npz"));
    } catch (UnsupportedOperationException | java.io.IOException e) {
      assumeTrue(false, "no symbolic links here: " + e);
    }
    // A link to a link, and a dangling link to a file that does not exist yet.
    Path link2 = dir.resolve("link2.npz");
    Files.createSymbolicLink(link2, link);
    WeightsFile.write(link2, WEIGHTS);
    assertTrue(Files.isSymbolicLink(link) && Files.isSymbolicLink(link2));
    assertEquals(WEIGHTS, WeightsFile.read(real));
    assertEquals(List.of("real.npz"), names(dir.resolve("store")));

    Path dangling = dir.resolve("later.npz");
    Files.createSymbolicLink(dangling, dir.resolve("store").resolve("new.npz"));
    WeightsFile.write(dangling, WEIGHTS);
    assertTrue(Files.isSymbolicLink(dangling));
    assertEquals(WEIGHTS, WeightsFile.read(dir.resolve("store").resolve("new.npz")));
  }

  @Test
  void savedFilesGetTheUmasksPermissions(@TempDir Path dir) throws Exception {
    assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    Set<PosixFilePermission> fresh =
        Files.getPosixFilePermissions(Files.createFile(dir.resolve("x")));
    // With a umask of 077 a new file is 0600 anyway and this test could not tell.
    assumeTrue(!fresh.equals(PosixFilePermissions.fromString("rw-------")), "umask 077");
    Path target = dir.resolve("w.npz");
    WeightsFile.write(target, WEIGHTS);
    assertEquals(fresh, Files.getPosixFilePermissions(target));
    WeightsFile.write(target, WEIGHTS);
    assertEquals(fresh, Files.getPosixFilePermissions(target));
  }

  @Test
  void noWeightsSaveAndLoadAsAnEmptyArchive(@TempDir Path dir) throws Exception {
    Path target = dir.resolve("empty.npz");
    WeightsFile.write(target, Map.of());
    assertEquals(Map.of(), WeightsFile.read(target));
    // A file that is no archive at all is still an error naming it.
    Path text = dir.resolve("text.npz");
    Files.writeString(text, "not a zip");
    KilnException e = assertThrows(KilnException.class, () -> WeightsFile.read(text));
    assertTrue(e.getMessage().contains(text.toString()), e.getMessage());
    Path none = dir.resolve("none.npz");
    Files.write(none, new byte[0]);
    KilnException e2 = assertThrows(KilnException.class, () -> WeightsFile.read(none));
    assertTrue(e2.getMessage().contains(none.toString()), e2.getMessage());
    assertFalse(Files.exists(dir.resolve("x")));
  }
}
