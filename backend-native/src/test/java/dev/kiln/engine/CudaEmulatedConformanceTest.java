package dev.kiln.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.engine.cuda.CudnnConvolution;
import dev.kiln.engine.cuda.FakeCudaRuntime;
import dev.kiln.engine.cuda.driver.Cudnn;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.testkit.ConformanceSuite;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;

/**
 * The whole conformance kit through the CUDA executor on a fake device that runs each launch on the
 * host by the kernels' documented ABI: checks, without a GPU, the lowering (kernels, grids,
 * arguments), the memory plan, scans, variables and updates. The device has a cuDNN (emulated by
 * its documented definitions), so the convolutions cuDNN can run go there, with their kernels
 * transposed into and out of its filter order, and the others to Kiln's im2col kernels; {@link
 * CudaEmulatedGraphConformanceTest} runs every convolution on Kiln's kernels. The kernels
 * themselves are checked on a GPU by {@code KernelsOnGpuTest} and {@link CudaConformanceTest}.
 */
class CudaEmulatedConformanceTest extends ConformanceSuite {
  private static final List<FakeCudaRuntime> DEVICES = new CopyOnWriteArrayList<>();

  @AfterAll
  static void everyCudnnPassRan() {
    Set<Cudnn.Pass> passes = EnumSet.noneOf(Cudnn.Pass.class);
    for (FakeCudaRuntime d : DEVICES) {
      d.cudnnPlans().stream().map(CudnnConvolution::pass).forEach(passes::add);
    }
    DEVICES.clear();
    // Guards against the kit passing with every convolution on Kiln's kernels.
    assertEquals(EnumSet.allOf(Cudnn.Pass.class), passes, "cuDNN passes the kit planned");
  }

  @Override
  protected Backend openBackend() {
    return CudaTestBackends.emulatedForTheKit(FakeCudaRuntime::withCudnn, DEVICES);
  }
}
