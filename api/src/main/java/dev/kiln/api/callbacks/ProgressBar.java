package dev.kiln.api.callbacks;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Keras's progress bar: {@code 469/469 ━━━━━━━━━━━━━━━━━━━━ 3s 6ms/step - accuracy: 0.9812 - loss:
 * 0.0601}, redrawn in place with an ETA on a terminal; on a pipe or file, one plain line per epoch.
 * {@code fit} adds one when verbose is 1 (2 prints the epoch line only).
 */
public final class ProgressBar extends Callback {
  private static final int WIDTH = 20;

  private final PrintStream out;
  private final boolean interactive;
  private final int verbose;
  private int epochs;
  private long target = -1;
  private long start;
  private long lastDraw;
  private boolean testing;

  /** A bar on standard output; interactive when a console is attached. */
  public ProgressBar(int verbose) {
    this(System.out, System.console() != null, verbose);
  }

  /** A bar on {@code out}. */
  public ProgressBar(PrintStream out, boolean interactive, int verbose) {
    this.out = out;
    this.interactive = interactive;
    this.verbose = verbose;
  }

  /** Sets the number of epochs and steps per epoch (-1 if unknown). */
  public void setParams(int epochs, long steps) {
    this.epochs = epochs;
    this.target = steps;
  }

  @Override
  public boolean needsBatchMetrics() {
    return interactive && verbose == 1;
  }

  @Override
  public void onEpochBegin(int epoch, Map<String, Double> logs) {
    out.println("Epoch " + (epoch + 1) + "/" + epochs);
    start = System.nanoTime();
    lastDraw = 0;
  }

  @Override
  public void onTrainBatchEnd(int batch, Map<String, Double> logs) {
    if (needsBatchMetrics()) {
      long now = System.nanoTime();
      if (now - lastDraw > 50_000_000L || batch + 1 == target) {
        lastDraw = now;
        out.print("\r" + line(batch + 1, logs, false) + "\u001b[K");
        out.flush();
      }
    }
  }

  @Override
  public void onEpochEnd(int epoch, Map<String, Double> logs) {
    long steps = target > 0 ? target : 0;
    String l = line(steps, logs, true);
    out.print(interactive && verbose == 1 ? "\r" + l + "\u001b[K\n" : l + "\n");
    out.flush();
  }

  /** Starts an evaluation's bar ({@code evaluate} called directly). */
  public void beginTest(long steps) {
    testing = true;
    target = steps;
    start = System.nanoTime();
  }

  @Override
  public void onTestEnd(Map<String, Double> logs) {
    if (testing) {
      out.println(line(target, logs, true));
      testing = false;
    }
  }

  private String line(long step, Map<String, Double> logs, boolean done) {
    double elapsed = (System.nanoTime() - start) / 1e9;
    StringBuilder sb = new StringBuilder();
    String total = target > 0 ? Long.toString(target) : "?";
    String count = Long.toString(step);
    if (verbose == 1) {
      sb.append(" ".repeat(Math.max(0, total.length() - count.length())))
          .append(count)
          .append('/')
          .append(total)
          .append(' ');
      int filled = target > 0 ? (int) Math.min(WIDTH, WIDTH * step / target) : WIDTH;
      String bar = "\u2501".repeat(filled);
      String rest = "\u2501".repeat(WIDTH - filled);
      sb.append(bar);
      if (!rest.isEmpty()) {
        sb.append(interactive ? "\u001b[2m" + rest + "\u001b[0m" : rest);
      }
      sb.append(' ');
    } else {
      sb.append(count).append('/').append(total).append(" - ");
    }
    double perStep = step > 0 ? elapsed / step : 0;
    if (done || target <= 0) {
      sb.append((long) elapsed).append('s').append(verbose == 1 ? " " : " - ");
    } else {
      sb.append(eta(perStep * (target - step))).append(' ');
    }
    sb.append(perUnit(perStep));
    List<String> keys = new ArrayList<>();
    for (String k : logs.keySet()) {
      if (!k.startsWith("val_")) {
        keys.add(k);
      }
    }
    keys.sort(null);
    List<String> val = new ArrayList<>();
    for (String k : logs.keySet()) {
      if (k.startsWith("val_")) {
        val.add(k);
      }
    }
    val.sort(null);
    keys.addAll(val);
    for (String k : keys) {
      sb.append(" - ").append(k).append(": ").append(format(logs.get(k)));
    }
    return sb.toString();
  }

  /** Keras's number format: 4 decimals, scientific below 1e-3. */
  public static String format(double v) {
    return Math.abs(v) > 1e-3 || v == 0
        ? String.format(Locale.ROOT, "%.4f", v)
        : String.format(Locale.ROOT, "%.4e", v);
  }

  private static String eta(double s) {
    long e = (long) s;
    if (e > 3600) {
      return String.format(Locale.ROOT, "%d:%02d:%02d", e / 3600, (e % 3600) / 60, e % 60);
    }
    if (e > 60) {
      return String.format(Locale.ROOT, "%d:%02d", e / 60, e % 60);
    }
    return e + "s";
  }

  private static String perUnit(double s) {
    if (s >= 1) {
      return String.format(Locale.ROOT, "%.0fs/step", s);
    }
    if (s >= 1e-3) {
      return String.format(Locale.ROOT, "%.0fms/step", s * 1e3);
    }
    return String.format(Locale.ROOT, "%.0fus/step", s * 1e6);
  }
}
