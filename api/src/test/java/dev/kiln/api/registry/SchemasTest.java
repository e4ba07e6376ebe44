package dev.kiln.api.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.schemas.ConfigValidator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The schemas published by the config-schemas module are what the registry generates now: every
 * built-in class has its schema, every schema its class, and each file is byte for byte a fresh
 * generation. {@code -Dkiln.schemas.update=true} rewrites the files instead (see {@link #UPDATE}).
 */
class SchemasTest {
  /** How to regenerate the published schemas after changing a declaration. */
  static final String UPDATE =
      "regenerate them with: ./mvnw -B -q -o test -pl api -am -Dtest=SchemasTest"
          + " -Dsurefire.failIfNoSpecifiedTests=false -Dkiln.schemas.update=true";

  private static final JsonMapper JSON = JsonMapper.builder().build();

  // The tests run in the api module's folder.
  private static final Path SOURCES =
      Path.of("../config-schemas/src/main/resources/dev/kiln/schemas");

  static String text(Map<String, Object> schema) {
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(schema).replace("\r\n", "\n")
        + "\n";
  }

  @Test
  void publishedSchemasAreAFreshGeneration() throws IOException {
    SortedMap<String, Map<String, Object>> fresh = Schemas.generate();
    if (Boolean.getBoolean("kiln.schemas.update")) {
      write(fresh);
      return;
    }
    assertEquals(
        new TreeSet<>(fresh.keySet()),
        new TreeSet<>(ConfigValidator.schemas()),
        "the published schemas (config-schemas' index.json) are not those of the registered"
            + " classes; "
            + UPDATE);
    List<String> stale = new ArrayList<>();
    for (Map.Entry<String, Map<String, Object>> e : fresh.entrySet()) {
      String published = resource(e.getKey());
      if (!text(e.getValue()).equals(published)) {
        stale.add(e.getKey());
      }
    }
    String listed =
        stale.size() <= 10
            ? stale.toString()
            : stale.subList(0, 10) + " and " + (stale.size() - 10) + " more";
    assertTrue(
        stale.isEmpty(),
        stale.size() + " schemas differ from their declarations: " + listed + "; " + UPDATE);
  }

  @Test
  void everyBuiltInClassHasASchemaAndNoOther() {
    // While the files are rewritten, the class path still holds the old ones.
    org.junit.jupiter.api.Assumptions.assumeFalse(Boolean.getBoolean("kiln.schemas.update"));
    TreeSet<String> expected = new TreeSet<>();
    for (Kind kind : Kind.values()) {
      expected.add(Schemas.kindSchema(kind));
      for (String n : Registry.builtInClassNames(kind)) {
        expected.add(Schemas.classSchema(kind, n));
      }
    }
    expected.add(Schemas.MODEL);
    expected.add(Schemas.COMMON);
    expected.add(Schemas.INDEX);
    assertEquals(expected, new TreeSet<>(ConfigValidator.schemas()), UPDATE);
  }

  private static String resource(String path) {
    try (InputStream in =
        SchemasTest.class.getClassLoader().getResourceAsStream("dev/kiln/schemas/" + path)) {
      if (in == null) {
        return null;
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("\r\n", "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Rewrites the published files (each atomically) and removes those no class needs any more. */
  private static void write(SortedMap<String, Map<String, Object>> fresh) throws IOException {
    Files.createDirectories(SOURCES);
    try (Stream<Path> old = Files.walk(SOURCES)) {
      for (Path p : old.filter(Files::isRegularFile).toList()) {
        String rel = SOURCES.relativize(p).toString().replace('\\', '/');
        if (rel.endsWith(".json") && !fresh.containsKey(rel)) {
          Files.delete(p);
        }
      }
    }
    for (Map.Entry<String, Map<String, Object>> e : fresh.entrySet()) {
      Path target = SOURCES.resolve(e.getKey());
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempFile(target.getParent(), ".schema", ".tmp");
      Files.writeString(tmp, text(e.getValue()), StandardCharsets.UTF_8);
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
  }
}
