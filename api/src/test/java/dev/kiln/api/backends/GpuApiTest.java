package dev.kiln.api.backends;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.DTypePolicy;
import dev.kiln.engine.CudaTestBackends;
import dev.kiln.spi.backend.Backend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link EmulatedCudaApiTest}'s models on this machine's real {@code cuda:0}, through the CUDA
 * executor, against the CPU device: the MNIST MLP reaches the CPU's accuracy, and each model
 * trains, evaluates and predicts as on the CPU. Skipped, with the reason, where no CUDA device is
 * usable. Its data (a 2,000-image MNIST subset) is in the api's test resources, so the GPU bundle
 * needs nothing else.
 *
 * <p>A GPU's float32 GEMMs add in tiles, in another order than the CPU and the emulator, so the
 * float32 comparisons get ten times the emulated device's tolerance (1e-3 relative after training,
 * 1e-4 for one inference); the 16-bit ones, already loose, twice.
 */
@Tag("gpu")
class GpuApiTest {
  private static final double FLOAT32_SLACK = 10;
  private static final double MIXED_SLACK = 2;

  private static Backend device;
  private static Backend cpu;

  private static String unavailable;

  @BeforeAll
  static void open() {
    unavailable = CudaTestBackends.gpuUnavailable();
    if (unavailable == null) {
      device = CudaTestBackends.gpu();
      cpu = CudaTestBackends.cpu();
      assertEquals("cuda", device.defaultDevice().kind(), "the GPU backend runs on cuda:0");
    }
  }

  /** Each test skips with the reason, so a run without a GPU lists them as skipped. */
  @BeforeEach
  void needGpu() {
    Assumptions.assumeTrue(unavailable == null, () -> "no usable CUDA device: " + unavailable);
  }

  @AfterAll
  static void close() {
    if (device != null) {
      device.close();
      cpu.close();
    }
  }

  @Test
  void mnistMlpReachesTheCpuAccuracy() {
    DeviceWorkloads.Outcome o =
        DeviceWorkloads.assertSameAsCpu(
            DeviceWorkloads.mnistMlp(2000, 3), device, cpu, FLOAT32_SLACK);
    double accuracy = o.evaluation().get("accuracy");
    assertTrue(
        accuracy > 0.8, "MNIST test accuracy after three epochs on 2,000 images: " + accuracy);
  }

  @Test
  void cnnWithBatchNormalizationPoolingAndDropout() {
    DeviceWorkloads.assertSameAsCpu(DeviceWorkloads.cnn(), device, cpu, FLOAT32_SLACK);
  }

  @Test
  void lstmAndGru() {
    DeviceWorkloads.assertSameAsCpu(DeviceWorkloads.recurrent(), device, cpu, FLOAT32_SLACK);
  }

  @Test
  void embedding() {
    DeviceWorkloads.assertSameAsCpu(DeviceWorkloads.embedding(), device, cpu, FLOAT32_SLACK);
  }

  @Test
  void mixedFloat16WithLossScaling() {
    DeviceWorkloads.assertSameAsCpu(
        DeviceWorkloads.mixed(DTypePolicy.MIXED_FLOAT16), device, cpu, MIXED_SLACK);
  }

  @Test
  void mixedBfloat16() {
    DeviceWorkloads.assertSameAsCpu(
        DeviceWorkloads.mixed(DTypePolicy.MIXED_BFLOAT16), device, cpu, MIXED_SLACK);
  }
}
