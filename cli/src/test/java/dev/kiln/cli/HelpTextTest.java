package dev.kiln.cli;

import static dev.kiln.cli.KilnTest.kiln;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The help of the commands that share option mixins ({@link ModelOptions}) stays word for word what
 * it was. After a deliberate change, rewrite the files with {@code
 * -Dkiln.help.write=src/test/resources/help}.
 */
class HelpTextTest {
  @ParameterizedTest
  @ValueSource(strings = {"predict", "evaluate"})
  void helpIsUnchanged(String command) throws IOException {
    KilnTest.Run r = kiln(command, "--help");
    assertEquals(0, r.code(), r.err());
    String write = System.getProperty("kiln.help.write");
    if (write != null) {
      Files.writeString(Path.of(write, command + ".txt"), r.out(), StandardCharsets.UTF_8);
      return;
    }
    String expected;
    try (var in = HelpTextTest.class.getResourceAsStream("/help/" + command + ".txt")) {
      expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertEquals(expected, r.out(), command + " --help");
  }
}
