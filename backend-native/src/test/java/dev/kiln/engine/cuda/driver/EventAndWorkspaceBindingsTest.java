package dev.kiln.engine.cuda.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bindings the pinned upload pool and graph capture add: {@code cuEventQuery}'s "not ready" is
 * an answer, not an error, and {@code cublasSetWorkspace_v2} is optional.
 */
class EventAndWorkspaceBindingsTest {
  private static final MemorySegment EVENT = MemorySegment.ofAddress(0x1000);

  @Test
  void anEventQueryNotReadyIsFalseAndOtherErrorsThrow() {
    assertTrue(new CudaDriver(new FakeLibrary()).eventQuery(EVENT));
    assertFalse(
        new CudaDriver(new FakeLibrary().failing("cuEventQuery", CudaDriver.ERROR_NOT_READY))
            .eventQuery(EVENT));
    CudaException e =
        assertThrows(
            CudaException.class,
            () -> new CudaDriver(new FakeLibrary().failing("cuEventQuery", 400)).eventQuery(EVENT));
    assertEquals("cuEventQuery", e.call());
    assertEquals("CUDA_ERROR_INVALID_HANDLE", e.errorName());
  }

  @Test
  void theWorkspacePassesItsAddressAndSizeAndMayBeMissing() {
    FakeLibrary fake = new FakeLibrary();
    Cublas b = new Cublas(fake);
    assertTrue(b.canSetWorkspace());
    b.setWorkspace(MemorySegment.NULL, 0x4000, 32L << 20);
    List<Object> args = fake.last("cublasSetWorkspace_v2").args();
    assertEquals(0x4000L, ((MemorySegment) args.get(1)).address());
    assertEquals(32L << 20, args.get(2));

    Cublas old = new Cublas(new FakeLibrary().without("cublasSetWorkspace_v2"));
    assertFalse(old.canSetWorkspace());
    IllegalStateException missing =
        assertThrows(
            IllegalStateException.class, () -> old.setWorkspace(MemorySegment.NULL, 0x4000, 1));
    assertTrue(missing.getMessage().contains("cublasSetWorkspace_v2"), missing.getMessage());
  }
}
