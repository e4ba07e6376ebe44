package dev.kiln.schemas;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.PathType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Checks a Keras config against Kiln's published JSON Schemas; each error names the JSON path of
 * the value at fault.
 *
 * {@snippet :
 * List<ConfigError> errors = ConfigValidator.forModels().validate(Path.of("model.json"));
 * errors.forEach(e -> System.err.println(e)); // $.config.layers[2].config.units: string found, integer expected
 * }
 *
 * <p>Configs are untrusted input: malformed JSON and documents nested deeper than {@link
 * #MAX_DEPTH} levels are reported as one error at {@code $}, never thrown.
 */
public final class ConfigValidator {
  /** The base of every schema's {@code $id}; the files lie under {@code dev/kiln/schemas/}. */
  public static final String BASE = "https://kiln.dev/schemas/";

  /** The model envelope's schema. */
  public static final String MODEL = "model.json";

  /**
   * The base of the hand-written schemas of Kiln's own files (not Keras configs); they lie under
   * {@code dev/kiln/specs/}, apart from the generated ones.
   */
  public static final String SPECS_BASE = "https://kiln.dev/specs/";

  /** The schema of {@code kiln train}'s training specs, under {@link #SPECS_BASE}. */
  public static final String TRAINING_SPEC = "training-spec.json";

  /**
   * The deepest nesting read. Keras configs nest a few dozen levels (a model in a model in a
   * wrapper layer); deeper documents are refused before validation recurses through them.
   */
  public static final int MAX_DEPTH = 256;

  private static final String RESOURCES = "dev/kiln/schemas/";

  private static final String SPEC_RESOURCES = "dev/kiln/specs/";

  // Enumerations longer than this (every layer class) are summarised by the nearest names.
  private static final int LONG_ENUM = 12;

  private static final ObjectMapper JSON =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                  // Python's json module writes NaN and Infinity, so Keras configs may hold them.
                  .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                  .build())
          .build();

  private static final SchemaRegistry REGISTRY =
      SchemaRegistry.withDefaultDialect(
          SpecificationVersion.DRAFT_2020_12,
          b ->
              b.schemaIdResolvers(
                      r ->
                          r.mapPrefix(BASE, "classpath:" + RESOURCES)
                              .mapPrefix(SPECS_BASE, "classpath:" + SPEC_RESOURCES))
                  .schemaRegistryConfig(
                      SchemaRegistryConfig.builder()
                          .pathType(PathType.JSON_PATH)
                          // 8.0 is an integer, as JSON Schema says and as Kiln reads it.
                          .losslessNarrowing(true)
                          .build()));

  private static final Map<String, ConfigValidator> CACHE = new ConcurrentHashMap<>();

  private final String name;
  private final Schema schema;

  private ConfigValidator(String name, Schema schema) {
    this.name = name;
    this.schema = schema;
  }

  /** A validator of whole models ({@code model.json}): what {@code model.to_json()} writes. */
  public static ConfigValidator forModels() {
    return forSchema(MODEL);
  }

  /**
   * A validator of {@code kiln train}'s training specs: {@code {model, compile, fit, data}}. The
   * {@code model} entry is only checked to be a config object or a path here; validate the config
   * itself, once in Keras 3's form, with {@link #forModels()}.
   */
  public static ConfigValidator forTrainingSpecs() {
    return CACHE.computeIfAbsent(
        SPECS_BASE + TRAINING_SPEC,
        n -> new ConfigValidator(TRAINING_SPEC, REGISTRY.getSchema(SchemaLocation.of(n))));
  }

  /**
   * A validator against one published schema.
   *
   * @param name the schema's path under {@link #BASE}: {@code model.json}, {@code layer.json} (any
   *     layer entry), {@code layer/Dense.json} (a Dense layer's {@code config}), {@code
   *     initializer.json}, ...
   * @throws IllegalArgumentException for a schema that is not published, naming the known kinds
   */
  public static ConfigValidator forSchema(String name) {
    return CACHE.computeIfAbsent(
        name,
        n -> {
          if (!schemas().contains(n)) {
            throw new IllegalArgumentException(
                "no config schema '"
                    + n
                    + "'; the schemas are model.json, <kind>.json and <kind>/<ClassName>.json"
                    + " (see "
                    + RESOURCES
                    + "index.json)");
          }
          return new ConfigValidator(n, REGISTRY.getSchema(SchemaLocation.of(BASE + n)));
        });
  }

  /** The published schemas, by path under {@link #BASE}, as listed in {@code index.json}. */
  public static Set<String> schemas() {
    return Index.SCHEMAS;
  }

  private static final class Index {
    static final Set<String> SCHEMAS = read();

    private static Set<String> read() {
      try (InputStream in =
          ConfigValidator.class.getClassLoader().getResourceAsStream(RESOURCES + "index.json")) {
        if (in == null) {
          throw new IllegalStateException(
              "the config schemas' index " + RESOURCES + "index.json is not on the class path");
        }
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode n : JSON.readTree(in).path("schemas")) {
          out.add(n.asString());
        }
        return Set.copyOf(out);
      } catch (IOException | JacksonException e) {
        throw new IllegalStateException("cannot read " + RESOURCES + "index.json: " + e, e);
      }
    }
  }

  /** The schema's path under {@link #BASE}. */
  public String schemaName() {
    return name;
  }

  /** The errors of a parsed config, by path; empty when it is valid. */
  public List<ConfigError> validate(JsonNode config) {
    List<ConfigError> out = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (Error e : schema.validate(config)) {
      String path = e.getInstanceLocation().toString();
      String message = message(e, path);
      if (seen.add(path + "\u0000" + message)) {
        out.add(new ConfigError(path, message));
      }
    }
    out.sort(Comparator.comparing(ConfigError::path).thenComparing(ConfigError::message));
    return out;
  }

  /** The errors of a config given as JSON text; malformed JSON is one error at {@code $}. */
  public List<ConfigError> validate(String json) {
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (JacksonException e) {
      return List.of(new ConfigError("$", malformed(e)));
    }
    return validate(node);
  }

  /**
   * The errors of a config file; malformed JSON is one error at {@code $} that names the file.
   *
   * @throws IOException if the file cannot be read
   */
  public List<ConfigError> validate(Path file) throws IOException {
    JsonNode node;
    try (InputStream in = Files.newInputStream(file)) {
      node = JSON.readTree(in);
    } catch (JacksonException e) {
      return List.of(new ConfigError("$", file + ": " + malformed(e)));
    }
    return validate(node);
  }

  private static String malformed(JacksonException e) {
    TokenStreamLocation at = e.getLocation();
    String where =
        at == null || at.getLineNr() < 0
            ? ""
            : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    String why = e.getOriginalMessage();
    int cut = why == null ? -1 : why.indexOf('\n');
    return "not valid JSON" + where + ": " + (cut < 0 ? why : why.substring(0, cut));
  }

  private static String message(Error e, String path) {
    String m = e.getMessage();
    // The validator starts its messages with the instance path, which ConfigError carries apart.
    if (m.startsWith(path + ": ")) {
      m = m.substring(path.length() + 2);
    } else if (m.startsWith(path + " ")) {
      m = m.substring(path.length() + 1);
    }
    if ("enum".equals(e.getKeyword())
        && e.getSchemaNode() != null
        && e.getSchemaNode().isArray()
        && e.getSchemaNode().size() > LONG_ENUM) {
      List<String> names = new ArrayList<>();
      for (JsonNode n : e.getSchemaNode()) {
        names.add(n.isString() ? n.asString() : n.toString());
      }
      JsonNode given = e.getInstanceNode();
      String value = given == null ? "the value" : given.toString();
      String text = given != null && given.isString() ? given.asString() : value;
      return value
          + " is not one of the "
          + names.size()
          + " known names; nearest: "
          + String.join(", ", nearest(text, names));
    }
    return m;
  }

  /** The names nearest {@code s} by edit distance, ignoring case and underscores. */
  static List<String> nearest(String s, List<String> names) {
    String key = fold(s);
    return names.stream()
        .sorted(Comparator.comparingInt((String n) -> distance(key, fold(n))).thenComparing(n -> n))
        .limit(3)
        .toList();
  }

  private static String fold(String s) {
    return s.toLowerCase(java.util.Locale.ROOT).replace("_", "");
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
