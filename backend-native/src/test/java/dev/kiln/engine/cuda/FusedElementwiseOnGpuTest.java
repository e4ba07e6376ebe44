package dev.kiln.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.engine.cuda.driver.CudaLibraries.Library;
import dev.kiln.engine.cuda.driver.CudaLibraries.Located;
import dev.kiln.engine.cuda.driver.Nvrtc;
import dev.kiln.engine.cuda.kernels.KernelCatalog;
import dev.kiln.spi.DType;
import dev.kiln.spi.TensorType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Fused chains compiled by NVRTC on a real GPU against the same graphs run op by op with Kiln's
 * shipped kernels: every fusable op, broadcasts, bool results, and a chain large enough that the
 * grid-stride loop goes round. The values must be the same bit for bit (any NaN matching any NaN)
 * when NVRTC is the release of the nvcc that built the shipped PTX; an op that calls the math
 * library may otherwise differ by 2 units in the last place, as the releases' libraries may.
 * Skipped, with the reason, without a usable GPU or NVRTC.
 */
@Tag("gpu")
class FusedElementwiseOnGpuTest {
  @Test
  void fusedChainsGiveTheShippedKernelsValues() {
    CudaDevices.Status s = CudaDevices.shared();
    assumeTrue(s.usable(), () -> "no usable CUDA device: " + s.reason());
    Located found = s.library(Library.NVRTC).filter(Located::found).orElse(null);
    assumeTrue(found != null, () -> "NVRTC was not found, so nothing fuses: " + s.summary());
    Nvrtc nvrtc = Nvrtc.bind(found);
    int[] v = nvrtc.version();
    String nvcc = KernelCatalog.manifest().getProperty("nvcc");
    boolean sameRelease = nvcc.contains("release " + v[0] + "." + v[1] + ",");
    CudaDevices.Info info = s.devices().get(0);
    List<FusedChains.Case> cases = new ArrayList<>(FusedChains.all());
    // 4096 * 4100 elements: more than 65535 blocks of 256 threads cover.
    cases.add(
        FusedChains.build(
            "large dense-relu-sigmoid",
            List.of(
                TensorType.of(DType.FLOAT32, 4096, 4100),
                TensorType.of(DType.FLOAT32, 4096, 4100),
                TensorType.of(DType.FLOAT32, 4100)),
            (b, in) -> b.sigmoid(b.relu(b.add(b.mul(in.get(0), in.get(1)), in.get(2))))));
    try (CudaDriverRuntime fused =
            new CudaDriverRuntime(s.driver(), info, null, null, null, nvrtc);
        CudaDriverRuntime plain = new CudaDriverRuntime(s.driver(), info, null, null, null)) {
      for (FusedChains.Case c : cases) {
        FusedChains.Run f = FusedChains.run(fused, c.graph(), c.inputs());
        assertNull(fused.nvrtcProblem(), "NVRTC " + v[0] + "." + v[1] + " on " + fused.name());
        assertEquals(1, f.fusedLaunches(), c.name());
        FusedChains.Run p = FusedChains.run(plain, c.graph(), c.inputs());
        assertEquals(0, p.fusedLaunches(), c.name());
        boolean library =
            FusedElementwise.plan(c.graph()).get(0).helpers().values().stream()
                .anyMatch(h -> h.contains("__noinline__"));
        if (sameRelease || !library) {
          FusedChains.assertSameValues(c, p.output(), f.output(), "fused on " + fused.name());
        } else {
          assertWithinUlps(c, p.output(), f.output(), 2);
        }
      }
    }
  }

  private static void assertWithinUlps(
      FusedChains.Case c, byte[] expected, byte[] actual, int ulps) {
    FusedChains.assertValues(
        c,
        expected,
        actual,
        "the fused kernel",
        (x, y) ->
            Float.isNaN(x)
                ? Float.isNaN(y)
                : Math.abs((long) Float.floatToIntBits(x) - Float.floatToIntBits(y)) <= ulps
                    && Math.signum(x) == Math.signum(y));
  }
}
