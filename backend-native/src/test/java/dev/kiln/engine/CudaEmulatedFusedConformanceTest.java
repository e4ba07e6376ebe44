package dev.kiln.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.cuda.FakeCudaRuntime;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.testkit.ConformanceSuite;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;

/**
 * The whole conformance kit on the emulated device with NVRTC: every elementwise chain of the kit's
 * graphs is one generated kernel, emulated by running the chain's nodes as the unfused program
 * would. Checks, without a GPU, the chains' planning (which nodes fuse, what they read), their
 * launches and the memory plan around them, under training steps, scans and graph capture. The
 * generated C itself is checked by {@code FusedElementwiseSourceTest} and on a GPU.
 */
class CudaEmulatedFusedConformanceTest extends ConformanceSuite {
  private static final List<FakeCudaRuntime> DEVICES = new CopyOnWriteArrayList<>();

  @AfterAll
  static void chainsWereFused() {
    int kernels = DEVICES.stream().mapToInt(d -> d.compiled().size()).sum();
    DEVICES.clear();
    // Guards against the kit passing with nothing fused.
    assertTrue(kernels > 10, "generated kernels the kit compiled: " + kernels);
  }

  @Override
  protected Backend openBackend() {
    return CudaTestBackends.emulatedForTheKit(FakeCudaRuntime::withNvrtc, DEVICES);
  }
}
