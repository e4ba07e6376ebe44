package dev.kiln.api.memory;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * A program the memory tests start in a fresh JVM: it runs one workload many times and prints the
 * resident set size before and after, as {@code rss-before <kB>} and {@code rss-after <kB>} lines.
 */
public final class MemoryProbe {
  private MemoryProbe() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    int n = Integer.parseInt(args[1]);
    boolean close = args.length < 3 || !args[2].equals("leak");
    Tensor x = random(64, 16, 1);
    Tensor y = random(64, 4, 2);
    // Warm up so that class loading, JIT and pools count in "before", not in the growth.
    run(mode, Math.min(n, 200), x, y, close);
    long before = settledRss();
    System.out.println("rss-before " + before);
    nmt("baseline");
    run(mode, n, x, y, close);
    long after = settledRss();
    System.out.println("rss-after " + after);
    nmt("summary.diff");
  }

  private static void run(String mode, int n, Tensor x, Tensor y, boolean close) {
    switch (mode) {
      case "models" -> {
        for (int i = 0; i < n; i++) {
          Model m = model();
          m.compile("adam", "mse");
          m.fit(x, y, new FitOptions().epochs(1).batchSize(16).verbose(0));
          m.predict(x);
          if (close) {
            m.close();
          }
        }
      }
      case "compile" -> {
        try (Model m = model()) {
          for (int i = 0; i < n; i++) {
            m.compile("adam", "mse");
            m.trainOnBatch(x, y);
          }
        }
      }
      case "batches" -> {
        try (Model m = model()) {
          m.compile("adam", "mse");
          Tensor big = random(n + 1, 16, 3);
          for (int i = 1; i <= n; i++) {
            m.predictOnBatch(big.slice(0, i));
          }
        }
      }
      default -> throw new IllegalArgumentException("unknown mode " + mode);
    }
  }

  private static Model model() {
    KerasTensor in = Input.of(16);
    KerasTensor h = new Dense(64, "relu").apply(in);
    return Model.of(in, new Dense(4).apply(h));
  }

  private static Tensor random(int rows, int cols, long seed) {
    Random r = new Random(seed);
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return Tensor.of(v, rows, cols);
  }

  private static void nmt(String what) throws Exception {
    if (System.getenv("KILN_PROBE_NMT") != null) {
      new ProcessBuilder(
              Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
              Long.toString(ProcessHandle.current().pid()),
              "VM.native_memory",
              what)
          .inheritIO()
          .start()
          .waitFor();
    }
  }

  /**
   * The resident set size in kB once garbage is collected and Kiln has freed the backend memory of
   * what the collector found unreachable (twice: scratch memory of a closed step is itself
   * collected).
   */
  static long settledRss() throws IOException, InterruptedException {
    for (int i = 0; i < 2; i++) {
      System.gc();
      Thread.sleep(200);
      Kiln.clearSession();
    }
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
