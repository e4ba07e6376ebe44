package dev.kiln.api.saving;

import dev.kiln.api.KilnException;
import dev.kiln.api.models.Model;
import io.jhdf.HdfFile;
import io.jhdf.exceptions.HdfException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Keras 3's {@code .keras} archive: a zip holding {@code metadata.json} ({@code keras_version},
 * {@code date_saved}), {@code config.json} (the model's Keras envelope) and {@code
 * model.weights.h5} (the weights in {@link WeightsH5}'s layout), entries stored uncompressed as
 * Keras writes them.
 *
 * <p>An archive is untrusted input. Nothing is extracted to disk under an entry's name: an entry
 * whose name is absolute or climbs out with {@code ..} is refused (zip slip), an entry that
 * inflates past {@link #maxEntryBytes} is refused while it is being read (zip bomb), and a damaged
 * or truncated archive is an error naming the file.
 */
public final class KerasArchive {
  private KerasArchive() {}

  /** The Keras version Kiln's archives declare: the layout and config form it writes. */
  static final String KERAS_VERSION = "3.10.0";

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final long GIB = 1L << 30;
  private static final int MAX_ENTRIES = 100_000;
  private static final long MAX_JSON_BYTES = 256L << 20;

  /**
   * The metadata key holding {@link Model#randomState()}: Keras ignores keys it does not know, and
   * a seed is no weight, so it stays out of {@code model.weights.h5}.
   */
  static final String RANDOM_STATE = "kiln_random_state";

  /** What an archive holds. */
  record Contents(Map<String, Object> config, Map<String, Object> metadata, Path weights) {}

  /**
   * Writes {@code model} as a {@code .keras} archive, atomically.
   *
   * @throws KilnException if a weight cannot be written, naming it
   */
  public static void write(Model model, Path path) throws IOException {
    byte[] config = configJson(model);
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("keras_version", KERAS_VERSION);
    meta.put(
        "date_saved",
        LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd@HH:mm:ss")));
    meta.put("kiln_writer", "dev.kiln.api");
    if (model.randomState() != null) {
      meta.put(RANDOM_STATE, model.randomState());
    }
    byte[] metadata = JSON.writeValueAsBytes(meta);
    Path abs = path.toAbsolutePath();
    Files.createDirectories(abs.getParent());
    Path h5 = AtomicFiles.temp(abs.getParent(), abs.getFileName() + ".weights.h5");
    try {
      WeightsH5.writeTo(model, h5);
      AtomicFiles.write(
          abs,
          tmp -> {
            try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW);
                ZipOutputStream zip = new ZipOutputStream(out)) {
              stored(zip, "metadata.json", metadata);
              stored(zip, "config.json", config);
              stored(zip, "model.weights.h5", Files.readAllBytes(h5));
            }
          });
    } finally {
      Files.deleteIfExists(h5);
    }
  }

  private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(data.length);
    e.setCompressedSize(data.length);
    CRC32 crc = new CRC32();
    crc.update(data);
    e.setCrc(crc.getValue());
    zip.putNextEntry(e);
    zip.write(data);
    zip.closeEntry();
  }

  /**
   * The model's config as Keras 3's envelope ({@code module}, {@code class_name}, {@code config},
   * {@code registered_name}, {@code build_config}, {@code compile_config}).
   */
  private static byte[] configJson(Model model) {
    return model.toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * Reads a {@code .keras} archive: builds the model from its config and loads its weights.
   *
   * @throws KilnException if the archive is unsafe or damaged, if its config names a class Kiln
   *     does not know, or if the weights do not fit, naming the file and what is wrong
   */
  public static Model read(Path path) throws IOException {
    Contents c = open(path, maxEntryBytes(path));
    try {
      Model m = ModelFiles.fromConfig(c.config(), path + " (config.json)");
      loadInto(m, c, path);
      return m;
    } finally {
      Files.deleteIfExists(c.weights());
    }
  }

  /** Loads the weights of a {@code .keras} archive into {@code model}, by its structure. */
  public static void loadWeights(Model model, Path path) throws IOException {
    Contents c = open(path, maxEntryBytes(path));
    try {
      loadInto(model, c, path);
    } finally {
      Files.deleteIfExists(c.weights());
    }
  }

  private static void loadInto(Model model, Contents c, Path path) {
    try (HdfFile f = WeightsH5.open(c.weights())) {
      WeightsH5.load(model, f, Path.of(path + "!/model.weights.h5"));
      ModelFiles.optimizerStateLoaded(model);
      restoreRandomState(model, c.metadata(), path);
    } catch (HdfException e) {
      throw new KilnException(
          "archive " + path + ": model.weights.h5 is damaged: " + e.getMessage(), e);
    }
  }

  /** Sets the model's training seed stream where the saved run left it, when the archive says. */
  private static void restoreRandomState(Model model, Map<String, Object> metadata, Path path) {
    Object v = metadata.get(RANDOM_STATE);
    if (v == null) {
      return;
    }
    if (!(v instanceof Integer || v instanceof Long)) {
      throw new KilnException(
          "archive "
              + path
              + ": metadata.json key '"
              + RANDOM_STATE
              + "' must be a 64-bit integer, not "
              + v);
    }
    model.setRandomState(((Number) v).longValue());
  }

  /**
   * The most bytes one entry may inflate to: 100 times the archive, at least 64 MiB, at most 4 GiB;
   * Keras stores entries uncompressed, so an honest archive stays far below.
   */
  static long maxEntryBytes(Path path) throws IOException {
    long size = Files.size(path);
    return Math.min(4 * GIB, Math.max(64L << 20, size > 4 * GIB / 100 ? 4 * GIB : size * 100));
  }

  /**
   * Reads the archive's config and metadata and copies its weights to a temporary file, which the
   * caller deletes.
   */
  static Contents open(Path path, long maxEntryBytes) throws IOException {
    if (!Files.isRegularFile(path)) {
      throw new java.nio.file.NoSuchFileException(path.toString());
    }
    Map<String, Object> config = null;
    Map<String, Object> metadata = null;
    Path weights = null;
    try (ZipFile zip = new ZipFile(path.toFile())) {
      List<String> names = new ArrayList<>();
      Enumeration<? extends ZipEntry> en = zip.entries();
      int count = 0;
      while (en.hasMoreElements()) {
        ZipEntry e = en.nextElement();
        if (++count > MAX_ENTRIES) {
          throw new KilnException(
              "archive " + path + " has more than " + MAX_ENTRIES + " entries; refused");
        }
        checkName(e.getName(), path);
        names.add(e.getName());
      }
      ZipEntry ce = zip.getEntry("config.json");
      ZipEntry we = zip.getEntry("model.weights.h5");
      if (ce == null || we == null) {
        throw new KilnException(
            "archive "
                + path
                + " is not a Keras .keras archive: it has no "
                + (ce == null ? "config.json" : "model.weights.h5")
                + " (its entries: "
                + (names.size() > 20 ? names.subList(0, 20) + "..." : names)
                + ")");
      }
      config = json(zip, ce, path, Math.min(maxEntryBytes, MAX_JSON_BYTES));
      ZipEntry me = zip.getEntry("metadata.json");
      metadata =
          me == null ? Map.of() : json(zip, me, path, Math.min(maxEntryBytes, MAX_JSON_BYTES));
      weights = Files.createTempFile("kiln-keras-", ".weights.h5");
      try (InputStream in = zip.getInputStream(we);
          OutputStream out = Files.newOutputStream(weights)) {
        copyLimited(in, out, maxEntryBytes, path, we.getName());
      }
      Contents c = new Contents(config, metadata, weights);
      weights = null;
      return c;
    } catch (ZipException e) {
      throw new KilnException(
          "archive " + path + " is not a zip file or is damaged (truncated?): " + e.getMessage(),
          e);
    } finally {
      if (weights != null) {
        Files.deleteIfExists(weights);
      }
    }
  }

  /** Refuses names that would leave a folder the archive were extracted to. */
  private static void checkName(String name, Path path) {
    String n = name.replace('\\', '/');
    boolean absolute = n.startsWith("/") || (n.length() > 1 && n.charAt(1) == ':');
    boolean climbs = false;
    for (String part : n.split("/")) {
      climbs |= part.equals("..");
    }
    if (absolute || climbs || n.indexOf('\0') >= 0) {
      throw new KilnException(
          "archive "
              + path
              + " has an entry named '"
              + name
              + "', which "
              + (absolute ? "is an absolute path" : "leaves the archive's folder")
              + "; refused (zip slip)");
    }
  }

  private static Map<String, Object> json(ZipFile zip, ZipEntry e, Path path, long limit)
      throws IOException {
    java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
    try (InputStream in = zip.getInputStream(e)) {
      copyLimited(in, buf, limit, path, e.getName());
    }
    try {
      Object v = JSON.readValue(buf.toByteArray(), Object.class);
      if (!(v instanceof Map<?, ?> m)) {
        throw new KilnException("archive " + path + ": " + e.getName() + " is not a JSON object");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> out = (Map<String, Object>) m;
      return out;
    } catch (JacksonException ex) {
      throw new KilnException(
          "archive " + path + ": " + e.getName() + " is not valid JSON: " + ex.getOriginalMessage(),
          ex);
    }
  }

  /** Copies at most {@code limit} bytes, failing as soon as the entry inflates past it. */
  static void copyLimited(InputStream in, OutputStream out, long limit, Path path, String entry)
      throws IOException {
    byte[] buf = new byte[1 << 16];
    long total = 0;
    try {
      for (int n; (n = in.read(buf)) > 0; ) {
        total += n;
        if (total > limit) {
          throw new KilnException(
              "archive "
                  + path
                  + ": entry '"
                  + entry
                  + "' inflates past "
                  + limit
                  + " bytes; refused (zip bomb?)");
        }
        out.write(buf, 0, n);
      }
    } catch (ZipException e) {
      throw new KilnException(
          "archive " + path + ": entry '" + entry + "' is damaged: " + e.getMessage(), e);
    } catch (java.io.EOFException e) {
      throw new KilnException(
          "archive " + path + ": entry '" + entry + "' is truncated: " + e.getMessage(), e);
    }
  }
}
