package dev.kiln.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The pool covers every index once, passes failures on, and never deadlocks when nested. */
class CpuPoolTest {
  @Test
  void everyIndexRunsExactlyOnce() {
    for (int threads : new int[] {1, 2, 3}) {
      CpuPool pool = CpuPool.shared(threads);
      for (int n : new int[] {0, 1, 2, 5, 64, 1001}) {
        for (int grain : new int[] {1, 7, 100}) {
          for (int round = 0; round < 50; round++) {
            AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(1, n));
            pool.parallelFor(
                n,
                grain,
                (from, to) -> {
                  for (int i = from; i < to; i++) {
                    hits.incrementAndGet(i);
                  }
                });
            for (int i = 0; i < n; i++) {
              assertEquals(1, hits.get(i), "index " + i + " of " + n + ", grain " + grain);
            }
          }
        }
      }
    }
  }

  @Test
  void aFailingChunkFailsTheCall() {
    CpuPool pool = CpuPool.shared(2);
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                pool.parallelFor(
                    10,
                    1,
                    (from, to) -> {
                      if (from > 0) {
                        throw new IllegalStateException("chunk at " + from);
                      }
                    }));
    assertEquals("chunk at 5", e.getMessage());
    AtomicIntegerArray hits = new AtomicIntegerArray(10);
    pool.parallelFor(
        10,
        1,
        (from, to) -> {
          for (int i = from; i < to; i++) {
            hits.incrementAndGet(i);
          }
        });
    for (int i = 0; i < 10; i++) {
      assertEquals(1, hits.get(i), "the pool still works after a failure");
    }
  }

  @Test
  void nestedAndConcurrentCallsComplete() throws Exception {
    CpuPool pool = CpuPool.shared(2);
    ExecutorService callers = Executors.newFixedThreadPool(3);
    try {
      Future<?>[] f = new Future<?>[3];
      for (int t = 0; t < f.length; t++) {
        f[t] =
            callers.submit(
                () -> {
                  for (int round = 0; round < 200; round++) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(64);
                    pool.parallelFor(
                        8,
                        1,
                        (from, to) ->
                            pool.parallelFor(
                                8,
                                1,
                                (a, b) -> {
                                  for (int i = from; i < to; i++) {
                                    for (int j = a; j < b; j++) {
                                      hits.incrementAndGet(i * 8 + j);
                                    }
                                  }
                                }));
                    for (int i = 0; i < 64; i++) {
                      assertEquals(1, hits.get(i));
                    }
                  }
                });
      }
      for (Future<?> x : f) {
        x.get();
      }
    } finally {
      callers.shutdownNow();
    }
  }
}
