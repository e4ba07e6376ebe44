package dev.kiln.api.backends;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.ApiTestSupport;
import dev.kiln.api.DTypePolicy;
import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.data.Idx;
import dev.kiln.api.layers.convolutional.Conv2D;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Dropout;
import dev.kiln.api.layers.core.Embedding;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.normalization.BatchNormalization;
import dev.kiln.api.layers.pooling.GlobalAveragePooling1D;
import dev.kiln.api.layers.pooling.MaxPooling2D;
import dev.kiln.api.layers.reshaping.Flatten;
import dev.kiln.api.layers.reshaping.Reshape;
import dev.kiln.api.layers.rnn.GRU;
import dev.kiln.api.layers.rnn.LSTM;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.History;
import dev.kiln.api.models.Model;
import dev.kiln.api.models.Sequential;
import dev.kiln.api.optimizers.Adam;
import dev.kiln.api.optimizers.LossScaleOptimizer;
import dev.kiln.spi.DType;
import dev.kiln.spi.backend.Backend;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Models trained, evaluated and run on a CUDA device and on the CPU from the same seed, whose
 * results must agree: the per-epoch losses and metrics, the evaluation and the predictions. Shared
 * by the emulated-device test (every build) and the GPU test.
 *
 * <p>The device rounds each kernel's result to the storage type but adds in another order than the
 * CPU (the emulator in double, a GPU in its own tiles), so float32 results differ in the last bits
 * and training carries that on. Measured on the emulated device when this was written: the float32
 * models' losses and predictions within 3e-6 relative of the CPU's (tolerance 1e-4), one inference
 * with the same weights within 1e-6 (1e-5); the 16-bit runs, where a different summation order now
 * and then flips an ulp of float16 (2^-11) or bfloat16 (2^-8) that the training then carries on,
 * predict within 1e-3 (mixed_float16, tolerance 2e-2) and 7e-3 (mixed_bfloat16, 3e-2) after
 * training, and exactly with the same weights. A lowering bug (a wrong stride, offset, axis, dtype
 * or a chunk of a convolution left out) moves the losses in the second digit.
 */
final class DeviceWorkloads {
  private DeviceWorkloads() {}

  /**
   * One model to compare: how to build and compile it, its data, how long to train, the global
   * dtype policy it is built under, and the relative tolerance of the comparison.
   */
  record Workload(
      String name,
      Supplier<Model> build,
      Consumer<Model> compile,
      Tensor x,
      Tensor y,
      Tensor xTest,
      Tensor yTest,
      int epochs,
      int batchSize,
      DTypePolicy policy,
      double tolerance) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** What one backend made of a workload: its history, evaluation, predictions and weights. */
  record Outcome(
      Map<String, List<Double>> history,
      Map<String, Double> evaluation,
      Tensor predicted,
      List<Tensor> weights) {}

  /** Builds {@code w}'s model on {@code backend} from seed 42, under the workload's policy. */
  private static Model build(Backend backend, Workload w) {
    Kiln.clearSession();
    Kiln.useBackend(backend);
    Kiln.setRandomSeed(42);
    Kiln.setDtypePolicy(w.policy());
    try {
      return w.build().get();
    } finally {
      Kiln.setDtypePolicy(DTypePolicy.FLOAT32);
    }
  }

  /** Trains, evaluates and predicts {@code w} on {@code backend}, from seed 42. */
  static Outcome run(Backend backend, Workload w) {
    Backend before = Kiln.backend();
    try {
      Model m = build(backend, w);
      w.compile().accept(m);
      History h =
          m.fit(
              w.x(),
              w.y(),
              new FitOptions()
                  .epochs(w.epochs())
                  .batchSize(w.batchSize())
                  .verbose(0)
                  .validationData(w.xTest(), w.yTest()));
      Map<String, Double> evaluation = new TreeMap<>(m.evaluate(w.xTest(), w.yTest()));
      Tensor predicted = m.predict(w.xTest());
      return new Outcome(new TreeMap<>(h.history()), evaluation, predicted, m.getWeights());
    } finally {
      Kiln.useBackend(before);
    }
  }

  /**
   * {@code w}'s model built on {@code backend} with the given weights, predicting the test data.
   */
  static Tensor predictWith(Backend backend, Workload w, List<Tensor> weights) {
    Backend before = Kiln.backend();
    try {
      Model m = build(backend, w);
      m.setWeights(weights);
      return m.predict(w.xTest());
    } finally {
      Kiln.useBackend(before);
    }
  }

  /**
   * The relative tolerance of one inference with the same weights: the device and the CPU add in
   * different orders, so float32 results differ in the last bits, and 16-bit results by an ulp of
   * the compute type now and then (2^-11 relative for float16, 2^-8 for bfloat16), which later
   * layers carry on.
   */
  private static double inferenceTolerance(DTypePolicy policy) {
    return policy == DTypePolicy.MIXED_BFLOAT16
        ? 2e-2
        : policy == DTypePolicy.MIXED_FLOAT16 ? 4e-3 : 1e-5;
  }

  /**
   * Runs {@code w} on both backends and asserts that the device's losses, metrics, evaluation and
   * predictions are the CPU's within the workload's tolerance times {@code slack} (1 on the
   * emulated device; more on a GPU, whose float32 GEMMs add in tiles), and that the device's model
   * given the CPU's trained weights predicts what the CPU's does.
   *
   * <p>Accuracies count samples: a sample whose two largest scores are closer than the training's
   * differences may go either way, so they may also differ by one sample.
   */
  static Outcome assertSameAsCpu(Workload w, Backend device, Backend cpu, double slack) {
    Outcome expected = run(cpu, w);
    Outcome actual = run(device, w);
    double tol = w.tolerance() * slack;
    assertEquals(expected.history().keySet(), actual.history().keySet(), w + ": history keys");
    for (String key : expected.history().keySet()) {
      ApiTestSupport.assertClose(
          w + ": " + key + " per epoch",
          doubles(expected.history().get(key)),
          doubles(actual.history().get(key)),
          tolerance(w, key, tol));
    }
    assertEquals(expected.evaluation().keySet(), actual.evaluation().keySet(), w + ": metrics");
    for (String key : expected.evaluation().keySet()) {
      ApiTestSupport.assertClose(
          w + ": evaluate " + key,
          expected.evaluation().get(key),
          actual.evaluation().get(key),
          tolerance(w, "val_" + key, tol));
    }
    assertEquals(expected.predicted().shape(), actual.predicted().shape(), w + ": predict shape");
    assertEquals(expected.predicted().dtype(), actual.predicted().dtype(), w + ": predict dtype");
    ApiTestSupport.assertClose(
        w + ": predict after training",
        expected.predicted().toDoubleArray(),
        actual.predicted().toDoubleArray(),
        tol);
    ApiTestSupport.assertClose(
        w + ": predict with the CPU's trained weights",
        expected.predicted().toDoubleArray(),
        predictWith(device, w, expected.weights()).toDoubleArray(),
        inferenceTolerance(w.policy()) * slack);
    List<Double> loss = expected.history().get("loss");
    assertTrue(
        loss.get(loss.size() - 1) < loss.get(0),
        w + ": the loss falls on the CPU, " + loss + ", so the comparison means something");
    return actual;
  }

  /** The tolerance of history entry {@code key}: one sample more for an accuracy. */
  private static double tolerance(Workload w, String key, double tol) {
    if (!key.contains("accuracy")) {
      return tol;
    }
    int samples = key.startsWith("val_") ? w.xTest().length() : w.x().length();
    return tol + 1.0 / samples + 1e-9;
  }

  private static double[] doubles(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).toArray();
  }

  // ------------------------------------------------------------------ data

  private static Idx.Split mnist;

  /**
   * The first 2,000 training and 500 test images of MNIST, from the api's test resources (so the
   * GPU bundle, which has no data directory, has them too).
   */
  static synchronized Idx.Split mnist() {
    if (mnist == null) {
      try {
        Path dir = Files.createTempDirectory("kiln-mnist-subset");
        for (String f :
            List.of(
                "train-images-idx3-ubyte.gz",
                "train-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz",
                "t10k-labels-idx1-ubyte.gz")) {
          try (InputStream in = DeviceWorkloads.class.getResourceAsStream("mnist/" + f)) {
            if (in == null) {
              throw new IllegalStateException("missing test resource mnist/" + f);
            }
            Files.copy(in, dir.resolve(f));
          }
          dir.resolve(f).toFile().deleteOnExit();
        }
        dir.toFile().deleteOnExit();
        mnist = Idx.loadMnist(dir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return mnist;
  }

  /** Bytes to floats in [0, 1], one row of 784 per image. */
  static Tensor scale(Tensor images) {
    float[] v = images.cast(DType.FLOAT32).toFloatArray();
    for (int i = 0; i < v.length; i++) {
      v[i] /= 255f;
    }
    return Tensor.of(v, images.length(), 784);
  }

  /**
   * {@code n} noisy {@code size x size} one-channel images, each with a bright 3x3 square in the
   * left, middle or right third: the class.
   */
  private static Tensor[] squares(long seed, int n, int size) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[n * size * size];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = r.nextInt(3);
      for (int p = 0; p < size * size; p++) {
        v[i * size * size + p] = (float) (r.nextDouble() * 0.6 - 0.3);
      }
      int row = r.nextInt(size - 2);
      int col = y[i] * size / 3 + r.nextInt(size / 3 - 2);
      for (int dr = 0; dr < 3; dr++) {
        for (int dc = 0; dc < 3; dc++) {
          v[i * size * size + (row + dr) * size + col + dc] += 1;
        }
      }
    }
    return new Tensor[] {Tensor.of(v, n, size, size, 1), Tensor.of(y)};
  }

  /**
   * {@code n} sequences of {@code steps} steps of {@code features} noise values; the class is the
   * one of the first three features with the largest sum over the steps.
   */
  private static Tensor[] sequences(long seed, int n, int steps, int features) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[n * steps * features];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      double[] sums = new double[3];
      for (int t = 0; t < steps; t++) {
        for (int f = 0; f < features; f++) {
          float e = (float) (r.nextDouble() * 2 - 1);
          v[(i * steps + t) * features + f] = e;
          if (f < 3) {
            sums[f] += e;
          }
        }
      }
      y[i] = sums[0] >= sums[1] && sums[0] >= sums[2] ? 0 : sums[1] >= sums[2] ? 1 : 2;
    }
    return new Tensor[] {Tensor.of(v, n, steps, features), Tensor.of(y)};
  }

  // ------------------------------------------------------------------ workloads

  private static void adamSparse(Model m) {
    m.compile(new Adam(0.001), Losses.get("sparse_categorical_crossentropy"), "accuracy");
  }

  /**
   * The README's MNIST MLP (784-512-256-10, ReLU, dropout 0.2, Adam, sparse categorical
   * cross-entropy, accuracy) on the first {@code images} training images, validated on the 500 test
   * images.
   */
  static Workload mnistMlp(int images, int epochs) {
    Idx.Split s = mnist();
    return new Workload(
        "MNIST MLP",
        () ->
            new Sequential(
                Input.of(784),
                new Dense(512, "relu"),
                new Dropout(0.2),
                new Dense(256, "relu"),
                new Dropout(0.2),
                new Dense(10, "softmax")),
        DeviceWorkloads::adamSparse,
        scale(s.trainImages()).slice(0, images),
        s.trainLabels().slice(0, images),
        scale(s.testImages()),
        s.testLabels(),
        epochs,
        128,
        DTypePolicy.FLOAT32,
        1e-4);
  }

  /** A small CNN with Conv2D, BatchNormalization, MaxPooling2D and Dropout on 12x12 images. */
  static Workload cnn() {
    Tensor[] train = squares(11, 96, 12);
    Tensor[] test = squares(12, 32, 12);
    return new Workload(
        "CNN",
        () ->
            new Sequential(
                Input.of(12, 12, 1),
                new Conv2D(6, 3).activation("relu"),
                new BatchNormalization(),
                new MaxPooling2D(2),
                new Dropout(0.25),
                new Conv2D(8, 3).padding("same").activation("relu"),
                new MaxPooling2D(2),
                new Flatten(),
                new Dense(3, "softmax")),
        m -> m.compile(new Adam(0.01), Losses.get("sparse_categorical_crossentropy"), "accuracy"),
        train[0],
        train[1],
        test[0],
        test[1],
        3,
        32,
        DTypePolicy.FLOAT32,
        1e-4);
  }

  /** An LSTM then a GRU over sequences of 8 steps of 5 features. */
  static Workload recurrent() {
    Tensor[] train = sequences(21, 64, 8, 5);
    Tensor[] test = sequences(22, 16, 8, 5);
    return new Workload(
        "LSTM and GRU",
        () ->
            new Sequential(
                Input.of(8, 5),
                new LSTM(12).returnSequences(true),
                new GRU(10),
                new Dense(3, "softmax")),
        m -> m.compile(new Adam(0.01), Losses.get("sparse_categorical_crossentropy"), "accuracy"),
        train[0],
        train[1],
        test[0],
        test[1],
        4,
        16,
        DTypePolicy.FLOAT32,
        1e-4);
  }

  /** An Embedding of int32 ids, averaged over the sequence, then a Dense classifier. */
  static Workload embedding() {
    SplittableRandom r = new SplittableRandom(31);
    int n = 80;
    int len = 6;
    int[] ids = new int[n * len];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      int sum = 0;
      for (int t = 0; t < len; t++) {
        ids[i * len + t] = r.nextInt(20);
        sum += ids[i * len + t] < 10 ? 1 : 0;
      }
      labels[i] = sum >= 3 ? 1 : 0;
    }
    Tensor x = Tensor.of(ids, n, len);
    Tensor y = Tensor.of(labels);
    return new Workload(
        "Embedding",
        () ->
            new Sequential(
                Input.of(DType.INT32, len),
                new Embedding(20, 8),
                new GlobalAveragePooling1D(),
                new Dense(2, "softmax")),
        m -> m.compile(new Adam(0.05), Losses.get("sparse_categorical_crossentropy"), "accuracy"),
        x.slice(0, 64),
        y.slice(0, 64),
        x.slice(64, n),
        y.slice(64, n),
        8,
        16,
        DTypePolicy.FLOAT32,
        1e-4);
  }

  /**
   * A Dense and Conv2D model under a mixed policy: float16 compute with the loss scaling that
   * Keras's {@code mixed_float16} brings, or bfloat16 compute.
   */
  static Workload mixed(DTypePolicy policy) {
    Tensor[] train = squares(41, 64, 9);
    Tensor[] test = squares(42, 16, 9);
    return new Workload(
        "mixed precision " + policy.name(),
        () ->
            new Sequential(
                Input.of(9, 9, 1),
                new Conv2D(4, 3).activation("relu"),
                new BatchNormalization(),
                new Flatten(),
                new Dense(16, "relu"),
                new Dense(3),
                new Reshape(3)),
        m -> {
          m.compile(
              new Adam(0.01),
              new Losses.SparseCategoricalCrossentropy().fromLogits(true),
              "accuracy");
          if (policy == DTypePolicy.MIXED_FLOAT16) {
            assertTrue(
                m.optimizer() instanceof LossScaleOptimizer,
                "mixed_float16 compiles with loss scaling");
          }
        },
        train[0],
        train[1],
        test[0],
        test[1],
        3,
        16,
        policy,
        policy == DTypePolicy.MIXED_FLOAT16 ? 2e-2 : 3e-2);
  }
}
