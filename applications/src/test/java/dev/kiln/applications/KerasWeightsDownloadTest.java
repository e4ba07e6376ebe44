package dev.kiln.applications;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.kiln.api.KilnException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The opt-in download of Keras's weights, against a local HTTP server (no network is needed). */
class KerasWeightsDownloadTest {
  private static final String FILE = "fake_weights.h5";
  private static final byte[] BODY = "not really weights".getBytes(StandardCharsets.US_ASCII);
  // sha256 of the bytes "not really weights", from Python's hashlib (as in ApplicationsTest).
  private static final String FAKE_SHA256 =
      "6bc9509551b471fd7d25a12b99a9d825e866b1ad02f9f9b5071757ab66d30e68";

  @TempDir Path home;
  private HttpServer server;
  private final AtomicInteger requests = new AtomicInteger();
  private String oldHome;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/ok/" + FILE,
        exchange -> {
          requests.incrementAndGet();
          exchange.sendResponseHeaders(200, BODY.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(BODY);
          }
        });
    server.createContext(
        "/chunked/" + FILE,
        exchange -> {
          requests.incrementAndGet();
          // Length 0: chunked, so the size cap has to count the bytes as they come.
          exchange.sendResponseHeaders(200, 0);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(BODY);
          }
        });
    server.createContext(
        "/missing/",
        exchange -> {
          requests.incrementAndGet();
          exchange.sendResponseHeaders(404, -1);
          exchange.close();
        });
    server.start();
    oldHome = System.getProperty("kiln.keras.home");
    System.setProperty("kiln.keras.home", home.toString());
  }

  @AfterEach
  void stop() {
    server.stop(0);
    if (oldHome == null) {
      System.clearProperty("kiln.keras.home");
    } else {
      System.setProperty("kiln.keras.home", oldHome);
    }
  }

  private String base(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + path + "/";
  }

  private static KerasDownload.Settings on(String baseUrl, long maxBytes) {
    return new KerasDownload.Settings(
        true, baseUrl, KerasDownload.knownUrls(), maxBytes, Duration.ofSeconds(5));
  }

  private Path models() {
    return home.resolve("models");
  }

  /** What is in the cache's models directory (empty if it does not exist). */
  private List<String> cacheContents() throws IOException {
    if (!Files.isDirectory(models())) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(models())) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void missingFileIsDownloadedCheckedAndMovedIntoPlaceOnce() throws Exception {
    KerasDownload.Settings settings = on(base("ok"), 1 << 20);
    Path got = KerasWeights.resolve("imagenet", "fake", FILE, Map.of(FILE, FAKE_SHA256), settings);
    assertEquals(models().resolve(FILE), got);
    assertEquals(new String(BODY, StandardCharsets.US_ASCII), Files.readString(got));
    assertEquals(List.of(FILE), cacheContents(), "no temp file is left beside it");
    assertEquals(1, requests.get());
    // A file already in the cache is not fetched again.
    KerasWeights.resolve("imagenet", "fake", FILE, Map.of(FILE, FAKE_SHA256), settings);
    assertEquals(1, requests.get());
  }

  @Test
  void httpErrorNamesUrlStatusAndTargetAndLeavesNothing() throws Exception {
    KilnException e =
        assertThrows(
            KilnException.class,
            () ->
                KerasWeights.resolve(
                    "imagenet",
                    "fake",
                    FILE,
                    Map.of(FILE, FAKE_SHA256),
                    on(base("missing"), 1 << 20)));
    String m = e.getMessage();
    assertTrue(m.contains(base("missing") + FILE), m);
    assertTrue(m.contains("HTTP status 404"), m);
    assertTrue(m.contains(models().resolve(FILE).toString()), m);
    assertEquals(List.of(), cacheContents());
  }

  @Test
  void downloadWithWrongHashIsRefusedAndLeavesNothing() throws Exception {
    Map<String, String> wrong = Map.of(FILE, "1".repeat(64));
    KilnException e =
        assertThrows(
            KilnException.class,
            () -> KerasWeights.resolve("imagenet", "fake", FILE, wrong, on(base("ok"), 1 << 20)));
    String m = e.getMessage();
    assertTrue(m.contains(base("ok") + FILE), m);
    assertTrue(m.contains("expected " + "1".repeat(64)), m);
    assertTrue(m.contains("got " + FAKE_SHA256), m);
    assertEquals(1, requests.get());
    assertEquals(List.of(), cacheContents());
  }

  @Test
  void withDownloadOffTheMessageSaysHowToOptInAndNothingIsFetched() throws Exception {
    KerasDownload.Settings off =
        new KerasDownload.Settings(
            false, base("ok"), KerasDownload.knownUrls(), 1 << 20, Duration.ofSeconds(5));
    KilnException e =
        assertThrows(
            KilnException.class,
            () -> KerasWeights.resolve("imagenet", "fake", FILE, Map.of(FILE, FAKE_SHA256), off));
    String m = e.getMessage();
    assertTrue(m.contains("not found at " + models().resolve(FILE)), m);
    assertTrue(m.contains("-Dkiln.keras.download=true"), m);
    assertTrue(m.contains("KILN_KERAS_DOWNLOAD=1"), m);
    assertEquals(0, requests.get());
    assertEquals(List.of(), cacheContents());
  }

  @Test
  void unreachableHostIsAClearError() throws Exception {
    // Port 1 on the loopback address: nothing listens, so the connection is refused at once.
    KilnException e =
        assertThrows(
            KilnException.class,
            () ->
                KerasWeights.resolve(
                    "imagenet",
                    "fake",
                    FILE,
                    Map.of(FILE, FAKE_SHA256),
                    on("http://127.0.0.1:1", 1 << 20)));
    String m = e.getMessage();
    assertTrue(m.contains("http://127.0.0.1:1/" + FILE), m);
    assertTrue(m.contains("cannot connect to 127.0.0.1:1"), m);
    assertTrue(m.contains(models().resolve(FILE).toString()), m);
    assertEquals(List.of(), cacheContents());
  }

  @Test
  void filesOverTheSizeCapAreRefusedWhetherOrNotTheirLengthIsDeclared() throws Exception {
    for (String path : List.of("ok", "chunked")) {
      KilnException e =
          assertThrows(
              KilnException.class,
              () ->
                  KerasWeights.resolve(
                      "imagenet",
                      "fake",
                      FILE,
                      Map.of(FILE, FAKE_SHA256),
                      on(base(path), BODY.length - 1)));
      assertTrue(e.getMessage().contains("cap of " + (BODY.length - 1) + " bytes"), e.getMessage());
      assertTrue(e.getMessage().contains(KerasDownload.MAX_BYTES), e.getMessage());
      assertEquals(List.of(), cacheContents(), path);
    }
    // Exactly at the cap is accepted.
    KerasWeights.resolve(
        "imagenet", "fake", FILE, Map.of(FILE, FAKE_SHA256), on(base("chunked"), BODY.length));
    assertEquals(List.of(FILE), cacheContents());
  }

  @Test
  void systemPropertiesSwitchDownloadingOnAndPointItAtAMirror() throws Exception {
    System.setProperty(KerasDownload.DOWNLOAD, "true");
    System.setProperty(KerasDownload.BASE_URL, base("ok"));
    try {
      // The overload ApplicationBuilder uses reads the settings from the system properties.
      Path got = KerasWeights.resolve("imagenet", "fake", FILE, Map.of(FILE, FAKE_SHA256));
      assertEquals(models().resolve(FILE), got);
      assertEquals(1, requests.get());
    } finally {
      System.clearProperty(KerasDownload.DOWNLOAD);
      System.clearProperty(KerasDownload.BASE_URL);
    }
  }

  @Test
  void kerasUrlsComeFromTheTableAndUnverifiedFamiliesAreRefused() {
    KerasDownload.Settings keras = on(null, 1 << 20);
    String gcs = "https://storage.googleapis.com/tensorflow/keras-applications/";
    assertEquals(
        URI.create(gcs + "resnet/resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        KerasDownload.urlFor("resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5", keras));
    // EfficientNet's files live in another bucket than the rest.
    assertEquals(
        URI.create("https://storage.googleapis.com/keras-applications/efficientnetb0_notop.h5"),
        KerasDownload.urlFor("efficientnetb0_notop.h5", keras));
    assertEquals(
        URI.create(gcs + "efficientnet_v2/efficientnetv2-s.h5"),
        KerasDownload.urlFor("efficientnetv2-s.h5", keras));
    // NASNet's server-side names differ from its cache names.
    assertEquals(
        URI.create(gcs + "nasnet/NASNet-mobile-no-top.h5"),
        KerasDownload.urlFor("nasnet_mobile_no_top.h5", keras));
    KilnException e =
        assertThrows(
            KilnException.class,
            () -> KerasDownload.urlFor("xception_weights_tf_dim_ordering_tf_kernels.h5", keras));
    assertTrue(
        e.getMessage().contains("xception_weights_tf_dim_ordering_tf_kernels.h5"), e.getMessage());
    assertTrue(e.getMessage().contains(KerasDownload.BASE_URL), e.getMessage());
    // Every file in the hash table of a verified family has a URL; the others are refused.
    long withUrl = 0;
    for (String file : KerasWeights.knownHashes().keySet()) {
      try {
        URI u = KerasDownload.urlFor(file, keras);
        assertTrue(u.toString().startsWith("https://storage.googleapis.com/"), u.toString());
        withUrl++;
      } catch (KilnException refused) {
        assertFalse(
            file.startsWith("resnet") || file.startsWith("convnext") || file.startsWith("densenet"),
            file);
      }
    }
    // 84 hashed files, less VGG19 (2), Xception (2), InceptionV3 (2), InceptionResNetV2 (2).
    assertEquals(76, withUrl);
  }
}
