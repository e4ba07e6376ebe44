package dev.kiln.api.callbacks;

import dev.kiln.api.KilnException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.IllegalFormatException;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Saves the model after each epoch, or only when the monitored value improves ({@code
 * saveBestOnly}). A path ending in {@code .keras} gets the whole model (config, compile config,
 * weights and optimizer state, so training resumes exactly from it); with {@code saveWeightsOnly},
 * or a path in a weights format ({@code .weights.h5}, {@code .npz}), the weights only. The file
 * path may hold Keras-style placeholders: {@code {epoch:02d}}, {@code {val_loss:.2f}}. Each write
 * is atomic (a temporary file renamed over the target).
 */
public final class ModelCheckpoint extends Callback {
  private static final Pattern FIELD = Pattern.compile("\\{([a-z_0-9]+)(?::([^}]*))?}");

  private final String filepath;
  private final String monitor;
  private final boolean saveBestOnly;
  private final boolean maximize;
  private final boolean saveWeightsOnly;
  private double best;

  /** Saves every epoch to {@code filepath}. */
  public ModelCheckpoint(String filepath) {
    this(filepath, "val_loss", false, "auto");
  }

  /**
   * Saves to {@code filepath}, only on improvement of {@code monitor} when {@code saveBestOnly}:
   * the whole model when the path ends in {@code .keras}, else the weights.
   */
  public ModelCheckpoint(String filepath, String monitor, boolean saveBestOnly, String mode) {
    this(filepath, monitor, saveBestOnly, mode, false);
  }

  /**
   * Saves to {@code filepath}, only on improvement of {@code monitor} when {@code saveBestOnly};
   * the weights only when {@code saveWeightsOnly}, as Keras's {@code save_weights_only}.
   *
   * @throws KilnException if {@code saveWeightsOnly} and the path ends in {@code .keras}, which
   *     holds whole models
   */
  public ModelCheckpoint(
      String filepath, String monitor, boolean saveBestOnly, String mode, boolean saveWeightsOnly) {
    if (saveWeightsOnly && wholeModel(filepath)) {
      throw new KilnException(
          "ModelCheckpoint: saveWeightsOnly is set but the file path "
              + filepath
              + " ends in .keras, which holds whole models; use a name ending in .weights.h5");
    }
    this.filepath = filepath;
    this.monitor = monitor;
    this.saveBestOnly = saveBestOnly;
    this.maximize = Monitor.maximize(monitor, mode);
    this.saveWeightsOnly = saveWeightsOnly;
  }

  private static boolean wholeModel(String filepath) {
    return filepath.toLowerCase(Locale.ROOT).endsWith(".keras");
  }

  @Override
  public void onTrainBegin(Map<String, Double> logs) {
    best = maximize ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
  }

  @Override
  public void onEpochEnd(int epoch, Map<String, Double> logs) {
    if (saveBestOnly) {
      Double v = Monitor.value(logs, monitor, "ModelCheckpoint");
      if (v == null || !Monitor.improved(v, best, 0, maximize)) {
        return;
      }
      best = v;
    }
    Path p = Path.of(format(filepath, epoch + 1, logs));
    try {
      if (!saveWeightsOnly && wholeModel(p.toString())) {
        model.save(p);
      } else {
        model.saveWeights(p);
      }
    } catch (IOException e) {
      throw new KilnException("ModelCheckpoint could not write " + p + ": " + e.getMessage(), e);
    }
  }

  /** Fills {@code {epoch:02d}}-style fields from the epoch (1-based) and the logs. */
  static String format(String path, int epoch, Map<String, Double> logs) {
    Matcher m = FIELD.matcher(path);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String key = m.group(1);
      String spec = m.group(2) == null ? "" : m.group(2);
      Object v = key.equals("epoch") ? (Object) epoch : logs.get(key);
      String text;
      if (v == null) {
        throw new KilnException(
            "ModelCheckpoint: the file path "
                + path
                + " names '"
                + key
                + "', which is not in the"
                + " logs "
                + logs.keySet());
      } else if (spec.isEmpty()) {
        text = v.toString();
      } else {
        text = formatField(path, key, spec, v);
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(text));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  /** One field, formatted as Python's {@code format(value, spec)} would, or a clear error. */
  private static String formatField(String path, String key, String spec, Object v) {
    char conversion = spec.charAt(spec.length() - 1);
    // Python formats an int with a float spec, but refuses a float with an integer one
    // ("Unknown format code 'd' for object of type 'float'"); say so instead of Java's
    // IllegalFormatConversionException.
    if (v instanceof Double && "dxXob".indexOf(conversion) >= 0) {
      throw new KilnException(
          "ModelCheckpoint: the file path "
              + path
              + " formats '"
              + key
              + "' with '"
              + spec
              + "', an integer format, but '"
              + key
              + "' is a float; use a float format such as {"
              + key
              + ":.4f}");
    }
    if (v instanceof Integer i && "eEfFgG".indexOf(conversion) >= 0) {
      v = (double) i;
    }
    try {
      return String.format(Locale.ROOT, "%" + spec, v);
    } catch (IllegalFormatException e) {
      throw new KilnException(
          "ModelCheckpoint: the file path "
              + path
              + " formats '"
              + key
              + "' with '"
              + spec
              + "', which cannot format "
              + v
              + " ("
              + e
              + ")",
          e);
    }
  }
}
