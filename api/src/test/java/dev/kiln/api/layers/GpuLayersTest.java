package dev.kiln.api.layers;

import dev.kiln.engine.CudaTestBackends;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * {@link EmulatedCudaLayersTest} on this machine's real {@code cuda:0}: the layer test classes'
 * dynamic and plain tests with the GPU as the backend, and every layer's case computing what the
 * CPU computes. Skipped, with the reason, where no CUDA device is usable. The emulated run checks
 * the lowering; this one checks the kernels themselves on every shape and type the layers give
 * them.
 */
@Tag("gpu")
class GpuLayersTest {
  private static void assumeGpu() {
    String why = CudaTestBackends.gpuUnavailable();
    Assumptions.assumeTrue(why == null, () -> "no usable CUDA device: " + why);
  }

  @TestFactory
  Stream<DynamicTest> layerTestsOnTheGpu() {
    assumeGpu();
    return EmulatedCudaLayersTest.layerTests(LayerTestSupport.CUDA);
  }

  @TestFactory
  Stream<DynamicTest> layerValuesAsOnTheCpu() {
    assumeGpu();
    // Ten times the emulated device's bound: a GPU's float32 GEMMs add in tiles.
    return EmulatedCudaLayersTest.sameAsCpu(LayerTestSupport.CUDA, 1e-3);
  }
}
