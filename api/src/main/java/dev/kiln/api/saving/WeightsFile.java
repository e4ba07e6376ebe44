package dev.kiln.api.saving;

import dev.kiln.api.Tensor;
import dev.kiln.api.data.Npy;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Weights on disk as a NumPy {@code .npz} archive keyed by weight path ({@code dense/kernel}),
 * readable by {@code numpy.load}. Writes are atomic: a temporary file in the same directory, then a
 * rename, so an interrupted save never leaves a damaged file where a good one was.
 */
public final class WeightsFile {
  private WeightsFile() {}

  /** Writes {@code weights} to {@code path} atomically. */
  public static void write(Path path, Map<String, Tensor> weights) throws IOException {
    Path dir = path.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    Path tmp = Files.createTempFile(dir, path.getFileName().toString(), ".tmp");
    try {
      try (OutputStream out = Files.newOutputStream(tmp)) {
        Npy.writeNpz(out, weights);
      }
      try {
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (java.nio.file.AtomicMoveNotSupportedException e) {
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Reads an archive written by {@link #write}. */
  public static Map<String, Tensor> read(Path path) throws IOException {
    return Npy.readNpz(path);
  }
}
