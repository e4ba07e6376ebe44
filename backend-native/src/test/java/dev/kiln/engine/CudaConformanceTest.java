package dev.kiln.engine;

import dev.kiln.engine.cuda.CudaDevices;
import dev.kiln.engine.cuda.CudaDriverRuntime;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendOptions;
import dev.kiln.spi.testkit.ConformanceSuite;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;

/**
 * The whole conformance kit on {@code cuda:0} through the CUDA executor, whatever {@link
 * NativeDevices#CUDA_EXECUTOR_READY} says. Skipped, with the reason, where no CUDA device is
 * usable.
 */
@Tag("gpu")
class CudaConformanceTest extends ConformanceSuite {
  /** The engine on {@code cuda:0} with the driver's runtime, or a skip naming the reason. */
  static NativeBackend openOnGpu() {
    CudaDevices.Status s = CudaDevices.shared();
    Assumptions.assumeTrue(s.usable(), () -> "no usable CUDA device: " + s.reason());
    return new NativeBackend(
        BackendOptions.defaults(),
        new NativeDevices(() -> s, "cuda:0", "the GPU tests"),
        d -> new CudaDriverRuntime(s, s.devices().get(d.index())));
  }

  @Override
  protected Backend openBackend() {
    return openOnGpu();
  }
}
