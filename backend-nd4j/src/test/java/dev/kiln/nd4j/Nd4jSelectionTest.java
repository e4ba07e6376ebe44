package dev.kiln.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendProvider;
import dev.kiln.spi.backend.Backends;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Discovery finds nd4j below native; the property and the variable both select it. */
class Nd4jSelectionTest {
  @Test
  void discoveredAvailableAndBelowNative() {
    List<BackendProvider> found = Backends.providers();
    BackendProvider nd4j =
        found.stream().filter(p -> p.name().equals("nd4j")).findFirst().orElseThrow();
    assertTrue(nd4j.availability().available(), nd4j.availability().reason());
    BackendProvider nat =
        found.stream().filter(p -> p.name().equals("native")).findFirst().orElseThrow();
    assertTrue(nd4j.priority() < nat.priority());
    assertEquals("native", Backends.select(null, null, null, found).name());
  }

  @Test
  void propertyAndEnvironmentSelectIt() {
    List<BackendProvider> found = Backends.providers();
    assertEquals("nd4j", Backends.select(null, "nd4j", null, found).name(), "-Dkiln.backend");
    assertEquals("nd4j", Backends.select(null, null, "nd4j", found).name(), "KILN_BACKEND");
    assertEquals("nd4j", Backends.select(null, " ", "nd4j", found).name(), "blank property");
    try (Backend b = Backends.open("nd4j")) {
      assertEquals("nd4j:cpu:0", b.defaultDevice().toString());
    }
  }
}
