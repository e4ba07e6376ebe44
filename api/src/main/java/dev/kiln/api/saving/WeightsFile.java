package dev.kiln.api.saving;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.data.Npy;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Weights on disk as a NumPy {@code .npz} archive keyed by weight path ({@code dense/kernel}),
 * readable by {@code numpy.load}.
 *
 * <p>Writes are atomic: the archive goes to a hidden temporary file beside the target, {@code
 * .<name>.kiln-tmp-<pid>-<random>}, which is then renamed over it, so an interrupted save never
 * leaves a damaged file where a good one was. A save killed before its rename leaves that temporary
 * file behind; the next save of the same target deletes it once the process that wrote it has
 * ended. Saving to a symbolic link writes the file the link points to (the link stays), and the
 * saved file gets the permissions a newly created file gets (the umask decides).
 */
public final class WeightsFile {
  private WeightsFile() {}

  private static final String TMP_MARK = ".kiln-tmp-";
  private static final int MAX_LINKS = 40;

  /**
   * Writes {@code weights} to {@code path} atomically; an empty map writes an empty archive, which
   * {@link #read} reads back as empty.
   */
  public static void write(Path path, Map<String, Tensor> weights) throws IOException {
    Path target = followLinks(path.toAbsolutePath());
    Path dir = target.getParent();
    Files.createDirectories(dir);
    String name = target.getFileName().toString();
    deleteStaleTemps(dir, name);
    Path tmp =
        dir.resolve(
            "."
                + name
                + TMP_MARK
                + ProcessHandle.current().pid()
                + "-"
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()));
    try {
      // CREATE_NEW without explicit attributes: the mode comes from the umask, unlike
      // Files.createTempFile, which always makes a file only its owner can read.
      try (OutputStream out =
          Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        Npy.writeNpz(out, weights);
      }
      try {
        Files.move(
            tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Reads an archive written by {@link #write}; an archive with no entries reads as an empty map.
   *
   * @throws KilnException if the file is not an {@code .npz} archive or is damaged, naming it
   */
  public static Map<String, Tensor> read(Path path) throws IOException {
    return Npy.readNpzAllowEmpty(path);
  }

  /** The file a chain of symbolic links ends at (which need not exist yet). */
  private static Path followLinks(Path path) throws IOException {
    Path p = path;
    for (int i = 0; i < MAX_LINKS && Files.isSymbolicLink(p); i++) {
      // A relative link target is relative to the link's own directory.
      p = p.getParent().resolve(Files.readSymbolicLink(p)).normalize();
    }
    if (Files.isSymbolicLink(p)) {
      throw new KilnException(
          "cannot save weights to " + path + ": more than " + MAX_LINKS + " symbolic links");
    }
    return p;
  }

  /**
   * Deletes temporary files of earlier saves of {@code name} whose process has ended. A file whose
   * process id is alive again but started after the file was last written belongs to a reused id,
   * so it is stale too; one of a live writer (this process included) is left alone.
   */
  private static void deleteStaleTemps(Path dir, String name) {
    Pattern own = Pattern.compile(Pattern.quote("." + name + TMP_MARK) + "(\\d{1,18})-[0-9a-f]+");
    try (DirectoryStream<Path> entries =
        Files.newDirectoryStream(dir, "." + escapeGlob(name) + TMP_MARK + "*")) {
      for (Path p : entries) {
        Matcher m = own.matcher(p.getFileName().toString());
        if (m.matches() && stale(Long.parseLong(m.group(1)), Files.getLastModifiedTime(p))) {
          Files.deleteIfExists(p);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // Cleaning up is a courtesy: a temporary file that cannot be listed or removed must not
      // stop the save itself.
    }
  }

  private static boolean stale(long pid, FileTime written) {
    if (pid == ProcessHandle.current().pid()) {
      return false;
    }
    Optional<ProcessHandle> h = ProcessHandle.of(pid);
    if (h.isEmpty() || !h.get().isAlive()) {
      return true;
    }
    Optional<Instant> started = h.get().info().startInstant();
    return started.isPresent() && started.get().isAfter(written.toInstant());
  }

  private static String escapeGlob(String s) {
    return s.replaceAll("([\\\\*?\\[\\]{},])", "\\\\$1");
  }
}
