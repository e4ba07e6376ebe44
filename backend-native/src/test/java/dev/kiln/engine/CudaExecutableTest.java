package dev.kiln.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.cuda.CudaDevices;
import dev.kiln.engine.cuda.CudaTensor;
import dev.kiln.engine.cuda.FakeCudaRuntime;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.autodiff.Autodiff;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.backend.BackendOptions;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.Device;
import dev.kiln.spi.backend.DeviceTensor;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The CUDA executable through the backend on a fake device that runs the kernels on the host: a
 * dense model's training steps give the CPU device's losses and weights, variables stay on the
 * device, and only inputs and the outputs read cross the bus.
 */
class CudaExecutableTest {
  /** One GPU as the probe would list it, for tests with a fake device. */
  static final CudaDevices.Status ONE_GPU =
      new CudaDevices.Status(
          List.of(new CudaDevices.Info(0, "Fake GPU", 9, 0, 132, 4L << 30)),
          null,
          13000,
          Map.of(),
          null);

  private final List<FakeCudaRuntime> fakes = new ArrayList<>();

  private NativeBackend cudaBackend() {
    return new NativeBackend(
        BackendOptions.defaults(),
        new NativeDevices(() -> ONE_GPU, "cuda:0", "the test"),
        d -> {
          FakeCudaRuntime f = new FakeCudaRuntime(1L << 30, true);
          fakes.add(f);
          return f;
        });
  }

  private static final TensorType X = TensorType.of(DType.FLOAT32, 16, 12);
  private static final TensorType Y = TensorType.of(DType.FLOAT32, 16, 5);
  private static final TensorType W1 = TensorType.of(DType.FLOAT32, 12, 24);
  private static final TensorType B1 = TensorType.of(DType.FLOAT32, 24);
  private static final TensorType W2 = TensorType.of(DType.FLOAT32, 24, 5);

  private static HostTensor random(TensorType t, long seed, double scale) {
    SplittableRandom r = new SplittableRandom(seed);
    HostTensor h = HostTensor.zeros(t.dtype(), t.shape());
    for (int i = 0; i < h.size(); i++) {
      h.setDouble(i, (r.nextDouble() * 2 - 1) * scale);
    }
    return h;
  }

  private static HostTensor labels() {
    HostTensor h = HostTensor.zeros(DType.FLOAT32, Y.shape());
    for (int i = 0; i < 16; i++) {
      h.setDouble(i * 5 + i % 5, 1);
    }
    return h;
  }

  /** One SGD step of a two-layer perceptron with softmax cross-entropy; outputs the loss. */
  static Graph step() {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(X);
    Value y = b.input(Y);
    Value w1 = b.variable("w1", W1);
    Value b1 = b.variable("b1", B1);
    Value w2 = b.variable("w2", W2);
    Value h = b.relu(b.add(b.matmul(x, w1), b1));
    Value logits = b.matmul(h, w2);
    Value loss = b.reduceMean(b.softmaxCrossEntropy(logits, y, -1), new int[] {0}, false);
    List<Value> g = Autodiff.gradients(b, loss, List.of(w1, b1, w2));
    Value lr = b.scalar(0.5, DType.FLOAT32);
    return b.update("w1", b.sub(w1, b.mul(lr, g.get(0))))
        .update("b1", b.sub(b1, b.mul(lr, g.get(1))))
        .update("w2", b.sub(w2, b.mul(lr, g.get(2))))
        .output(loss)
        .build();
  }

  static List<Double> train(Backend backend, int steps) {
    return train(backend, steps, e -> {});
  }

  /** Trains {@code steps} steps; {@code after} sees the executable before it is closed. */
  static List<Double> train(
      Backend backend, int steps, java.util.function.Consumer<Executable> after) {
    backend.createVariable("w1", random(W1, 1, 0.5));
    backend.createVariable("b1", random(B1, 2, 0.1));
    backend.createVariable("w2", random(W2, 3, 0.5));
    List<Double> losses = new ArrayList<>();
    HostTensor x = random(X, 4, 1);
    HostTensor y = labels();
    try (Executable e = backend.compile(step(), CompileOptions.defaults())) {
      for (int s = 0; s < steps; s++) {
        losses.add(e.runHost(List.of(x, y)).get(0).getDouble(0));
      }
      after.accept(e);
    }
    return losses;
  }

  @Test
  void trainingStepsMatchTheCpuDevice() {
    List<Double> cpu;
    HostTensor cpuW2;
    try (Backend backend = new NativeBackendProvider().open(BackendOptions.defaults())) {
      cpu = train(backend, 20);
      cpuW2 = backend.variable("w2").orElseThrow().read();
    }
    try (NativeBackend backend = cudaBackend()) {
      assertEquals(new Device("native", "cuda", 0), backend.defaultDevice());
      List<Double> gpu = train(backend, 20);
      for (int s = 0; s < cpu.size(); s++) {
        assertEquals(cpu.get(s), gpu.get(s), 1e-4 * Math.abs(cpu.get(s)), "loss at step " + s);
      }
      assertTrue(gpu.get(19) < 0.5 * gpu.get(0), "the loss falls: " + gpu);
      HostTensor w2 = backend.variable("w2").orElseThrow().read();
      for (int i = 0; i < w2.size(); i++) {
        assertEquals(cpuW2.getDouble(i), w2.getDouble(i), 1e-4, "w2[" + i + "]");
      }
    }
  }

  @Test
  void variablesStayOnTheDeviceAndARunAllocatesNothingNew() {
    try (NativeBackend backend = cudaBackend()) {
      backend.createVariable("w1", random(W1, 1, 0.5));
      backend.createVariable("b1", random(B1, 2, 0.1));
      backend.createVariable("w2", random(W2, 3, 0.5));
      FakeCudaRuntime device = fakes.get(0);
      try (Executable e = backend.compile(step(), CompileOptions.defaults())) {
        DeviceTensor x = backend.upload(random(X, 4, 1));
        DeviceTensor y = backend.upload(labels());
        assertInstanceOf(CudaTensor.class, x);
        // The first run goes launch by launch, the second captures the step into a graph.
        e.run(List.of(x, y)).forEach(DeviceTensor::close);
        e.run(List.of(x, y)).forEach(DeviceTensor::close);
        device.events.clear();
        List<DeviceTensor> out = e.run(List.of(x, y));
        assertTrue(
            device.events.stream().noneMatch(s -> s.startsWith("alloc")),
            "the output comes from the cache: " + device.events);
        assertTrue(
            device.events.stream()
                .noneMatch(s -> s.startsWith("upload") || s.startsWith("download")),
            "a step moves nothing over the bus");
        backend.download(out.get(0));
        assertEquals(1, device.events.stream().filter(s -> s.startsWith("download")).count());
        out.forEach(DeviceTensor::close);
        x.close();
        y.close();
      }
    }
  }

  @Test
  void anInputFromAnotherDeviceIsRefusedWithTheReason() {
    try (NativeBackend backend = cudaBackend()) {
      GraphBuilder b = new GraphBuilder();
      Value x = b.input(X);
      Graph g = b.output(b.exp(x)).build();
      try (Executable e = backend.compile(g, CompileOptions.defaults())) {
        DeviceTensor onCpu = backend.upload(random(X, 1, 1), new Device("native", "cpu", 0));
        BackendException ex = assertThrows(BackendException.class, () -> e.run(List.of(onCpu)));
        assertTrue(ex.getMessage().contains("cuda:0"), ex.getMessage());
        onCpu.close();
      }
    }
  }
}
