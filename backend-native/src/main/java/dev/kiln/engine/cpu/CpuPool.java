package dev.kiln.engine.cpu;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The engine's one thread pool, sized to the cores. Work is split into at most one chunk per
 * thread, and work smaller than a grain runs on the caller, so small ops pay no hand-off.
 *
 * <p>Chunks are claimed, not assigned: the caller and the workers take the next unclaimed chunk
 * until none is left, so a worker that the operating system has not scheduled (on two cores the JIT
 * compiler often holds one during the first seconds) delays nothing; the caller runs its chunk too.
 * Workers spin for a while after their last chunk ({@code -Dkiln.native.spinMicros}, default 2000;
 * after the first 20 µs they yield the core to any other runnable thread while spinning) before
 * they park. A training step runs dozens of parallel ops back to back, and waking a parked thread
 * took 70-110 µs at the median on this project's virtual machines against a few microseconds for a
 * spinning one.
 *
 * <p>A call made while the pool is busy (from inside a chunk, or from a second thread running
 * another executable) runs on its caller, so nested and concurrent use cannot deadlock.
 */
public final class CpuPool {
  private static final ConcurrentHashMap<Integer, CpuPool> POOLS = new ConcurrentHashMap<>();

  private static final long SPIN_NANOS = Long.getLong("kiln.native.spinMicros", 2000) * 1000;

  private static final long PURE_SPIN_NANOS = 20_000;

  private final int threads;
  private final Worker[] workers;
  private final AtomicBoolean busy = new AtomicBoolean();

  private CpuPool(int threads) {
    this.threads = threads;
    // The caller works too, so threads - 1 workers keep every core busy without oversubscribing.
    this.workers = new Worker[threads - 1];
    for (int i = 0; i < workers.length; i++) {
      workers[i] = new Worker(threads, i + 1);
      workers[i].start();
    }
  }

  /** The pool of {@code threads} threads, created once per size and shared by backends. */
  public static CpuPool shared(int threads) {
    return POOLS.computeIfAbsent(Math.max(1, threads), CpuPool::new);
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
    if (chunks <= 1) {
      body.run(0, n);
      return;
    }
    if (!busy.compareAndSet(false, true)) {
      // The same chunks a parallel run would make, one after another, so that what a kernel
      // computes never depends on how busy the pool was.
      for (int c = 0; c < chunks; c++) {
        body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
      }
      return;
    }
    try {
      Job job = new Job(body, n, chunks);
      for (int w = 0; w < chunks - 1; w++) {
        workers[w].post(job);
      }
      job.work();
      job.awaitAll();
      Throwable failure = job.failure.get();
      if (failure instanceof RuntimeException r) {
        throw r;
      }
      if (failure instanceof Error e) {
        throw e;
      }
    } finally {
      busy.set(false);
    }
  }

  /** One parallelFor: chunks claimed in order by whichever thread is free. */
  private static final class Job {
    final RangeBody body;
    final int n;
    final int chunks;
    final AtomicInteger next = new AtomicInteger();
    final AtomicInteger finished = new AtomicInteger();
    final AtomicReference<Throwable> failure = new AtomicReference<>();

    Job(RangeBody body, int n, int chunks) {
      this.body = body;
      this.n = n;
      this.chunks = chunks;
    }

    /** Runs unclaimed chunks until none is left. */
    void work() {
      for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
        try {
          body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
        } catch (RuntimeException | Error e) {
          if (!failure.compareAndSet(null, e)) {
            failure.get().addSuppressed(e);
          }
        }
        finished.incrementAndGet();
      }
    }

    /** Waits for chunks that other threads claimed; they are running, so this is short. */
    void awaitAll() {
      int spins = 0;
      while (finished.get() < chunks) {
        if (++spins < 1 << 12) {
          Thread.onSpinWait();
        } else {
          Thread.yield();
        }
      }
    }
  }

  /**
   * One worker thread with a one-job mailbox. The poster writes the job (volatile) and unparks the
   * worker if it parked; the worker marks itself parked before its last look at the mailbox, so a
   * post is never missed.
   */
  private static final class Worker extends Thread {
    private volatile Job job;
    private volatile boolean parked;

    Worker(int poolSize, int index) {
      super("kiln-cpu-" + poolSize + "-" + index);
      setDaemon(true);
    }

    void post(Job j) {
      job = j;
      if (parked) {
        LockSupport.unpark(this);
      }
    }

    @Override
    public void run() {
      Job seen = null;
      while (true) {
        long idleSince = System.nanoTime();
        Job j;
        while ((j = job) == seen) {
          long idle = System.nanoTime() - idleSince;
          if (idle < PURE_SPIN_NANOS) {
            Thread.onSpinWait();
          } else if (idle < SPIN_NANOS) {
            Thread.yield();
          } else {
            parked = true;
            if (job == seen) {
              LockSupport.park(this);
            }
            parked = false;
            idleSince = System.nanoTime();
          }
        }
        seen = j;
        j.work();
      }
    }
  }
}
