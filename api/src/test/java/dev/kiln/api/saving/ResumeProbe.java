package dev.kiln.api.saving;

import dev.kiln.api.Tensor;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * The second half of the resume test, run in a fresh JVM: loads a {@code .keras} checkpoint, trains
 * one more epoch on the same data and saves the result. Prints the optimizer's step count before
 * and after.
 */
public final class ResumeProbe {
  private ResumeProbe() {}

  /** Samples, features and classes of the Iris-like data set. */
  static final int N = 60;

  static final int FEATURES = 4;
  static final int CLASSES = 3;

  /** An Iris-like data set: three classes around distinct centres, the same in every JVM. */
  static Tensor[] data() {
    SplittableRandom r = new SplittableRandom(42);
    float[] x = new float[N * FEATURES];
    float[] y = new float[N];
    for (int i = 0; i < N; i++) {
      int c = i % CLASSES;
      y[i] = c;
      for (int j = 0; j < FEATURES; j++) {
        x[i * FEATURES + j] = (float) (c * (j + 1) * 0.5 + r.nextGaussian() * 0.4);
      }
    }
    return new Tensor[] {Tensor.of(x, N, FEATURES), Tensor.of(y, N)};
  }

  /** The same fit options in both processes: no shuffling, so batches are the same each epoch. */
  static FitOptions options(int epochs) {
    return new FitOptions().epochs(epochs).batchSize(8).shuffle(false).verbose(0);
  }

  public static void main(String[] args) throws Exception {
    Model m = ModelFiles.load(Path.of(args[0]));
    Tensor[] d = data();
    System.out.println("iterations before: " + m.optimizer().iterations());
    m.fit(d[0], d[1], options(1));
    System.out.println("iterations after: " + m.optimizer().iterations());
    m.save(Path.of(args[1]));
  }
}
