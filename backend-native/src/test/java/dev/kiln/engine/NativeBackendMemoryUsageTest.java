package dev.kiln.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.Device;
import dev.kiln.spi.backend.DeviceTensor;
import dev.kiln.spi.backend.MemoryUsage;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The engine's memory figures for a CUDA device (an emulated one) and none for the CPU. */
class NativeBackendMemoryUsageTest {
  @Test
  void aCudaDeviceReportsItsAllocatorsUseAndPeaksAndTheCpuNothing() {
    try (Backend b = CudaTestBackends.emulated()) {
      Device gpu = b.defaultDevice();
      Device cpu = new Device(NativeBackendProvider.NAME, "cpu", 0);
      assertEquals(Optional.empty(), b.memoryUsage(cpu));
      assertEquals(Optional.of(new MemoryUsage(0, 0, 0, 0)), b.memoryUsage(gpu), "before use");
      DeviceTensor x = b.upload(HostTensor.zeros(DType.FLOAT32, Shape.of(1000)), gpu);
      DeviceTensor y = b.upload(HostTensor.zeros(DType.FLOAT32, Shape.of(300)), gpu);
      MemoryUsage both = b.memoryUsage(gpu).orElseThrow();
      assertEquals(4096 + 1536, both.inUse(), "two tensors, by size class");
      x.close();
      MemoryUsage after = b.memoryUsage(gpu).orElseThrow();
      assertEquals(1536, after.inUse());
      assertEquals(4096 + 1536, after.reserved(), "x's block stays cached");
      assertEquals(4096 + 1536, after.peakInUse());
      assertTrue(after.peakReserved() >= after.reserved());
      y.close();
    }
  }
}
