package dev.kiln.benchmarks;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Dropout;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import dev.kiln.spi.backend.Backends;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The soak test: for a number of minutes it builds models, trains and evaluates them with random
 * batch sizes, predicts with random batch sizes, and closes most models while dropping some without
 * closing, on one backend; every minute it prints the resident set size. A leak shows as a rising
 * line. Run it through {@code benchmarks/soak}.
 *
 * <pre>Soak BACKEND MINUTES</pre>
 */
public final class Soak {
  private Soak() {}

  public static void main(String[] args) throws Exception {
    String backend = args.length > 0 ? args[0] : "native";
    double minutes = args.length > 1 ? Double.parseDouble(args[1]) : 30;
    Kiln.useBackend(Backends.open(backend));
    Kiln.setRandomSeed(1);
    SplittableRandom r = new SplittableRandom(2);
    Tensor x = random(r, 2048, 64);
    Tensor y = random(r, 2048, 8);
    long start = System.nanoTime();
    long nextReport = 0;
    long models = 0;
    long steps = 0;
    System.out.printf("backend %s, %.0f minutes%n", backend, minutes);
    System.out.println("minute  rss_mb  heap_used_mb  models  train_and_predict_calls");
    while (true) {
      long elapsed = System.nanoTime() - start;
      if (elapsed >= nextReport) {
        System.out.printf(
            "%6d  %6d  %12d  %6d  %d%n",
            nextReport / 60_000_000_000L,
            rssKb() / 1024,
            (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20,
            models,
            steps);
        nextReport += 60_000_000_000L;
      }
      if (elapsed >= minutes * 60e9) {
        break;
      }
      Model m = model(r);
      models++;
      m.compile(r.nextBoolean() ? "adam" : "sgd", "mse");
      for (int i = 0; i < 10; i++) {
        int batch = 1 + r.nextInt(256);
        int rows = batch * (1 + r.nextInt(4)) + r.nextInt(batch);
        int from = r.nextInt(x.length() - rows);
        m.fit(
            x.slice(from, from + rows),
            y.slice(from, from + rows),
            new FitOptions().epochs(1).batchSize(batch).verbose(0));
        m.evaluate(
            List.of(x.slice(from, from + rows)),
            List.of(y.slice(from, from + rows)),
            new FitOptions().batchSize(batch).verbose(0));
        int p = 1 + r.nextInt(512);
        m.predictOnBatch(x.slice(0, p));
        steps += 3;
      }
      // Most programs close their models; some forget, and the collector must cover for them.
      if (r.nextInt(4) != 0) {
        m.close();
      }
    }
  }

  private static Model model(SplittableRandom r) {
    KerasTensor in = Input.of(64);
    KerasTensor h = new Dense(32 + r.nextInt(96), "relu").apply(in);
    h = new Dropout(0.1).apply(h);
    return Model.of(in, new Dense(8).apply(h));
  }

  private static Tensor random(SplittableRandom r, int rows, int cols) {
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return Tensor.of(v, rows, cols);
  }

  private static long rssKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}
