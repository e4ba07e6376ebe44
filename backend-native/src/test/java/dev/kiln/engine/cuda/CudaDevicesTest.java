package dev.kiln.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.cuda.driver.CudaLibraries;
import java.lang.foreign.Linker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe never throws: without a driver it gives the reason and no devices. */
class CudaDevicesTest {
  @TempDir Path tmp;

  @Test
  void noDriverGivesTheReasonWithEveryPlaceSearched() {
    CudaDevices.Status s =
        CudaDevices.probe(CudaLibraries.Settings.only(List.of(tmp)), CudaLibraries.Loader.SYSTEM);
    assertFalse(s.usable());
    assertTrue(s.devices().isEmpty());
    assertNull(s.driver());
    assertTrue(
        s.reason().startsWith("no libcuda.so.1 found; searched kiln.cuda.libraryPath=(unset)"),
        s.reason());
    assertTrue(s.reason().contains("no libcuda.so.* in " + tmp), s.reason());
    assertEquals("CUDA: none (" + s.reason() + ")", s.summary());
  }

  @Test
  void aLibraryThatIsNotTheDriverIsReportedNotThrown() throws Exception {
    Files.createFile(tmp.resolve("libcuda.so.1"));
    // Stands in for a libcuda.so.1 that loads but is not the driver: the C library has no cuInit.
    CudaDevices.Status s =
        CudaDevices.probe(
            CudaLibraries.Settings.only(List.of(tmp)), c -> Linker.nativeLinker().defaultLookup());
    assertFalse(s.usable());
    assertEquals(
        "the CUDA driver cannot be used: the CUDA driver at "
            + tmp.resolve("libcuda.so.1")
            + " has no cuInit; Kiln needs a version that has it",
        s.reason());
  }

  @Test
  void theSharedProbeAnswersOnAnyMachine() {
    CudaDevices.Status s = CudaDevices.shared();
    assertTrue(s.usable() ? s.reason() == null : !s.reason().isBlank(), String.valueOf(s.reason()));
    assertTrue(s.summary().startsWith("CUDA"), s.summary());
  }
}
