package dev.kiln.schemas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The training spec's schema: good specs pass, each kind of mistake is named by its JSON path. */
class TrainingSpecSchemaTest {
  private static final ConfigValidator V = ConfigValidator.forTrainingSpecs();

  private static final String GOOD =
      """
      {"model": "mlp.json",
       "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
                   "metrics": ["accuracy"]},
       "fit": {"epochs": 2, "batch_size": 64, "validation_split": 0.1, "shuffle": true, "seed": 7},
       "data": {"source": "iris.csv", "label": "species", "test_split": 0.2, "limit": 100}}
      """;

  private static List<String> paths(String json) {
    return V.validate(json).stream().map(ConfigError::path).toList();
  }

  @Test
  void goodSpecsPass() {
    assertEquals(List.of(), V.validate(GOOD));
    assertEquals(
        List.of(),
        V.validate("{\"model\": {\"class_name\": \"Sequential\"}, \"data\": \"mnist\"}"));
    assertEquals(ConfigValidator.TRAINING_SPEC, V.schemaName());
  }

  @Test
  void mistakesAreNamedByTheirPath() {
    assertEquals(
        List.of("$.fit.epochs"), paths(GOOD.replace("\"epochs\": 2", "\"epochs\": \"2\"")));
    assertEquals(List.of("$.fit.epochs"), paths(GOOD.replace("\"epochs\": 2", "\"epochs\": 0")));
    assertEquals(
        List.of("$.fit.validation_split"),
        paths(GOOD.replace("\"validation_split\": 0.1", "\"validation_split\": 1")));
    assertEquals(List.of("$.compile"), paths(GOOD.replace("\"optimizer\": \"adam\", ", "")));
    assertEquals(List.of("$.data.limit"), paths(GOOD.replace("\"limit\": 100", "\"limit\": -1")));
    // An unknown key is refused (a typo would otherwise be silently ignored) and named.
    List<ConfigError> typo = V.validate(GOOD.replace("\"batch_size\"", "\"batchsize\""));
    assertEquals(1, typo.size(), typo.toString());
    assertEquals("$.fit", typo.get(0).path());
    assertTrue(typo.get(0).message().contains("batchsize"), typo.toString());
    assertTrue(paths("{\"data\": \"mnist\"}").contains("$"), "model is required");
    assertTrue(paths(GOOD.replace("\"model\": \"mlp.json\"", "\"model\": 3")).contains("$.model"));
  }

  @Test
  void theSpecsTheProjectShipsPass() throws IOException {
    // The tests run in the module's folder.
    Path models = Path.of("../data/models");
    List<Path> specs;
    try (Stream<Path> s = Files.list(models)) {
      specs = s.filter(p -> p.getFileName().toString().endsWith(".train.json")).toList();
    }
    assertTrue(!specs.isEmpty(), "no *.train.json in " + models.toAbsolutePath());
    for (Path p : specs) {
      assertEquals(List.of(), V.validate(p), p.toString());
    }
  }
}
