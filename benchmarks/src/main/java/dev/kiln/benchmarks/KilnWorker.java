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
      try (Executable exe = backend.compile(step, CompileOptions.defaults())) {
        for (int s = 0; s < steps; s++) {
          if (s == 1) {
            start = System.nanoTime();
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
      double seconds = (System.nanoTime() - start) / 1e9;
      double sps = (steps - 1) * (double) batch / seconds;
      String settings =
          "threads="
              + Runtime.getRuntime().availableProcessors()
              + ", no BLAS (Kiln's own SGEMM), "
              + simd();
      return new Result(
          "kiln+" + backendName, model, sps, Result.processPeakRssMb(), loss, settings);
    }
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
