package dev.kiln.api.saving.configs;

import dev.kiln.api.KilnException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * JSON text to plain Java values and back: objects become {@code LinkedHashMap}s (key order kept),
 * arrays {@code ArrayList}s, numbers {@code Integer}/{@code Long}/{@code Double}. Configs are
 * untrusted, so reading is bounded: at most {@value #MAX_DEPTH} nested levels, and a document that
 * is not JSON fails with its source, line and column instead of a parser stack trace.
 *
 * {@snippet :
 * Object tree = JsonText.parse(Files.readString(path), path.toString());
 * String text = JsonText.write(tree, true);
 * }
 */
public final class JsonText {
  private JsonText() {}

  /** The deepest nesting of JSON arrays and objects read. */
  public static final int MAX_DEPTH = 1000;

  /** The largest config file read, in bytes. */
  public static final long MAX_BYTES = 256L * 1024 * 1024;

  private static final JsonMapper MAPPER =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxNestingDepth(MAX_DEPTH)
                          .maxDocumentLength(MAX_BYTES)
                          .build())
                  // Python's json module writes NaN and Infinity, and Keras configs can hold them.
                  .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                  .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                  .build())
          .enable(tools.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private static final JsonMapper PRETTY =
      MAPPER.rebuild().enable(SerializationFeature.INDENT_OUTPUT).build();

  /**
   * Parses JSON text.
   *
   * @param source names the text in messages (a file name, {@code "<string>"})
   * @throws KilnException for text that is not JSON, naming the source, line and column
   */
  public static Object parse(String text, String source) {
    if (text == null) {
      throw new KilnException(source + ": no JSON text (null)");
    }
    try {
      Object v = MAPPER.readValue(text, Object.class);
      if (v == null && text.isBlank()) {
        throw new KilnException(source + ": empty document; expected a JSON object");
      }
      return v;
    } catch (JacksonException e) {
      throw error(source, e);
    }
  }

  /**
   * Reads and parses a JSON file (UTF-8).
   *
   * @throws KilnException if the file is missing, too large, not UTF-8 or not JSON, naming it
   */
  public static Object parse(Path file) {
    String text;
    try {
      long size = Files.size(file);
      if (size > MAX_BYTES) {
        throw new KilnException(
            file + ": " + size + " bytes is larger than a config can be (" + MAX_BYTES + ")");
      }
      byte[] bytes = Files.readAllBytes(file);
      text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (NoSuchFileException e) {
      throw new KilnException(file + ": no such file", e);
    } catch (CharacterCodingException e) {
      throw new KilnException(file + ": not UTF-8 text, so not a JSON config", e);
    } catch (IOException e) {
      throw new KilnException(file + ": cannot read (" + e + ")", e);
    }
    // A BOM is not JSON but some editors write one.
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    return parse(text, file.toString());
  }

  /** Writes plain values (maps, lists, strings, numbers, booleans, null) as JSON text. */
  public static String write(Object value, boolean pretty) {
    try {
      return (pretty ? PRETTY : MAPPER).writeValueAsString(value);
    } catch (JacksonException e) {
      throw new KilnException("cannot write the config as JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static KilnException error(String source, JacksonException e) {
    TokenStreamLocation at = e.getLocation();
    String where =
        at == null || at.getLineNr() < 0
            ? ""
            : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    String why = e.getOriginalMessage();
    if (why != null && why.contains("Document nesting depth")) {
      why = "nested more than " + MAX_DEPTH + " levels deep";
    } else if (why != null && why.startsWith("Trailing token")) {
      why = "more text after the end of the JSON value";
    }
    // Jackson's message may quote a long stretch of the input; the first line says enough.
    if (why != null && why.indexOf('\n') > 0) {
      why = why.substring(0, why.indexOf('\n'));
    }
    return new KilnException(source + ": malformed JSON" + where + ": " + why, e);
  }
}
