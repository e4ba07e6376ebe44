package dev.kiln.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@link GpuBenchmark} measured, filled in as it goes so that a run stopped at its time limit
 * still reports what it has: the machine, the GEMM rows, the training rows and notes. Prints the
 * tables and writes them as {@code gpu-benchmark.txt} and {@code gpu-benchmark.json}. Thread-safe:
 * the time-limit watchdog writes it from its own thread.
 */
final class GpuReport {
  /** The GEMM ratio targets of issue 15: Kiln's path and Kiln's own kernels against cuBLAS. */
  static final double KILN_PATH_TARGET = 0.80;

  static final double FALLBACK_TARGET = 0.50;

  /** The training target: Kiln's images/s at least PyTorch eager's. */
  static final double TRAIN_TARGET = 1.0;

  private final Map<String, Object> machine = new LinkedHashMap<>();
  private final List<Map<String, Object>> gemm = new ArrayList<>();
  private final List<Map<String, Object>> train = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private final Map<String, Object> settings = new LinkedHashMap<>();
  private String status = "running";
  private boolean skipped;

  synchronized void machine(String key, Object value) {
    machine.put(key, value);
  }

  synchronized void setting(String key, Object value) {
    settings.put(key, value);
  }

  synchronized void note(String line) {
    notes.add(line);
  }

  /** Records that a measurement was skipped (for lack of time), which makes the run incomplete. */
  synchronized void skip(String line) {
    notes.add(line);
    skipped = true;
  }

  synchronized boolean skipped() {
    return skipped;
  }

  synchronized void status(String s) {
    status = s;
  }

  synchronized String status() {
    return status;
  }

  /**
   * Records one GEMM measurement.
   *
   * @param dtype {@code f32} or {@code bf16}
   * @param math {@code fp32}, {@code tf32} (float32 inputs rounded on tensor cores) or {@code
   *     fp32-accumulate} (16-bit inputs)
   * @param n the size
   * @param path {@code cublas}, {@code kiln} or {@code kiln-fallback}
   * @param seconds seconds per product, NaN when not measured
   * @param detail why it was not measured, or the correctness check's result
   */
  synchronized void gemm(
      String dtype, String math, int n, String path, double seconds, String detail) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("dtype", dtype);
    row.put("math", math);
    row.put("n", n);
    row.put("path", path);
    row.put("ms", seconds * 1e3);
    row.put("tflops", tflops(n, seconds));
    row.put("detail", detail);
    gemm.add(row);
  }

  static double tflops(int n, double seconds) {
    return 2.0 * n * n * (double) n / seconds / 1e12;
  }

  /** Records one training result: the peer's {@code key=value} fields. */
  synchronized void train(Map<String, String> fields) {
    Map<String, Object> row = new LinkedHashMap<>();
    fields.forEach((k, v) -> row.put(k, parse(v)));
    train.add(row);
  }

  private static Object parse(String v) {
    try {
      double d = Double.parseDouble(v);
      return d == Math.rint(d) && Math.abs(d) < 1e15 && !v.contains(".") ? (Object) (long) d : d;
    } catch (NumberFormatException e) {
      return v;
    }
  }

  private Object gemmValue(String dtype, String math, int n, String path, String key) {
    for (Map<String, Object> r : gemm) {
      if (r.get("dtype").equals(dtype)
          && r.get("math").equals(math)
          && r.get("n").equals(n)
          && r.get("path").equals(path)) {
        return r.get(key);
      }
    }
    return null;
  }

  private double gemmTflops(String dtype, String math, int n, String path) {
    Object v = gemmValue(dtype, math, n, path, "tflops");
    return v instanceof Double d ? d : Double.NaN;
  }

  /** The ratio rows: Kiln's path and Kiln's kernels over cuBLAS, per dtype, math and size. */
  synchronized List<Map<String, Object>> ratios() {
    List<Map<String, Object>> out = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    for (Map<String, Object> r : gemm) {
      String key = r.get("dtype") + "/" + r.get("math") + "/" + r.get("n");
      if (seen.contains(key)) {
        continue;
      }
      seen.add(key);
      String dtype = (String) r.get("dtype");
      String math = (String) r.get("math");
      int n = (Integer) r.get("n");
      double cublas = gemmTflops(dtype, math, n, "cublas");
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("dtype", dtype);
      row.put("math", math);
      row.put("n", n);
      row.put("cublas_tflops", cublas);
      double kiln = gemmTflops(dtype, math, n, "kiln");
      row.put("kiln_tflops", kiln);
      row.put("kiln_over_cublas", kiln / cublas);
      row.put("kiln_target", KILN_PATH_TARGET);
      double fallback = gemmTflops(dtype, math, n, "kiln-fallback");
      row.put("fallback_tflops", fallback);
      row.put("fallback_over_cublas", fallback / cublas);
      row.put("fallback_target", FALLBACK_TARGET);
      out.add(row);
    }
    return out;
  }

  /** Kiln's training images/s over PyTorch's, for rows of the same model and settings. */
  synchronized double trainRatio() {
    double kiln = Double.NaN;
    double torch = Double.NaN;
    for (Map<String, Object> r : train) {
      Object v = r.get("images_per_s");
      if (!(v instanceof Number x)) {
        continue;
      }
      if ("kiln".equals(r.get("peer"))) {
        kiln = x.doubleValue();
      } else if ("pytorch".equals(r.get("peer"))) {
        torch = x.doubleValue();
      }
    }
    return kiln / torch;
  }

  /** The tables, as printed at the end and written to {@code gpu-benchmark.txt}. */
  synchronized String text() {
    StringBuilder b = new StringBuilder();
    b.append("Kiln GPU benchmark: ").append(status).append('\n');
    machine.forEach((k, v) -> b.append("  ").append(k).append(": ").append(v).append('\n'));
    settings.forEach((k, v) -> b.append("  ").append(k).append(": ").append(v).append('\n'));
    if (!gemm.isEmpty()) {
      b.append('\n')
          .append("GEMM, square n x n times n x n, TFLOP/s (2 n^3 per product, best of the timed")
          .append(" rounds; uploads excluded)\n");
      b.append(
          String.format(
              Locale.ROOT,
              "%-5s %-15s %6s %10s %10s %12s %10s %12s%n",
              "dtype",
              "math",
              "n",
              "cuBLAS",
              "Kiln path",
              "ratio>=0.80",
              "fallback",
              "ratio>=0.50"));
      for (Map<String, Object> r : ratios()) {
        b.append(
            String.format(
                Locale.ROOT,
                "%-5s %-15s %6d %10s %10s %12s %10s %12s%n",
                r.get("dtype"),
                r.get("math"),
                (Integer) r.get("n"),
                number((Double) r.get("cublas_tflops")),
                number((Double) r.get("kiln_tflops")),
                verdict((Double) r.get("kiln_over_cublas"), KILN_PATH_TARGET),
                number((Double) r.get("fallback_tflops")),
                verdict((Double) r.get("fallback_over_cublas"), FALLBACK_TARGET)));
      }
      for (Map<String, Object> r : gemm) {
        Object d = r.get("detail");
        if (d != null && !d.toString().isEmpty()) {
          b.append(
              String.format(
                  Locale.ROOT,
                  "  %s %s n=%d %s: %s%n",
                  r.get("dtype"),
                  r.get("math"),
                  (Integer) r.get("n"),
                  r.get("path"),
                  d));
        }
      }
    }
    if (!train.isEmpty()) {
      b.append('\n').append("Training, images/s over the timed steps after the warm-up\n");
      b.append(
          String.format(
              Locale.ROOT,
              "%-8s %-26s %10s %6s %14s %14s%n",
              "peer",
              "model",
              "images/s",
              "steps",
              "peak reserved",
              "peak in use"));
      for (Map<String, Object> r : train) {
        b.append(
            String.format(
                Locale.ROOT,
                "%-8s %-26s %10s %6s %14s %14s%n",
                r.get("peer"),
                r.get("model"),
                r.get("images_per_s") instanceof Number x ? number(x.doubleValue()) : "-",
                r.getOrDefault("steps", "-"),
                bytes(r.get("peak_reserved_bytes")),
                bytes(r.get("peak_in_use_bytes"))));
      }
      double ratio = trainRatio();
      if (!Double.isNaN(ratio)) {
        b.append(
            String.format(
                Locale.ROOT, "kiln / pytorch images/s: %s%n", verdict(ratio, TRAIN_TARGET)));
      }
      for (Map<String, Object> r : train) {
        b.append("  ")
            .append(r.get("peer"))
            .append(": ")
            .append(r.getOrDefault("settings", ""))
            .append('\n');
      }
      b.append(
          "  peak reserved: memory the peer's caching allocator took from the device (Kiln's"
              + " CudaAllocator; PyTorch's torch.cuda.max_memory_reserved), the figure compared;"
              + " peak in use: what its tensors held at most (max_memory_allocated). Neither"
              + " counts the CUDA context, nor memory a library takes outside the allocator"
              + " (Kiln's fixed cuBLAS workspace).\n");
    }
    if (!notes.isEmpty()) {
      b.append('\n').append("Notes\n");
      for (String n : notes) {
        b.append("  - ").append(n).append('\n');
      }
    }
    return b.toString();
  }

  private static String number(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
  }

  /** {@code 0.93 ok} or {@code 0.41 BELOW}; {@code -} when not measured. */
  static String verdict(double ratio, double target) {
    if (Double.isNaN(ratio) || Double.isInfinite(ratio)) {
      return "-";
    }
    return String.format(Locale.ROOT, "%.2f %s", ratio, ratio >= target ? "ok" : "BELOW");
  }

  private static String bytes(Object v) {
    if (!(v instanceof Number n)) {
      return v == null ? "-" : v.toString();
    }
    if (n.doubleValue() < 0) {
      return "n/a";
    }
    return String.format(Locale.ROOT, "%.2f GiB", n.doubleValue() / (1L << 30));
  }

  /** The whole report as JSON. */
  synchronized String json() {
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("benchmark", "kiln-gpu");
    all.put("status", status);
    all.put("machine", machine);
    all.put("settings", settings);
    all.put("gemm", gemm);
    all.put("gemm_ratios", ratios());
    all.put("train", train);
    double ratio = trainRatio();
    all.put("train_kiln_over_pytorch", ratio);
    all.put("train_target", TRAIN_TARGET);
    all.put("notes", notes);
    StringBuilder b = new StringBuilder();
    Json.write(all, b, "");
    return b.append('\n').toString();
  }

  /** Writes {@code gpu-benchmark.txt} and {@code gpu-benchmark.json} into {@code dir}. */
  synchronized void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("gpu-benchmark.txt"), text(), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("gpu-benchmark.json"), json(), StandardCharsets.UTF_8);
  }

  /** A small JSON writer for maps, lists, strings, numbers and booleans. */
  static final class Json {
    private Json() {}

    static void write(Object v, StringBuilder b, String indent) {
      switch (v) {
        case null -> b.append("null");
        case Map<?, ?> m -> {
          if (m.isEmpty()) {
            b.append("{}");
            return;
          }
          b.append("{\n");
          int i = 0;
          for (Map.Entry<?, ?> e : m.entrySet()) {
            b.append(indent).append("  ");
            string(e.getKey().toString(), b);
            b.append(": ");
            write(e.getValue(), b, indent + "  ");
            b.append(++i < m.size() ? ",\n" : "\n");
          }
          b.append(indent).append('}');
        }
        case List<?> l -> {
          if (l.isEmpty()) {
            b.append("[]");
            return;
          }
          b.append("[\n");
          for (int i = 0; i < l.size(); i++) {
            b.append(indent).append("  ");
            write(l.get(i), b, indent + "  ");
            b.append(i + 1 < l.size() ? ",\n" : "\n");
          }
          b.append(indent).append(']');
        }
        case Double d -> b.append(d.isNaN() || d.isInfinite() ? "null" : d.toString());
        case Float f -> write(f.doubleValue(), b, indent);
        case Number n -> b.append(n);
        case Boolean x -> b.append(x);
        default -> string(v.toString(), b);
      }
    }

    static void string(String s, StringBuilder b) {
      b.append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '"' -> b.append("\\\"");
          case '\\' -> b.append("\\\\");
          case '\n' -> b.append("\\n");
          case '\r' -> b.append("\\r");
          case '\t' -> b.append("\\t");
          default -> {
            if (c < 0x20) {
              b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
              b.append(c);
            }
          }
        }
      }
      b.append('"');
    }
  }
}
