package dev.kiln.cli;

import static dev.kiln.cli.KilnTest.kiln;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BackendsCommandTest {
  @Test
  void listsTheEngineWithItsDefaultDeviceAndTheCudaStatusLine() {
    KilnTest.Run r = kiln("backends");
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    int engine = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).matches("[* ] native +priority .*")) {
        engine = i;
      }
    }
    assertTrue(engine >= 0, r.out());
    List<String> below = lines.subList(engine + 1, lines.size());
    assertTrue(below.stream().anyMatch(l -> l.startsWith("    device native:cpu:0")), r.out());
    // Without a GPU (CI), the line says why; with one, it counts the devices and libraries.
    assertTrue(
        below.stream()
            .anyMatch(
                l ->
                    l.startsWith("    CUDA: none (")
                        || l.matches("    CUDA \\d+\\.\\d+: \\d+ devices?; .*")),
        r.out());
  }

  @Test
  void noDevicesSkipsOpening() {
    KilnTest.Run r = kiln("backends", "--no-devices");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().lines().noneMatch(l -> l.startsWith("    ")), r.out());
  }
}
