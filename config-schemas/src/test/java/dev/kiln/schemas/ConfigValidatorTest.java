package dev.kiln.schemas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The validator on its own: broken documents are errors at {@code $}, never exceptions; unknown
 * schemas are named; long lists of names are cut to the nearest ones.
 */
class ConfigValidatorTest {
  private static final String DENSE =
      "{\"class_name\": \"Dense\", \"config\": {\"units\": %s}, \"registered_name\": null}";

  @Test
  void everyPublishedSchemaLoads() {
    assertTrue(ConfigValidator.schemas().contains("model.json"));
    assertTrue(ConfigValidator.schemas().contains("layer/Dense.json"));
    for (String s : ConfigValidator.schemas()) {
      if (!s.equals("index.json")) {
        assertEquals(s, ConfigValidator.forSchema(s).schemaName());
      }
    }
  }

  @Test
  void aLayerEntryIsCheckedAgainstItsClass() {
    ConfigValidator v = ConfigValidator.forSchema("layer.json");
    assertEquals(List.of(), v.validate(DENSE.formatted("8")));
    List<ConfigError> errors = v.validate(DENSE.formatted("\"8\""));
    assertEquals(1, errors.size(), errors.toString());
    assertEquals("$.config.units", errors.get(0).path());
  }

  @Test
  void malformedJsonIsOneErrorAtTheRoot() {
    List<ConfigError> errors = ConfigValidator.forModels().validate("{\"class_name\": \"Dense\",");
    assertEquals(1, errors.size());
    assertEquals("$", errors.get(0).path());
    assertTrue(errors.get(0).message().startsWith("not valid JSON at line 1"), errors.toString());
  }

  @Test
  void aDeeplyNestedDocumentIsRefusedBeforeValidation() {
    String deep = "[".repeat(100_000) + "]".repeat(100_000);
    List<ConfigError> errors = ConfigValidator.forModels().validate(deep);
    assertEquals(1, errors.size());
    assertEquals("$", errors.get(0).path());
    assertTrue(errors.get(0).message().contains("not valid JSON"), errors.toString());
  }

  @Test
  void aFileErrorNamesTheFile(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("broken.json");
    Files.writeString(f, "{\"config\": ");
    List<ConfigError> errors = ConfigValidator.forModels().validate(f);
    assertEquals(1, errors.size());
    assertTrue(errors.get(0).message().startsWith(f.toString()), errors.toString());
  }

  @Test
  void anUnknownSchemaIsNamed() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> ConfigValidator.forSchema("layer/Dens.json"));
    assertTrue(e.getMessage().contains("'layer/Dens.json'"), e.getMessage());
  }

  @Test
  void nearestNamesIgnoreCaseAndUnderscores() {
    List<String> near =
        ConfigValidator.nearest(
            "dense", List.of("Reshape", "EinsumDense", "Dense", "Zzzzzzzzz", "Conv2D"));
    assertEquals(3, near.size());
    assertEquals("Dense", near.get(0));
    assertTrue(!near.contains("Zzzzzzzzz"), near.toString());
    assertEquals("relu", ConfigValidator.nearest("re_lu", List.of("elu", "relu", "selu")).get(0));
  }
}
