package dev.kiln.api.saving;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Atomic writes: the content goes to a hidden temporary file in the target's directory, which is
 * then moved over the target, so an interrupted save never leaves a damaged file where a good one
 * was, and a failed one leaves nothing.
 */
final class AtomicFiles {
  private AtomicFiles() {}

  /** Writes a file at a path that does not exist yet. */
  @FunctionalInterface
  interface Writer {
    void write(Path tmp) throws IOException;
  }

  /** Writes {@code target} through {@code writer}, which gets a fresh path beside it. */
  static void write(Path target, Writer writer) throws IOException {
    Path abs = target.toAbsolutePath();
    Path dir = abs.getParent();
    Files.createDirectories(dir);
    Path tmp = temp(dir, abs.getFileName().toString());
    try {
      writer.write(tmp);
      try {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** A path in {@code dir} for a temporary copy of {@code name}; the file is not created. */
  static Path temp(Path dir, String name) {
    return dir.resolve(
        "."
            + name
            + ".kiln-tmp-"
            + ProcessHandle.current().pid()
            + "-"
            + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()));
  }
}
