package dev.kiln.api.backends;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.DTypePolicy;
import dev.kiln.engine.CudaTestBackends;
import dev.kiln.spi.backend.Backend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The api's models on the Kiln engine's CUDA executor, on a fake {@code cuda:0} that runs every
 * kernel launch on the host by the kernels' documented ABI ({@code KernelEmulator}): each trains,
 * evaluates and predicts as on the CPU device ({@link DeviceWorkloads}). This checks, without a
 * GPU, everything between the api and the kernels: the lowering of the ops these models use, the
 * memory plan, scans, variables on the device and their updates. {@code GpuApiTest} runs the same
 * on a real GPU.
 */
class EmulatedCudaApiTest {
  private static Backend device;
  private static Backend cpu;

  @BeforeAll
  static void open() {
    device = CudaTestBackends.emulated();
    cpu = CudaTestBackends.cpu();
    assertEquals("cuda", device.defaultDevice().kind(), "the emulated backend runs on cuda:0");
    assertEquals("cpu", cpu.defaultDevice().kind(), "the reference runs on the CPU");
  }

  @AfterAll
  static void close() {
    device.close();
    cpu.close();
  }

  @Test
  void mnistMlpReachesTheCpuAccuracy() {
    DeviceWorkloads.Outcome o =
        DeviceWorkloads.assertSameAsCpu(DeviceWorkloads.mnistMlp(2000, 2), device, cpu, 1);
    double accuracy = o.evaluation().get("accuracy");
    assertTrue(accuracy > 0.8, "MNIST test accuracy after two epochs on 2,000 images: " + accuracy);
  }

  @Test
  void cnnWithBatchNormalizationPoolingAndDropout() {
    DeviceWorkloads.assertSameAsCpu(DeviceWorkloads.cnn(), device, cpu, 1);
  }

  @Test
  void lstmAndGru() {
    DeviceWorkloads.assertSameAsCpu(DeviceWorkloads.recurrent(), device, cpu, 1);
  }

  @Test
  void embedding() {
    DeviceWorkloads.assertSameAsCpu(DeviceWorkloads.embedding(), device, cpu, 1);
  }

  @Test
  void mixedFloat16WithLossScaling() {
    DeviceWorkloads.assertSameAsCpu(
        DeviceWorkloads.mixed(DTypePolicy.MIXED_FLOAT16), device, cpu, 1);
  }

  @Test
  void mixedBfloat16() {
    DeviceWorkloads.assertSameAsCpu(
        DeviceWorkloads.mixed(DTypePolicy.MIXED_BFLOAT16), device, cpu, 1);
  }
}
