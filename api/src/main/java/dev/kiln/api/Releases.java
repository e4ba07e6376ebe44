package dev.kiln.api;

import java.lang.ref.Cleaner;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Frees the backend memory of objects a program dropped without closing them: a model that goes out
 * of scope gives back its weights and compiled steps once the garbage collector has found it
 * unreachable, as {@code close()} would have.
 *
 * <p>The collector only reports what became unreachable; the freeing itself runs later on a thread
 * that calls into Kiln (creating a weight, compiling, running a step), because backends free memory
 * from the threads that use them. Closing a model explicitly frees it at once.
 */
public final class Releases {
  private static final Logger LOG = LoggerFactory.getLogger(Releases.class);
  private static final Cleaner CLEANER = Cleaner.create();
  private static final Queue<Runnable> DUE = new ConcurrentLinkedQueue<>();

  private Releases() {}

  /**
   * Runs {@code release} on a Kiln thread after {@code owner} has become unreachable, unless the
   * returned handle is run first. {@code release} must not refer to {@code owner}, or the owner
   * never becomes unreachable.
   *
   * @return a handle that runs {@code release} now (at most once), for an explicit close
   */
  public static Runnable whenUnreachable(Object owner, Runnable release) {
    Once once = new Once(release);
    Cleaner.Cleanable c = CLEANER.register(owner, () -> DUE.add(once));
    return c::clean;
  }

  /**
   * Frees what became unreachable or was closed since the last call, then lets the backend hand the
   * freed memory back to the operating system; Kiln's entry points call this.
   */
  public static void releaseDropped() {
    int released = 0;
    for (Runnable r = DUE.poll(); r != null; r = DUE.poll()) {
      try {
        r.run();
        released++;
      } catch (RuntimeException e) {
        LOG.warn("freeing the backend memory of a dropped object failed: {}", e.toString());
      }
    }
    if (released > 0) {
      Kiln.backend().trimFreedMemory();
    }
  }

  /** A release that runs once, whether it comes from {@code close()} or from the collector. */
  private static final class Once implements Runnable {
    private Runnable release;

    Once(Runnable release) {
      this.release = release;
    }

    @Override
    public synchronized void run() {
      Runnable r = release;
      release = null;
      if (r != null) {
        r.run();
      }
    }
  }
}
