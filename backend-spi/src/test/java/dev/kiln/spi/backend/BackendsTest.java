package dev.kiln.spi.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spi.testkit.ReferenceBackend;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Selection order, priorities, and the errors that list what was found. */
class BackendsTest {
  record Fake(String name, int priority, Availability availability) implements BackendProvider {
    @Override
    public Backend open(BackendOptions options) {
      throw new UnsupportedOperationException("not opened in these tests");
    }
  }

  private final Fake fast = new Fake("native", 100, Availability.yes());
  private final Fake slow = new Fake("nd4j", 50, Availability.yes());
  private final Fake broken =
      new Fake("cuda", 200, Availability.no("no CUDA driver (libcuda.so.1 not found)"));
  private final List<BackendProvider> found = List.of(slow, broken, fast);

  @Test
  void highestAvailablePriorityWinsByDefault() {
    assertEquals("native", Backends.select(null, null, null, found).name());
  }

  @Test
  void explicitBeatsPropertyBeatsEnvironment() {
    assertEquals("nd4j", Backends.select("nd4j", "native", "native", found).name());
    assertEquals("nd4j", Backends.select(null, "nd4j", "native", found).name());
    assertEquals("nd4j", Backends.select(null, null, "nd4j", found).name());
    assertEquals("native", Backends.select(null, " ", "", found).name());
  }

  @Test
  void anUnknownNameListsWhatWasFoundAndTheArtifact() {
    BackendException e =
        assertThrows(
            BackendException.class,
            () -> Backends.select(null, null, "nd4j", List.of(fast, broken)));
    assertTrue(
        e.getMessage().contains("No backend named 'nd4j' (selected by KILN_BACKEND)"),
        e.getMessage());
    assertTrue(e.getMessage().contains("native (priority 100, available)"), e.getMessage());
    assertTrue(
        e.getMessage().contains("cuda (priority 200, unavailable: no CUDA driver"), e.getMessage());
    assertTrue(e.getMessage().contains("dev.kiln:backend-nd4j"), e.getMessage());
  }

  @Test
  void anUnavailableSelectionSaysWhy() {
    BackendException e =
        assertThrows(BackendException.class, () -> Backends.select(null, "cuda", null, found));
    assertTrue(
        e.getMessage()
            .contains("'cuda' (selected by -Dkiln.backend) is not available: no CUDA driver"),
        e.getMessage());
  }

  @Test
  void nothingAvailable() {
    BackendException e =
        assertThrows(
            BackendException.class, () -> Backends.select(null, null, null, List.of(broken)));
    assertTrue(e.getMessage().contains("No Kiln backend is available"), e.getMessage());
    assertTrue(e.getMessage().contains("cuda (priority 200, unavailable"), e.getMessage());
    e = assertThrows(BackendException.class, () -> Backends.select(null, null, null, List.of()));
    assertTrue(e.getMessage().contains("Found no backends"), e.getMessage());
  }

  @Test
  void serviceLoaderFindsTheReferenceBackendOfTheTestKit() {
    assertTrue(Backends.providers().stream().anyMatch(p -> p.name().equals(ReferenceBackend.NAME)));
    try (Backend b = Backends.open(ReferenceBackend.NAME)) {
      assertEquals(ReferenceBackend.NAME, b.name());
      assertEquals("reference:cpu:0", b.defaultDevice().toString());
    }
  }
}
