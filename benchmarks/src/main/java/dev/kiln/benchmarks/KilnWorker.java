package dev.kiln.benchmarks;

import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.Backends;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.DeviceTensor;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.ir.Graph;
import java.util.List;

/** Trains one epoch with Kiln in this process and prints its {@link Result}. */
final class KilnWorker {
  private KilnWorker() {}

  static Result train(String backendName, String model, Mnist data) {
    int batch = model.equals("mlp") ? 128 : 64;
    try (Backend backend = Backends.open(backendName)) {
      Graph step =
          model.equals("mlp") ? KilnModels.mlp(backend, batch) : KilnModels.lenet(backend, batch);
      Shape xShape =
          model.equals("mlp") ? Shape.of(batch, Mnist.PIXELS) : Shape.of(batch, 28, 28, 1);
      int steps = data.count() / batch;
      float[] x = new float[batch * Mnist.PIXELS];
      int[] y = new int[batch];
      double loss = Double.NaN;
      long start = 0;
      long half = 0;
      try (Executable exe = backend.compile(step, CompileOptions.defaults())) {
        for (int s = 0; s < steps; s++) {
          if (s == 1) {
            start = System.nanoTime();
          }
          if (s == steps / 2) {
            half = System.nanoTime();
          }
          data.batch(s * batch, batch, x);
          System.arraycopy(data.labels(), s * batch, y, 0, batch);
          try (DeviceTensor xt = backend.upload(HostTensor.of(xShape, x));
              DeviceTensor yt = backend.upload(HostTensor.of(Shape.of(batch), y))) {
            List<DeviceTensor> out = exe.run(List.of(xt, yt));
            if (s == steps - 1) {
              loss = backend.download(out.get(0)).getDouble(0);
            }
            out.forEach(DeviceTensor::close);
          }
        }
      }
      long end = System.nanoTime();
      double seconds = (end - start) / 1e9;
      double sps = (steps - 1) * (double) batch / seconds;
      double steady = Result.steady(steps, steps / 2, batch, end - half);
      String settings =
          backendName.equals("nd4j")
              ? "ND4J 1.0.0-M2.1 (nd4j-native linux-x86_64, its OpenBLAS), OPENBLAS_CORETYPE="
                  + System.getenv("OPENBLAS_CORETYPE")
              : "threads="
                  + Runtime.getRuntime().availableProcessors()
                  + ", no BLAS (Kiln's own SGEMM), "
                  + simd();
      return new Result(
          "kiln+" + backendName, model, sps, Result.processPeakRssMb(), loss, settings, steady);
    }
  }

  /**
   * A model through the Keras-style api: compile and one pass of fit over {@code steps} batches (no
   * shuffle, no progress bar), timed from the end of the first batch (which compiles) to the end.
   * The MLP and LeNet have the same architectures, initial scheme, optimizer and batch sizes as the
   * IR rows; the ResNet and the LSTM are {@link KilnModels#resnetApi} and {@link
   * KilnModels#lstmApi}. MNIST feeds all but the LSTM, which trains on random sequences with random
   * labels (only speed is measured). {@code data} may be null for the LSTM.
   */
  /**
   * With {@code -Dkiln.bench.traceEvery=N}, the api rows print the time of every Nth step to
   * stderr, to show how long the JIT's warm-up lasts.
   */
  private static final int TRACE_EVERY = Integer.getInteger("kiln.bench.traceEvery", 0);

  static Result trainApi(String model, Mnist data, int steps) {
    int batch = model.equals("mlp") ? 128 : 64;
    int n = steps * batch;
    // Batches are made as fit asks for them, so the run never holds a float copy of the whole
    // set (the worker runs in 128 MB of heap, as the IR worker does).
    dev.kiln.api.data.Dataset batches =
        dev.kiln.api.data.Dataset.fromIterable(
            () ->
                new java.util.Iterator<>() {
                  int at;
                  final java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);

                  @Override
                  public boolean hasNext() {
                    return at < n;
                  }

                  @Override
                  public List<dev.kiln.api.Tensor> next() {
                    List<dev.kiln.api.Tensor> b = model.equals("lstm") ? sequences() : images();
                    at += batch;
                    return b;
                  }

                  private List<dev.kiln.api.Tensor> sequences() {
                    int t = KilnModels.LSTM_STEPS;
                    int f = KilnModels.LSTM_FEATURES;
                    float[] x = new float[batch * t * f];
                    for (int i = 0; i < x.length; i++) {
                      x[i] = (float) rnd.nextGaussian();
                    }
                    int[] y = new int[batch];
                    for (int i = 0; i < batch; i++) {
                      y[i] = rnd.nextInt(10);
                    }
                    return List.of(
                        dev.kiln.api.Tensor.of(x, batch, t, f), dev.kiln.api.Tensor.of(y));
                  }

                  private List<dev.kiln.api.Tensor> images() {
                    float[] x = new float[batch * Mnist.PIXELS];
                    data.batch(at, batch, x);
                    int[] y = java.util.Arrays.copyOfRange(data.labels(), at, at + batch);
                    dev.kiln.api.Tensor images =
                        model.equals("mlp")
                            ? dev.kiln.api.Tensor.of(x, batch, Mnist.PIXELS)
                            : dev.kiln.api.Tensor.of(x, batch, 28, 28, 1);
                    return List.of(images, dev.kiln.api.Tensor.of(y));
                  }
                },
            steps);
    dev.kiln.api.Kiln.setRandomSeed(42);
    dev.kiln.api.models.Model m =
        switch (model) {
          case "lenet" ->
              new dev.kiln.api.models.Sequential(
                  dev.kiln.api.layers.core.Input.of(28, 28, 1),
                  new dev.kiln.api.layers.convolutional.Conv2D(20, 5, 5).activation("relu"),
                  new dev.kiln.api.layers.pooling.MaxPooling2D(2, 2),
                  new dev.kiln.api.layers.convolutional.Conv2D(50, 5, 5).activation("relu"),
                  new dev.kiln.api.layers.pooling.MaxPooling2D(2, 2),
                  new dev.kiln.api.layers.reshaping.Flatten(),
                  new dev.kiln.api.layers.core.Dense(500, "relu"),
                  new dev.kiln.api.layers.core.Dense(10));
          case "mlp" ->
              new dev.kiln.api.models.Sequential(
                  dev.kiln.api.layers.core.Input.of(Mnist.PIXELS),
                  new dev.kiln.api.layers.core.Dense(512, "relu"),
                  new dev.kiln.api.layers.core.Dense(256, "relu"),
                  new dev.kiln.api.layers.core.Dense(10));
          case "resnet" -> KilnModels.resnetApi();
          case "lstm" -> KilnModels.lstmApi();
          default -> throw new IllegalArgumentException("unknown model " + model);
        };
    // The ResNet ends in a softmax, as Keras's would; the others give logits.
    m.compile(
        new dev.kiln.api.optimizers.Adam(1e-3),
        new dev.kiln.api.losses.Losses.SparseCategoricalCrossentropy()
            .fromLogits(!model.equals("resnet")));
    long[] start = {0};
    long[] half = {0};
    double[] loss = {Double.NaN};
    dev.kiln.api.callbacks.LambdaCallback timer =
        new dev.kiln.api.callbacks.LambdaCallback()
            .onBatchEnd(
                (b, logs) -> {
                  if (b == 0) {
                    start[0] = System.nanoTime();
                  }
                  // The end of step half - 1 is where step half starts.
                  if (b == steps / 2 - 1) {
                    half[0] = System.nanoTime();
                  }
                  if (TRACE_EVERY > 0 && b % TRACE_EVERY == 0) {
                    System.err.printf(
                        java.util.Locale.ROOT,
                        "step %d at %.3f s (%s, JVM uptime %d ms)%n",
                        b,
                        (System.nanoTime() - start[0]) / 1e9,
                        java.time.LocalTime.now(),
                        java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime());
                  }
                  loss[0] = logs.get("loss");
                });
    m.fit(batches, new dev.kiln.api.models.FitOptions().epochs(1).verbose(0).callbacks(timer));
    long end = System.nanoTime();
    double seconds = (end - start[0]) / 1e9;
    double sps = (steps - 1) * (double) batch / seconds;
    double steady = Result.steady(steps, steps / 2, batch, end - half[0]);
    String backend = dev.kiln.api.Kiln.backend().name();
    String what =
        switch (model) {
          case "lenet" -> "LeNet through Sequential/compile/fit";
          case "mlp" -> "the MLP through Sequential/compile/fit";
          case "resnet" ->
              "ResNet (stem + blocks 16/32/64, BN) through Model.of/compile/fit, "
                  + steps
                  + " steps";
          default ->
              "LSTM(128) over 100x32 + Dense(10) through Sequential/compile/fit, "
                  + steps
                  + " steps";
        };
    return new Result(
        backend.equals("native") ? "kiln-api" : "kiln-api+" + backend,
        model,
        sps,
        Result.processPeakRssMb(),
        loss[0],
        what
            + ", "
            + m.countParams()
            + " weights; "
            + (backend.equals("native")
                ? "threads=" + Runtime.getRuntime().availableProcessors() + ", " + simd()
                : "backend " + backend),
        steady);
  }

  private static String simd() {
    return dev.kiln.engine.cpu.Simd.ENABLED
        ? dev.kiln.engine.cpu.Simd.BITS + "-bit vectors"
        : "scalar kernels";
  }

  /** Runs one prediction of a small model: the orchestrator times this whole process. */
  static void firstPrediction() {
    try (Backend backend = Backends.open()) {
      Graph g = KilnModels.smallPredict(backend);
      try (Executable exe = backend.compile(g, CompileOptions.defaults())) {
        HostTensor out =
            exe.runHost(List.of(HostTensor.of(Shape.of(1, Mnist.PIXELS), new float[Mnist.PIXELS])))
                .get(0);
        if (out.size() != 10) {
          throw new IllegalStateException("unexpected prediction " + out);
        }
      }
    }
  }
}
