package dev.kiln.applications;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A two-column table shipped as a resource of this package: one {@code <key> <value>} pair per
 * line, blank lines and {@code #} comments skipped. Keras's file hashes and download URLs are kept
 * this way.
 */
final class ResourceTable {
  private ResourceTable() {}

  /**
   * Reads the table {@code name}.
   *
   * @param valid whether a line's two fields are well formed
   * @param expected what a line should hold, for the message when one does not
   * @throws IllegalStateException if the resource is missing, or a line is malformed or repeats a
   *     key: the module itself is broken
   */
  static Map<String, String> read(String name, Predicate<String[]> valid, String expected) {
    Map<String, String> table = new HashMap<>();
    InputStream in = ResourceTable.class.getResourceAsStream(name);
    if (in == null) {
      throw new IllegalStateException(name + " is missing from the applications module");
    }
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      int lineNo = 0;
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        lineNo++;
        String t = line.strip();
        if (t.isEmpty() || t.startsWith("#")) {
          continue;
        }
        String[] parts = t.split("\\s+");
        if (parts.length != 2 || !valid.test(parts) || table.put(parts[0], parts[1]) != null) {
          throw new IllegalStateException(
              name + " line " + lineNo + ": expected a new " + expected + ": " + t);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + name, e);
    }
    return Map.copyOf(table);
  }
}
