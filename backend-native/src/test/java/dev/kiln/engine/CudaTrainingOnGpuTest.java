package dev.kiln.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.cuda.CudaDriverRuntime;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendOptions;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A small perceptron's training steps on {@code cuda:0} give the CPU device's losses and weights,
 * with every step after the first one launch of a captured CUDA graph, and the same as without
 * graphs. Skipped, with the reason, where no CUDA device is usable.
 */
@Tag("gpu")
class CudaTrainingOnGpuTest {
  private static final int STEPS = 20;

  @Test
  void aPerceptronFitsAsOnTheCpuThroughACapturedGraph() {
    List<Double> cpu;
    HostTensor cpuW2;
    try (Backend backend = new NativeBackendProvider().open(BackendOptions.defaults())) {
      cpu = CudaExecutableTest.train(backend, STEPS);
      cpuW2 = backend.variable("w2").orElseThrow().read();
    }
    try (NativeBackend gpu = CudaConformanceTest.openOnGpu()) {
      int[] graphLaunches = new int[1];
      String[] problem = new String[1];
      List<Double> losses =
          CudaExecutableTest.train(
              gpu,
              STEPS,
              e -> {
                graphLaunches[0] = ((CudaExecutable) e).graphLaunches();
                problem[0] = ((CudaExecutable) e).graphProblem();
              });
      for (int s = 0; s < cpu.size(); s++) {
        assertEquals(cpu.get(s), losses.get(s), 1e-3 * Math.abs(cpu.get(s)), "loss at step " + s);
      }
      assertTrue(losses.get(STEPS - 1) < 0.5 * losses.get(0), "the loss falls: " + losses);
      HostTensor w2 = gpu.variable("w2").orElseThrow().read();
      for (int i = 0; i < w2.size(); i++) {
        assertEquals(cpuW2.getDouble(i), w2.getDouble(i), 1e-3, "w2[" + i + "]");
      }
      CudaDriverRuntime runtime = (CudaDriverRuntime) gpu.cudaPlace(gpu.defaultDevice()).runtime();
      assertNull(runtime.captureProblem(), "the device can capture graphs");
      assertNull(problem[0], "the step was captured");
      assertEquals(STEPS - 1, graphLaunches[0], "every step after the first is one graph launch");
    }
  }

  @Test
  void theCapturedStepsMatchTheStepsLaunchByLaunch() {
    List<Double> plain;
    HostTensor plainW1;
    String old = System.getProperty("kiln.cuda.graphs");
    System.setProperty("kiln.cuda.graphs", "false");
    try (NativeBackend gpu = CudaConformanceTest.openOnGpu()) {
      plain = CudaExecutableTest.train(gpu, STEPS);
      plainW1 = gpu.variable("w1").orElseThrow().read();
    } finally {
      if (old == null) {
        System.clearProperty("kiln.cuda.graphs");
      } else {
        System.setProperty("kiln.cuda.graphs", old);
      }
    }
    try (NativeBackend gpu = CudaConformanceTest.openOnGpu()) {
      List<Double> captured = CudaExecutableTest.train(gpu, STEPS);
      for (int s = 0; s < STEPS; s++) {
        // The same kernels on the same data; only reductions with atomics could differ.
        assertEquals(plain.get(s), captured.get(s), 1e-6 * Math.abs(plain.get(s)), "step " + s);
      }
      HostTensor w1 = gpu.variable("w1").orElseThrow().read();
      for (int i = 0; i < w1.size(); i++) {
        assertEquals(plainW1.getDouble(i), w1.getDouble(i), 1e-6, "w1[" + i + "]");
      }
    }
  }
}
