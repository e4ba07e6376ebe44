package dev.kiln.api.data;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Loads a CSV file with a header row into features and a label column. Numeric labels stay numbers
 * (regression, or class ids); text labels become class ids in order of first appearance. Fields may
 * be quoted; empty lines are skipped.
 *
 * {@snippet :
 * Csv.Data iris = Csv.load(Path.of("iris.csv"), "species");
 * model.fit(iris.features(), iris.labels(), new FitOptions().epochs(50));
 * }
 */
public final class Csv {
  private Csv() {}

  /**
   * Features float32 {@code (rows, columns)}, labels float32 or int32 {@code (rows,)}.
   *
   * @param featureNames the feature columns' names, in order
   * @param classes the label texts by class id, empty for numeric labels
   */
  public record Data(
      Tensor features, Tensor labels, List<String> featureNames, List<String> classes) {}

  /**
   * Reads {@code file}, using column {@code labelColumn} as the labels and every other column as a
   * feature.
   *
   * @throws KilnException naming the file, line and column of a cell that is not a number, or a
   *     missing label column
   */
  public static Data load(Path file, String labelColumn) throws IOException {
    return load(file, labelColumn, null);
  }

  /**
   * Reads {@code file} with column {@code labelColumn} as the labels and only {@code
   * featureColumns} (in that order) as features; other columns (dates, notes) are ignored.
   *
   * @throws KilnException if a named column is missing, listing the columns there are
   */
  public static Data load(Path file, String labelColumn, List<String> featureColumns)
      throws IOException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (CharacterCodingException e) {
      throw new KilnException(file + " is not UTF-8 text (" + e + ")", e);
    }
    // Spreadsheet programs often start UTF-8 files with a byte order mark; it is not part of the
    // first column's name.
    if (!lines.isEmpty() && lines.get(0).startsWith("\uFEFF")) {
      lines.set(0, lines.get(0).substring(1));
    }
    int first = 0;
    while (first < lines.size() && lines.get(first).isBlank()) {
      first++;
    }
    if (first == lines.size()) {
      throw new KilnException(file + " is empty");
    }
    List<String> header = split(lines.get(first));
    Map<String, Integer> seen = new HashMap<>();
    for (int c = 0; c < header.size(); c++) {
      Integer before = seen.putIfAbsent(header.get(c), c);
      if (before != null) {
        // Looking columns up by name would give both the first one's values.
        throw new KilnException(
            file
                + ": column "
                + quote(header.get(c))
                + " appears twice in the header (columns "
                + (before + 1)
                + " and "
                + (c + 1)
                + "); rename one");
      }
    }
    int label = header.indexOf(labelColumn);
    if (label < 0) {
      throw new KilnException(
          file + " has no column " + quote(labelColumn) + "; its columns are " + quoted(header));
    }
    List<String> names = new ArrayList<>(header);
    names.remove(label);
    if (featureColumns != null) {
      for (String f : featureColumns) {
        if (!header.contains(f)) {
          throw new KilnException(
              file + " has no column " + quote(f) + "; its columns are " + quoted(header));
        }
      }
      names = List.copyOf(featureColumns);
    }
    List<float[]> rows = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    for (int i = first + 1; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      List<String> cells = split(lines.get(i));
      if (cells.size() != header.size()) {
        throw new KilnException(
            file
                + " line "
                + (i + 1)
                + " has "
                + cells.size()
                + " fields but the header has "
                + header.size());
      }
      float[] row = new float[names.size()];
      String labelText = cells.get(label).trim();
      if (labelText.isEmpty()) {
        // An empty label is a missing value; taking it as a class would quietly turn a numeric
        // label column into class ids.
        throw new KilnException(
            file + " line " + (i + 1) + ": the label column " + quote(labelColumn) + " is empty");
      }
      labels.add(labelText);
      for (int k = 0; k < names.size(); k++) {
        int c = seen.get(names.get(k));
        try {
          row[k] = Float.parseFloat(cells.get(c).trim());
        } catch (NumberFormatException e) {
          throw new KilnException(
              file
                  + " line "
                  + (i + 1)
                  + ", column '"
                  + header.get(c)
                  + "': '"
                  + cells.get(c)
                  + "' is not a number");
        }
      }
      rows.add(row);
    }
    if (rows.isEmpty()) {
      throw new KilnException(file + " has a header but no data rows");
    }
    if ((long) rows.size() * names.size() > Integer.MAX_VALUE - 8) {
      throw new KilnException(
          file + " has too many cells for one array: " + rows.size() + " x " + names.size());
    }
    float[] flat = new float[rows.size() * names.size()];
    for (int r = 0; r < rows.size(); r++) {
      System.arraycopy(rows.get(r), 0, flat, r * names.size(), names.size());
    }
    Tensor x = Tensor.of(flat, rows.size(), names.size());
    boolean numeric = true;
    for (String l : labels) {
      try {
        Float.parseFloat(l);
      } catch (NumberFormatException e) {
        numeric = false;
        break;
      }
    }
    if (numeric) {
      float[] y = new float[labels.size()];
      for (int i = 0; i < y.length; i++) {
        y[i] = Float.parseFloat(labels.get(i));
      }
      return new Data(x, Tensor.of(y), names, List.of());
    }
    Map<String, Integer> ids = new LinkedHashMap<>();
    int[] y = new int[labels.size()];
    for (int i = 0; i < y.length; i++) {
      y[i] = ids.computeIfAbsent(labels.get(i), k -> ids.size());
    }
    return new Data(x, Tensor.of(y), names, List.copyOf(ids.keySet()));
  }

  /** Quotes a column name, escaping characters that would not show (spaces are visible inside). */
  static String quote(String name) {
    StringBuilder b = new StringBuilder("'");
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c != ' '
          && (Character.isISOControl(c)
              || Character.isWhitespace(c)
              || Character.isSpaceChar(c)
              || Character.getType(c) == Character.FORMAT)) {
        b.append(String.format("\\u%04X", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('\'').toString();
  }

  private static String quoted(List<String> names) {
    return names.stream().map(Csv::quote).collect(Collectors.joining(", ", "[", "]"));
  }

  /** Splits one line at commas outside double quotes; {@code ""} inside quotes is a quote. */
  static List<String> split(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          cur.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          cur.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return out;
  }
}
