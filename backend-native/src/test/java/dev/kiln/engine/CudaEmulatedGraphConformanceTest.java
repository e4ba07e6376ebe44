package dev.kiln.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.cuda.FakeCudaRuntime;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.testkit.ConformanceSuite;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The whole conformance kit on the emulated device with every step captured into a CUDA graph at
 * its first run and replayed from the capture: checks, without a GPU, that every lowering can be
 * captured (nothing allocated, freed, waited for or copied to or from the host while capturing) and
 * that the graph path (the executable's own input and output buffers, outputs read before the
 * updates) gives the kit's results. {@link CudaEmulatedConformanceTest} runs the default path:
 * launch by launch first, captured from the second run.
 */
class CudaEmulatedGraphConformanceTest extends ConformanceSuite {
  private static final List<FakeCudaRuntime> DEVICES = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void captureEveryStep() {
    CudaExecutable.captureAtFirstRun = true;
  }

  @AfterAll
  static void captureAfterTheWarmUp() {
    CudaExecutable.captureAtFirstRun = false;
    int captures = DEVICES.stream().mapToInt(d -> d.captures).sum();
    int launches = DEVICES.stream().mapToInt(d -> d.graphLaunches).sum();
    DEVICES.clear();
    // Guards against the suite passing on the launch-by-launch path alone.
    assertTrue(
        captures > 0 && launches >= captures,
        "the kit's steps ran as graphs: " + captures + " captures, " + launches + " launches");
  }

  @Override
  protected Backend openBackend() {
    return CudaTestBackends.emulatedForTheKit(f -> f, DEVICES);
  }
}
