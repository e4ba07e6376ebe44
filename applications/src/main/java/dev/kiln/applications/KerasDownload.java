package dev.kiln.applications;

import dev.kiln.api.KilnException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * The opt-in download of Keras's ImageNet weight files into the Keras cache. Off unless {@code
 * -Dkiln.keras.download=true} or {@code KILN_KERAS_DOWNLOAD=1}; the URL of each file comes from
 * {@code keras_weights_urls.txt} (Keras's own URLs, with their sources), or from {@code
 * -Dkiln.keras.baseUrl} (a mirror holding the files under Keras's cache names).
 *
 * <p>A file is written to a temp file in the cache's {@code models/} directory, its hash checked,
 * then moved into place atomically; on any failure the temp file is deleted and the error names the
 * URL, the target path and the cause.
 */
final class KerasDownload {
  /** The system property that, set to {@code true}, switches downloading on. */
  static final String DOWNLOAD = "kiln.keras.download";

  /** The environment variable that, set to {@code 1} or {@code true}, switches downloading on. */
  static final String DOWNLOAD_ENV = "KILN_KERAS_DOWNLOAD";

  /** The system property naming a base URL to fetch every file from, by its cache name. */
  static final String BASE_URL = "kiln.keras.baseUrl";

  /** The system property capping a download's size in bytes. */
  static final String MAX_BYTES = "kiln.keras.maxDownloadBytes";

  // The largest of Keras's files (ConvNeXtXLarge with its top) is about 1.4 GB.
  static final long DEFAULT_MAX_BYTES = 2L << 30;
  static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(30);
  // Bounds the wait for the response's headers; the body is bounded by the size cap.
  static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofMinutes(2);

  private static final String URLS = "keras_weights_urls.txt";

  /**
   * How downloads behave.
   *
   * @param enabled whether a missing file may be downloaded
   * @param baseUrl a base URL overriding Keras's (file name appended), or null
   * @param urls the table of Keras's URLs ({@link #knownUrls()} unless testing)
   * @param maxBytes the largest file accepted
   * @param connectTimeout the limit on connecting
   */
  record Settings(
      boolean enabled,
      String baseUrl,
      Map<String, String> urls,
      long maxBytes,
      Duration connectTimeout) {

    /** The settings from the system properties and environment. */
    static Settings fromEnvironment() {
      String env = System.getenv(DOWNLOAD_ENV);
      boolean on =
          Boolean.getBoolean(DOWNLOAD)
              || "1".equals(env)
              || (env != null && env.equalsIgnoreCase("true"));
      String base = System.getProperty(BASE_URL);
      long max = DEFAULT_MAX_BYTES;
      String m = System.getProperty(MAX_BYTES);
      if (m != null && !m.isBlank()) {
        try {
          max = Long.parseLong(m.strip());
        } catch (NumberFormatException e) {
          throw new KilnException("-D" + MAX_BYTES + "=" + m + " is not a number of bytes", e);
        }
      }
      return new Settings(
          on,
          base == null || base.isBlank() ? null : base,
          knownUrls(),
          max,
          DEFAULT_CONNECT_TIMEOUT);
    }
  }

  private KerasDownload() {}

  /** How to switch downloading on, for messages. */
  static String howToOptIn() {
    return "to let Kiln download it from Keras's URL, set -D"
        + DOWNLOAD
        + "=true or "
        + DOWNLOAD_ENV
        + "=1";
  }

  /**
   * The URL a cache file is downloaded from.
   *
   * @throws KilnException if no URL is known for the file, naming it
   */
  static URI urlFor(String kerasFile, Settings settings) {
    if (settings.baseUrl() != null) {
      String b = settings.baseUrl();
      return URI.create(b.endsWith("/") ? b + kerasFile : b + "/" + kerasFile);
    }
    String exact = settings.urls().get(kerasFile);
    if (exact != null) {
      return URI.create(exact);
    }
    String best = null;
    for (Map.Entry<String, String> e : settings.urls().entrySet()) {
      String k = e.getKey();
      if (k.endsWith("*")
          && kerasFile.startsWith(k.substring(0, k.length() - 1))
          && (best == null || k.length() > best.length())) {
        best = k;
      }
    }
    if (best == null) {
      throw new KilnException(
          "Kiln knows no verified download URL for Keras's file '"
              + kerasFile
              + "' (see "
              + URLS
              + "): put the file in the cache by hand, or set -D"
              + BASE_URL
              + " to a mirror that holds it");
    }
    return URI.create(settings.urls().get(best) + kerasFile);
  }

  /**
   * Downloads {@code url} to {@code target} through a temp file in its directory, checks it against
   * {@code expectedHash} (unless null or skipped) and moves it into place atomically.
   *
   * @throws KilnException naming the URL, the target and the cause; nothing is left behind
   */
  static void fetch(URI url, Path target, String expectedHash, Settings settings) {
    Path dir = target.toAbsolutePath().getParent();
    Path temp = null;
    try {
      Files.createDirectories(dir);
      temp = Files.createTempFile(dir, target.getFileName() + ".", ".part");
      copy(url, temp, settings);
      if (expectedHash != null && !Boolean.getBoolean(KerasWeights.SKIP_HASH_CHECK)) {
        KerasWeights.checkHash(temp, expectedHash);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      temp = null;
    } catch (KilnException e) {
      throw failure(url, target, e.getMessage(), e);
    } catch (UnknownHostException e) {
      throw failure(url, target, "unknown host " + url.getHost(), e);
    } catch (HttpConnectTimeoutException e) {
      throw failure(
          url,
          target,
          "connecting timed out after " + settings.connectTimeout().toSeconds() + " s",
          e);
    } catch (HttpTimeoutException e) {
      throw failure(
          url, target, "no response within " + DEFAULT_RESPONSE_TIMEOUT.toSeconds() + " s", e);
    } catch (ConnectException e) {
      if (e.getCause() instanceof UnresolvedAddressException) {
        // The JDK's client reports a name that does not resolve as a failed connection.
        throw failure(url, target, "unknown host " + url.getHost(), e);
      }
      throw failure(
          url,
          target,
          "cannot connect to "
              + url.getHost()
              + (url.getPort() >= 0 ? ":" + url.getPort() : "")
              + " ("
              + (e.getMessage() != null ? e.getMessage() : "connection refused")
              + ")",
          e);
    } catch (IOException e) {
      throw failure(url, target, e.toString(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failure(url, target, "interrupted", e);
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException ignored) {
          // The error being thrown matters more than a leftover .part file, which names itself.
        }
      }
    }
  }

  private static void copy(URI url, Path temp, Settings settings)
      throws IOException, InterruptedException {
    try (HttpClient client =
        HttpClient.newBuilder()
            .connectTimeout(settings.connectTimeout())
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build()) {
      HttpRequest request =
          HttpRequest.newBuilder(url).timeout(DEFAULT_RESPONSE_TIMEOUT).GET().build();
      HttpResponse<InputStream> response =
          client.send(request, HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = response.body()) {
        if (response.statusCode() != 200) {
          throw new KilnException("the server answered HTTP status " + response.statusCode());
        }
        long declared = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (declared > settings.maxBytes()) {
          throw new KilnException(tooLarge(declared + " bytes", settings));
        }
        long total = 0;
        byte[] buffer = new byte[1 << 16];
        try (OutputStream out = Files.newOutputStream(temp)) {
          for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            total += n;
            if (total > settings.maxBytes()) {
              throw new KilnException(tooLarge("over " + settings.maxBytes() + " bytes", settings));
            }
            out.write(buffer, 0, n);
          }
        }
      }
    }
  }

  private static String tooLarge(String size, Settings settings) {
    return "the file is "
        + size
        + ", more than the cap of "
        + settings.maxBytes()
        + " bytes (raise it with -D"
        + MAX_BYTES
        + ")";
  }

  private static KilnException failure(URI url, Path target, String cause, Exception e) {
    return new KilnException("cannot download " + url + " to " + target + ": " + cause, e);
  }

  /** Keras's download URLs by cache file name or prefix (unmodifiable). */
  static Map<String, String> knownUrls() {
    return KnownUrls.TABLE;
  }

  private static final class KnownUrls {
    static final Map<String, String> TABLE = read();

    private static Map<String, String> read() {
      return ResourceTable.read(
          URLS,
          parts ->
              parts[1].toLowerCase(Locale.ROOT).startsWith("https://")
                  && parts[0].endsWith("*") == parts[1].endsWith("/"),
          "'<prefix>* <https base URL/>' or '<file> <https URL>'");
    }
  }
}
