package dev.kiln.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spi.HostTensor;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendOptions;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A small perceptron's training steps on {@code cuda:0} give the CPU device's losses and weights.
 * Skipped, with the reason, where no CUDA device is usable.
 */
@Tag("gpu")
class CudaTrainingOnGpuTest {
  @Test
  void aPerceptronFitsAsOnTheCpu() {
    List<Double> cpu;
    HostTensor cpuW2;
    try (Backend backend = new NativeBackendProvider().open(BackendOptions.defaults())) {
      cpu = CudaExecutableTest.train(backend, 20);
      cpuW2 = backend.variable("w2").orElseThrow().read();
    }
    try (NativeBackend gpu = CudaConformanceTest.openOnGpu()) {
      List<Double> losses = CudaExecutableTest.train(gpu, 20);
      for (int s = 0; s < cpu.size(); s++) {
        assertEquals(cpu.get(s), losses.get(s), 1e-3 * Math.abs(cpu.get(s)), "loss at step " + s);
      }
      assertTrue(losses.get(19) < 0.5 * losses.get(0), "the loss falls: " + losses);
      HostTensor w2 = gpu.variable("w2").orElseThrow().read();
      for (int i = 0; i < w2.size(); i++) {
        assertEquals(cpuW2.getDouble(i), w2.getDouble(i), 1e-3, "w2[" + i + "]");
      }
    }
  }
}
