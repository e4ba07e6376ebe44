package dev.kiln.applications;

import dev.kiln.api.KilnException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * Where an application's weights come from. {@code "imagenet"} names Keras's own file in the Keras
 * cache, {@code <cache>/models/<Keras's file name>}; the cache is the {@code kiln.keras.home}
 * system property, else the {@code KERAS_HOME} environment variable, else {@code ~/.keras}. By
 * default nothing is downloaded: a missing file is an error that says where to put it. With {@code
 * -Dkiln.keras.download=true} or {@code KILN_KERAS_DOWNLOAD=1} a missing file is downloaded from
 * Keras's URL for it ({@link KerasDownload}).
 *
 * <p>Before a Keras file is loaded its md5 or sha256 is checked against the hash Keras publishes
 * for it (the table {@code keras_weights_hashes.txt} in this package, which names its sources);
 * {@code -Dkiln.keras.skipHashCheck=true} skips the check. Files Keras publishes no hash for are
 * not checked.
 */
public final class KerasWeights {
  /** The system property that, set to {@code true}, skips checking Keras's files' hashes. */
  public static final String SKIP_HASH_CHECK = "kiln.keras.skipHashCheck";

  private static final String HASHES = "keras_weights_hashes.txt";

  /**
   * The prefix of weights Kiln ships in this module ({@code kiln:fashion_mnist}); {@link
   * ShippedWeights} lists them and loads them by layer name.
   */
  public static final String KILN_PREFIX = "kiln:";

  private KerasWeights() {}

  /** The Keras cache directory ({@code ~/.keras} unless configured). */
  public static Path cacheDir() {
    String p = System.getProperty("kiln.keras.home");
    if (p == null || p.isBlank()) {
      p = System.getenv("KERAS_HOME");
    }
    if (p == null || p.isBlank()) {
      return Path.of(System.getProperty("user.home"), ".keras");
    }
    return Path.of(p);
  }

  /**
   * The file that a {@code weights} argument names for a model.
   *
   * @param weights {@code "imagenet"}, {@code "kiln:NAME"} or a path
   * @param model the model's Keras name, for messages
   * @param kerasFile Keras's file name for its ImageNet weights of this configuration, or null
   * @throws KilnException if the weights are not there, naming where they were looked for
   */
  static Path resolve(String weights, String model, String kerasFile) {
    return resolve(weights, model, kerasFile, KnownHashes.TABLE);
  }

  /** As {@link #resolve(String, String, String)}, with the hashes from {@code table}. */
  static Path resolve(String weights, String model, String kerasFile, Map<String, String> table) {
    // Only "imagenet" reads the download settings, so a bad one cannot break weights(path).
    KerasDownload.Settings download =
        "imagenet".equals(weights) ? KerasDownload.Settings.fromEnvironment() : null;
    return resolve(weights, model, kerasFile, table, download);
  }

  /**
   * As {@link #resolve(String, String, String, Map)}, downloading a missing Keras file as {@code
   * download} allows.
   */
  static Path resolve(
      String weights,
      String model,
      String kerasFile,
      Map<String, String> table,
      KerasDownload.Settings download) {
    if (weights.startsWith(KILN_PREFIX)) {
      // Shipped weights are resources, not files: the builder loads them through ShippedWeights.
      throw new KilnException(
          "the weights '" + weights + "' for " + model + " ship inside Kiln and have no file path");
    }
    if (!"imagenet".equals(weights)) {
      return Path.of(weights);
    }
    if (kerasFile == null) {
      throw new KilnException(
          "Keras publishes no ImageNet weights for " + model + " in this configuration");
    }
    Path file = cacheDir().resolve("models").resolve(kerasFile);
    String expected = table.get(kerasFile);
    if (!Files.isRegularFile(file) && download.enabled()) {
      // fetch checks the hash before the file is moved into place, so it is not checked twice.
      KerasDownload.fetch(KerasDownload.urlFor(kerasFile, download), file, expected, download);
      return file;
    }
    if (!Files.isRegularFile(file)) {
      throw new KilnException(
          "ImageNet weights for "
              + model
              + " not found at "
              + file
              + "; put Keras's file '"
              + kerasFile
              + "' there (set the cache with -Dkiln.keras.home or KERAS_HOME), or pass its path"
              + " to weights(...); or, "
              + KerasDownload.howToOptIn());
    }
    if (expected != null && !Boolean.getBoolean(SKIP_HASH_CHECK)) {
      checkHash(file, expected);
    }
    return file;
  }

  /**
   * Checks a file against a hash as Keras's {@code get_file} does: sha256 for 64 hex digits, md5
   * for 32.
   *
   * @throws KilnException if the file's hash differs, naming the file and both hashes
   */
  static void checkHash(Path file, String expected) {
    String algorithm =
        switch (expected.length()) {
          case 64 -> "SHA-256";
          case 32 -> "MD5";
          default ->
              throw new KilnException(
                  "the hash '"
                      + expected
                      + "' for "
                      + file.getFileName()
                      + " is neither an md5 (32 hex digits) nor a sha256 (64)");
        };
    String actual;
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance(algorithm);
      byte[] buffer = new byte[1 << 20];
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        digest.update(buffer, 0, n);
      }
      actual = HexFormat.of().formatHex(digest.digest());
    } catch (IOException e) {
      throw new KilnException("cannot read " + file + " to check its hash: " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " is missing from this JDK", e);
    }
    if (!actual.equalsIgnoreCase(expected)) {
      throw new KilnException(
          "the weights file "
              + file
              + " does not have the "
              + (algorithm.equals("MD5") ? "md5" : "sha256")
              + " Keras publishes for it: expected "
              + expected.toLowerCase(java.util.Locale.ROOT)
              + ", got "
              + actual
              + ". It is damaged or not Keras's file: fetch it again, or set -D"
              + SKIP_HASH_CHECK
              + "=true to load it anyway");
    }
  }

  /** The table of Keras's hashes, read once when first needed. */
  private static final class KnownHashes {
    static final Map<String, String> TABLE = read();

    private static Map<String, String> read() {
      return ResourceTable.read(
          HASHES,
          parts -> parts[1].matches("[0-9a-f]{32}|[0-9a-f]{64}"),
          "'<file> <md5 or sha256>'");
    }
  }

  /** Keras's published hashes by file name (unmodifiable). */
  static Map<String, String> knownHashes() {
    return KnownHashes.TABLE;
  }
}
