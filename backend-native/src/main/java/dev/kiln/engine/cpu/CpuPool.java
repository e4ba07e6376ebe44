package dev.kiln.engine.cpu;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * The engine's one thread pool, sized to the cores. Work is split into at most one chunk per
 * thread, and work smaller than a grain runs on the caller, so small ops pay no hand-off. The
 * caller takes a chunk itself rather than waiting idle.
 */
public final class CpuPool {
  private static final ConcurrentHashMap<Integer, CpuPool> POOLS = new ConcurrentHashMap<>();

  private final int threads;
  private final ForkJoinPool pool;

  private CpuPool(int threads) {
    this.threads = threads;
    // The caller works too, so threads - 1 workers keep every core busy without oversubscribing.
    this.pool = threads > 1 ? new ForkJoinPool(threads - 1, daemonFactory(), null, false) : null;
  }

  /** The pool of {@code threads} threads, created once per size and shared by backends. */
  public static CpuPool shared(int threads) {
    return POOLS.computeIfAbsent(Math.max(1, threads), CpuPool::new);
  }

  private static ForkJoinPool.ForkJoinWorkerThreadFactory daemonFactory() {
    return p -> {
      var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
      t.setDaemon(true);
      t.setName("kiln-cpu-" + t.getPoolIndex());
      return t;
    };
  }

  /** The number of threads work is split across. */
  public int threads() {
    return threads;
  }

  /** A body over a half-open range. */
  @FunctionalInterface
  public interface RangeBody {
    /** Processes {@code [from, to)}. */
    void run(int from, int to);
  }

  /**
   * Runs {@code body} over {@code [0, n)} in up to {@link #threads()} chunks of at least {@code
   * grain} items each; with fewer items than two grains it runs on the caller.
   */
  public void parallelFor(int n, int grain, RangeBody body) {
    int chunks = Math.min(threads, Math.max(1, n / Math.max(1, grain)));
    if (chunks <= 1 || pool == null) {
      body.run(0, n);
      return;
    }
    ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[chunks - 1];
    for (int c = 1; c < chunks; c++) {
      int from = (int) ((long) n * c / chunks);
      int to = (int) ((long) n * (c + 1) / chunks);
      tasks[c - 1] =
          pool.submit(
              new RecursiveAction() {
                @Override
                protected void compute() {
                  body.run(from, to);
                }
              });
    }
    body.run(0, (int) ((long) n / chunks));
    for (ForkJoinTask<?> t : tasks) {
      t.join();
    }
  }
}
