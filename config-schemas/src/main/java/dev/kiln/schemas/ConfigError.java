package dev.kiln.schemas;

/**
 * One way a config fails its schema.
 *
 * @param path where, as a JSON path from the document's root ({@code
 *     $.config.layers[2].config.units})
 * @param message what is wrong there ({@code string found, integer expected})
 */
public record ConfigError(String path, String message) {
  @Override
  public String toString() {
    return path + ": " + message;
  }
}
