package dev.kiln.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The pinned upload buffers' bookkeeping against a fake driver whose events complete when the test
 * says: an upload takes a free buffer, adds one below the limit, and waits (for the oldest copy)
 * only when all are busy; buffers grow within the limit and are freed on close.
 */
class PinnedPoolTest {
  /** A driver whose events are done only once the test completes them. */
  private static final class FakeHost implements PinnedPool.Host {
    final Arena arena = Arena.ofConfined();
    final List<MemorySegment> live = new ArrayList<>();
    final Map<Long, Boolean> done = new HashMap<>();
    final List<Long> waited = new ArrayList<>();
    int events;
    int destroyedEvents;
    long nextEvent = 1;

    @Override
    public MemorySegment allocate(long bytes) {
      MemorySegment m = arena.allocate(bytes);
      live.add(m);
      return m;
    }

    @Override
    public void free(MemorySegment memory) {
      assertTrue(live.remove(memory), "freed twice or never allocated");
    }

    @Override
    public MemorySegment createEvent() {
      events++;
      return MemorySegment.ofAddress(nextEvent++);
    }

    @Override
    public void record(MemorySegment event) {
      done.put(event.address(), false);
    }

    @Override
    public boolean done(MemorySegment event) {
      return done.getOrDefault(event.address(), true);
    }

    @Override
    public void waitFor(MemorySegment event) {
      waited.add(event.address());
      done.put(event.address(), true);
    }

    @Override
    public void destroyEvent(MemorySegment event) {
      destroyedEvents++;
    }
  }

  private static final long KIB = 1024;

  @Test
  void uploadsTakeFreeBuffersAndWaitOnlyForTheOldestWhenAllAreBusy() {
    FakeHost host = new FakeHost();
    try (PinnedPool pool = new PinnedPool(host, 3, 4 * KIB, 64 * KIB)) {
      List<PinnedPool.Buffer> taken = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        PinnedPool.Buffer b = pool.acquire(KIB);
        taken.add(b);
        pool.queued(b);
      }
      assertEquals(3, pool.buffers(), "a busy buffer is not reused");
      assertEquals(0, pool.waits());
      PinnedPool.Buffer fourth = pool.acquire(KIB);
      assertSame(taken.get(0), fourth, "the oldest copy is waited for");
      assertEquals(1, pool.waits());
      assertEquals(List.of(1L), host.waited);
      pool.queued(fourth);
      // Copies out of buffers 1 and 2 are now the oldest; buffer 1's completes on its own.
      host.done.put(2L, true);
      PinnedPool.Buffer fifth = pool.acquire(KIB);
      assertSame(taken.get(1), fifth, "a completed copy frees its buffer without a wait");
      assertEquals(1, pool.waits());
      assertEquals(3, pool.buffers());
    }
    assertTrue(host.live.isEmpty(), "closing frees the pinned memory");
    assertEquals(host.events, host.destroyedEvents);
  }

  @Test
  void aBufferUsedOnlySynchronouslyStaysFreeAndIdleFreesAll() {
    FakeHost host = new FakeHost();
    try (PinnedPool pool = new PinnedPool(host, 2, 4 * KIB, 64 * KIB)) {
      PinnedPool.Buffer a = pool.acquire(KIB);
      assertSame(a, pool.acquire(KIB), "not queued, so still free");
      pool.queued(a);
      PinnedPool.Buffer b = pool.acquire(KIB);
      assertNotSame(a, b);
      pool.queued(b);
      pool.idle();
      pool.acquire(KIB);
      assertEquals(0, pool.waits(), "after a stream synchronization nothing is waited for");
      assertEquals(2, pool.buffers());
    }
  }

  @Test
  void buffersGrowWithinTheLimitAndTheSmallestFittingIsTaken() {
    FakeHost host = new FakeHost();
    try (PinnedPool pool = new PinnedPool(host, 2, 4 * KIB, 64 * KIB)) {
      PinnedPool.Buffer small = pool.acquire(KIB);
      assertEquals(4 * KIB, small.memory().byteSize(), "at least the minimum");
      PinnedPool.Buffer large = pool.acquire(20 * KIB);
      assertEquals(32 * KIB, large.memory().byteSize(), "a power of two");
      assertSame(small, pool.acquire(2 * KIB), "the smallest that fits");
      pool.queued(large);
      PinnedPool.Buffer grown = pool.acquire(10 * KIB);
      assertSame(small, grown, "the free one grows rather than waiting for the busy one");
      assertEquals(16 * KIB, grown.memory().byteSize());
      assertEquals(0, pool.waits());
      assertEquals(48 * KIB, pool.pinnedBytes());
      assertEquals(2, host.live.size(), "the small buffer's memory was freed when it grew");
      assertEquals(64 * KIB, pool.acquire(64 * KIB).memory().byteSize());
      assertTrue(pool.pinnedBytes() <= 2 * 64 * KIB, "bounded: " + pool.pinnedBytes());
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> pool.acquire(64 * KIB + 1));
      assertTrue(e.getMessage().contains("at most 65536 bytes"), e.getMessage());
      assertEquals(64 * KIB, pool.chunkBytes());
    }
  }
}
