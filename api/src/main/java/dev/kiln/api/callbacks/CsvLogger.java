package dev.kiln.api.callbacks;

import dev.kiln.api.KilnException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Writes one CSV row per epoch: {@code epoch} then the logs' keys in sorted order. */
public final class CsvLogger extends Callback {
  private final Path file;
  private final boolean append;
  private BufferedWriter out;
  private List<String> keys;

  /** Logs to {@code file}, replacing it. */
  public CsvLogger(Path file) {
    this(file, false);
  }

  /** Logs to {@code file}; {@code append} continues an existing file (resumed training). */
  public CsvLogger(Path file, boolean append) {
    this.file = file;
    this.append = append;
  }

  @Override
  public void onTrainBegin(Map<String, Double> logs) {
    try {
      boolean existing = append && Files.exists(file) && Files.size(file) > 0;
      out =
          Files.newBufferedWriter(
              file,
              StandardCharsets.UTF_8,
              StandardOpenOption.CREATE,
              append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
      keys = existing ? new ArrayList<>() : null;
      if (existing) {
        String header = Files.readAllLines(file).get(0);
        for (String k : header.split(",")) {
          if (!k.equals("epoch")) {
            keys.add(k);
          }
        }
      }
    } catch (IOException e) {
      throw new KilnException("CSVLogger cannot open " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void onEpochEnd(int epoch, Map<String, Double> logs) {
    try {
      if (keys == null) {
        keys = new ArrayList<>(logs.keySet());
        keys.sort(null);
        out.write("epoch," + String.join(",", keys));
        out.newLine();
      }
      StringBuilder sb = new StringBuilder().append(epoch);
      for (String k : keys) {
        Double v = logs.get(k);
        sb.append(',').append(v == null ? "NA" : v.toString());
      }
      out.write(sb.toString());
      out.newLine();
      out.flush();
    } catch (IOException e) {
      throw new KilnException("CSVLogger cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void onTrainEnd(Map<String, Double> logs) {
    try {
      if (out != null) {
        out.close();
      }
    } catch (IOException e) {
      throw new KilnException("CSVLogger cannot close " + file + ": " + e.getMessage(), e);
    }
  }
}
