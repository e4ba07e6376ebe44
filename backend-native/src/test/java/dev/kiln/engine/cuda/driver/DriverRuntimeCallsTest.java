package dev.kiln.engine.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.cuda.CudaDevices;
import dev.kiln.engine.cuda.CudaDriverRuntime;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The driver calls {@link CudaDriverRuntime} makes for uploads, downloads and graphs, against
 * stand-in driver functions (pinned allocations are real host memory): an upload queues its copy
 * and an event without waiting for the stream, waits for the oldest copy only when every pinned
 * buffer is busy, and goes in chunks when large; a download waits; a capture runs between begin and
 * end on the runtime's stream, refuses host work and always ends.
 */
class DriverRuntimeCallsTest {
  private static final CudaDevices.Info GPU =
      new CudaDevices.Info(0, "Fake GPU", 9, 0, 132, 4L << 30);

  private static Arena pinned = Arena.ofShared();
  private static int pinnedAllocations;

  @AfterEach
  void freePinned() {
    pinned.close();
    pinned = Arena.ofShared();
    pinnedAllocations = 0;
  }

  @SuppressWarnings("unused") // through a method handle, as cuMemHostAlloc
  private static int hostAlloc(MemorySegment out, long bytes, int flags) {
    out.set(ADDRESS, 0, pinned.allocate(bytes));
    pinnedAllocations++;
    return 0;
  }

  private static FakeLibrary driverLibrary() {
    try {
      return new FakeLibrary()
          .with(
              "cuMemHostAlloc",
              MethodHandles.lookup()
                  .findStatic(
                      DriverRuntimeCallsTest.class,
                      "hostAlloc",
                      MethodType.methodType(
                          int.class, MemorySegment.class, long.class, int.class)));
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  private static CudaDriverRuntime open(FakeLibrary fake) {
    return new CudaDriverRuntime(new CudaDriver(fake), GPU, null, null);
  }

  private static List<String> symbols(FakeLibrary fake, int from) {
    return fake.calls.subList(from, fake.calls.size()).stream().map(c -> c.symbol()).toList();
  }

  private static long count(List<String> calls, String symbol) {
    return calls.stream().filter(symbol::equals).count();
  }

  @Test
  void uploadsQueueWithoutWaitingAndWaitForTheOldestOnlyWhenEveryBufferIsBusy() {
    // Every event stays pending: the stream never catches up during the test.
    FakeLibrary fake = driverLibrary().failing("cuEventQuery", CudaDriver.ERROR_NOT_READY);
    try (CudaDriverRuntime r = open(fake)) {
      int start = fake.calls.size();
      byte[][] sent = new byte[5][];
      for (int i = 0; i < 5; i++) {
        sent[i] = new byte[1000];
        java.util.Arrays.fill(sent[i], (byte) (i + 1));
        r.copyToDevice(MemorySegment.ofArray(sent[i]), 0x10000 + i * 4096L, 1000);
        FakeLibrary.Call copy = fake.last("cuMemcpyHtoDAsync_v2");
        assertEquals(0x10000 + i * 4096L, copy.args().get(0));
        byte[] staged =
            ((MemorySegment) copy.args().get(1)).reinterpret(1000).toArray(ValueLayout.JAVA_BYTE);
        assertArrayEquals(sent[i], staged, "upload " + i + " copies its bytes into pinned memory");
      }
      List<String> calls = symbols(fake, start);
      assertEquals(0, count(calls, "cuStreamSynchronize"), "no upload waits for the stream");
      assertEquals(5, count(calls, "cuEventRecord"));
      for (int i = 0; i < calls.size(); i++) {
        if (calls.get(i).equals("cuMemcpyHtoDAsync_v2")) {
          assertEquals("cuEventRecord", calls.get(i + 1), "an event after each copy: " + calls);
        }
      }
      assertEquals(4, pinnedAllocations, "at most four pinned buffers");
      assertEquals(1, count(calls, "cuEventSynchronize"), "the fifth upload waits for one copy");
    }
  }

  @Test
  void anUploadLargerThanABufferGoesInChunks() {
    FakeLibrary fake = driverLibrary();
    try (CudaDriverRuntime r = open(fake)) {
      long bytes = (64L << 20) + 1024;
      r.copyToDevice(MemorySegment.ofArray(new byte[(int) bytes]), 0x100000, bytes);
      List<FakeLibrary.Call> copies =
          fake.calls.stream().filter(c -> c.symbol().equals("cuMemcpyHtoDAsync_v2")).toList();
      assertEquals(2, copies.size());
      assertEquals(
          List.of(0x100000L, 64L << 20),
          List.of(copies.get(0).args().get(0), copies.get(0).args().get(2)));
      assertEquals(
          List.of(0x100000L + (64L << 20), 1024L),
          List.of(copies.get(1).args().get(0), copies.get(1).args().get(2)));
    }
  }

  @Test
  void aDownloadWaitsForTheStreamBeforeReadingThePinnedBuffer() {
    FakeLibrary fake = driverLibrary();
    try (CudaDriverRuntime r = open(fake)) {
      int start = fake.calls.size();
      r.copyToHost(0x2000, MemorySegment.ofArray(new byte[64]), 64);
      List<String> calls = symbols(fake, start);
      int copy = calls.indexOf("cuMemcpyDtoHAsync_v2");
      assertTrue(copy >= 0, calls.toString());
      assertEquals("cuStreamSynchronize", calls.get(copy + 1), calls.toString());
    }
  }

  @Test
  void aCaptureQueuesBetweenBeginAndEndAndInstantiates() {
    FakeLibrary fake = driverLibrary();
    try (CudaDriverRuntime r = open(fake)) {
      assertTrue(r.canCapture(), String.valueOf(r.captureProblem()));
      int start = fake.calls.size();
      long g = r.capture(() -> r.copyOnDevice(0x3000, 0x2000, 64));
      r.launchGraph(g);
      assertEquals(
          List.of(
              "cuCtxSetCurrent",
              "cuStreamBeginCapture_v2",
              "cuCtxSetCurrent",
              "cuMemcpyDtoDAsync_v2",
              "cuStreamEndCapture",
              "cuGraphInstantiateWithFlags",
              "cuGraphDestroy",
              "cuCtxSetCurrent",
              "cuGraphLaunch"),
          symbols(fake, start));
      assertEquals(
          CudaDriver.CAPTURE_MODE_THREAD_LOCAL, fake.last("cuStreamBeginCapture_v2").args().get(1));
      r.destroyGraph(g);
      fake.last("cuGraphExecDestroy");
    }
  }

  @Test
  void hostWorkUnderCaptureIsRefusedAndTheCaptureEnded() {
    FakeLibrary fake = driverLibrary();
    try (CudaDriverRuntime r = open(fake)) {
      for (Runnable illegal :
          List.<Runnable>of(
              () -> r.allocate(64),
              () -> r.free(0x2000),
              r::synchronize,
              () -> r.copyToDevice(MemorySegment.ofArray(new byte[8]), 0x2000, 8),
              () -> r.copyToHost(0x2000, MemorySegment.ofArray(new byte[8]), 8))) {
        int start = fake.calls.size();
        IllegalStateException e =
            assertThrows(IllegalStateException.class, () -> r.capture(illegal));
        assertTrue(e.getMessage().contains("captured into a graph"), e.getMessage());
        List<String> calls = symbols(fake, start);
        assertEquals(1, count(calls, "cuStreamEndCapture"), "the capture is ended: " + calls);
        assertEquals(0, count(calls, "cuGraphInstantiateWithFlags"));
      }
      r.allocate(64);
    }
  }

  @Test
  void anInvalidatedCaptureIsTheDriversErrorAndClosingDestroysLiveGraphs() {
    FakeLibrary failing = driverLibrary().failing("cuStreamEndCapture", 901);
    try (CudaDriverRuntime r = open(failing)) {
      CudaException e = assertThrows(CudaException.class, () -> r.capture(() -> {}));
      assertEquals("CUDA_ERROR_STREAM_CAPTURE_INVALIDATED", e.errorName());
    }
    FakeLibrary fake = driverLibrary();
    CudaDriverRuntime r = open(fake);
    long g = r.capture(() -> {});
    r.close();
    assertTrue(
        fake.calls.stream().anyMatch(c -> c.symbol().equals("cuGraphExecDestroy")),
        "close destroys the graphs left");
    int after = fake.calls.size();
    r.destroyGraph(g);
    assertEquals(after, fake.calls.size(), "nothing to do after close");
  }
}
