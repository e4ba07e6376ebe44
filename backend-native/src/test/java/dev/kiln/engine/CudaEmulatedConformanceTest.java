package dev.kiln.engine;

import dev.kiln.engine.cuda.FakeCudaRuntime;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendOptions;
import dev.kiln.spi.testkit.ConformanceSuite;

/**
 * The whole conformance kit through the CUDA executor on a fake device that runs each launch on the
 * host by the kernels' documented ABI: checks, without a GPU, the lowering (kernels, grids,
 * arguments), the memory plan, scans, variables and updates. The kernels themselves are checked on
 * a GPU by {@code KernelsOnGpuTest} and {@link CudaConformanceTest}.
 */
class CudaEmulatedConformanceTest extends ConformanceSuite {
  @Override
  protected Backend openBackend() {
    return new NativeBackend(
        BackendOptions.defaults(),
        new NativeDevices(() -> CudaExecutableTest.ONE_GPU, "cuda:0", "the emulated-GPU test"),
        // A small workspace makes the convolution cases run in chunks of images too.
        d -> new FakeCudaRuntime(4L << 30, true).limitWorkspace(2048));
  }
}
