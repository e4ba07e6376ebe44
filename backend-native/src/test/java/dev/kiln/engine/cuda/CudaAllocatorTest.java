package dev.kiln.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.backend.MemoryUsage;
import org.junit.jupiter.api.Test;

/** The caching allocator over a fake device: size classes, reuse, the retry and its message. */
class CudaAllocatorTest {
  @Test
  void sizeClassesRoundUpToTheirUnits() {
    assertEquals(512, CudaAllocator.sizeClass(0));
    assertEquals(512, CudaAllocator.sizeClass(512));
    assertEquals(1024, CudaAllocator.sizeClass(513));
    assertEquals(1L << 20, CudaAllocator.sizeClass((1L << 20) - 1));
    assertEquals(2L << 20, CudaAllocator.sizeClass((1L << 20) + 1));
    assertEquals(4L << 20, CudaAllocator.sizeClass((2L << 20) + 1));
  }

  @Test
  void aReleasedBlockServesTheNextRequestOfItsClass() {
    FakeCudaRuntime device = new FakeCudaRuntime(1L << 30);
    CudaAllocator a = new CudaAllocator(device);
    long x = a.allocate(1000, () -> "x");
    long y = a.allocate(3000, () -> "y");
    assertNotEquals(x, y);
    a.release(x);
    assertEquals(1024, a.bytesCached());
    assertEquals(x, a.allocate(900, () -> "again"), "same class, cached block");
    assertEquals(2, a.driverAllocations());
    long z = a.allocate(1000, () -> "z");
    assertNotEquals(x, z, "x is in use again, so z is new");
    assertEquals(3, a.driverAllocations());
    assertEquals(1024 + 3072 + 1024, a.bytesInUse());
    assertThrows(IllegalArgumentException.class, () -> a.release(12345));
  }

  @Test
  void outOfMemoryFreesTheCacheAndRetriesOnce() {
    FakeCudaRuntime device = new FakeCudaRuntime(8L << 20);
    CudaAllocator a = new CudaAllocator(device);
    long big = a.allocate(6L << 20, () -> "big");
    a.release(big);
    assertEquals(6L << 20, device.used(), "the cache holds it");
    long other = a.allocate(4L << 20, () -> "other");
    assertTrue(other != 0);
    assertEquals(0, a.bytesCached(), "the cache was returned to the device to make room");
    assertEquals(1, device.frees);
    assertTrue(device.events.contains("alloc " + (4L << 20) + " failed"));
  }

  @Test
  void theOutOfMemoryErrorNamesTheTensorItsSizeAndTheDevicesUsage() {
    FakeCudaRuntime device = new FakeCudaRuntime(8L << 20);
    CudaAllocator a = new CudaAllocator(device);
    a.allocate(5L << 20, () -> "weights");
    BackendException e =
        assertThrows(
            BackendException.class,
            () -> a.allocate(5L << 20, () -> "the result of matmul (float32[1024, 1280])"));
    String m = e.getMessage();
    assertTrue(m.contains("cuda:0 (fake)"), m);
    assertTrue(m.contains("5.0 MiB"), m);
    assertTrue(m.contains("the result of matmul (float32[1024, 1280])"), m);
    assertTrue(m.contains("2.0 MiB free of 8.0 MiB"), m);
    assertTrue(m.contains("Kiln holds 6.0 MiB in use"), m);
    assertEquals(2, device.events.stream().filter(s -> s.endsWith("failed")).count(), "one retry");
  }

  @Test
  void usageKeepsThePeaksOfWhatIsInUseAndWhatIsReserved() {
    FakeCudaRuntime device = new FakeCudaRuntime(1L << 30);
    CudaAllocator a = new CudaAllocator(device);
    long x = a.allocate(3L << 20, () -> "x");
    long y = a.allocate(1000, () -> "y");
    a.release(x);
    // 4 MiB of x cached, 1 KiB of y in use; the peaks were 4 MiB + 1 KiB of both.
    assertEquals(
        new MemoryUsage(1024, (4L << 20) + 1024, (4L << 20) + 1024, (4L << 20) + 1024), a.usage());
    long z = a.allocate(1L << 20, () -> "z");
    assertEquals(
        new MemoryUsage(1024 + (1L << 20), (5L << 20) + 1024, (4L << 20) + 1024, (5L << 20) + 1024),
        a.usage());
    a.release(y);
    a.release(z);
    a.emptyCache();
    assertEquals(new MemoryUsage(0, 0, (4L << 20) + 1024, (5L << 20) + 1024), a.usage());
    assertEquals(device.used(), a.usage().reserved(), "reserved is what the device handed out");
  }

  @Test
  void releaseAllReturnsEverything() {
    FakeCudaRuntime device = new FakeCudaRuntime(1L << 30);
    CudaAllocator a = new CudaAllocator(device);
    long x = a.allocate(100, () -> "x");
    a.allocate(100, () -> "y");
    a.release(x);
    a.releaseAll();
    assertEquals(0, device.used());
    assertEquals(0, a.bytesInUse() + a.bytesCached());
  }
}
