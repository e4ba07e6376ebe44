package dev.kiln.engine;

import dev.kiln.spi.ir.Node;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Time per kernel, for finding the slow op: {@code -Dkiln.native.profile=true} sums each kernel's
 * run time by op and operand types and prints the table when the JVM exits; {@code
 * -Dkiln.native.profileAfterMs=N} leaves out kernels that run in the first N milliseconds; {@code
 * -Dkiln.native.profileUntilMs=N} those that start after N milliseconds; {@code
 * -Dkiln.native.profileRows=N} prints N rows (25 unless set).
 */
final class Profile {
  static final boolean ENABLED = Boolean.getBoolean("kiln.native.profile");

  private static final Map<String, LongAdder[]> TIMES = new ConcurrentHashMap<>();

  static {
    if (ENABLED) {
      Runtime.getRuntime().addShutdownHook(new Thread(Profile::print));
    }
  }

  private Profile() {}

  /** Kernels that finish before this time are not counted, so JIT warm-up can be left out. */
  private static final long FROM_BASE = System.nanoTime();

  private static final long FROM =
      FROM_BASE + Long.getLong("kiln.native.profileAfterMs", 0) * 1_000_000L;

  /** Kernels that start after this time are not counted either ({@code profileUntilMs}). */
  private static final long UNTIL =
      Long.getLong("kiln.native.profileUntilMs", 0) > 0
          ? FROM_BASE + Long.getLong("kiln.native.profileUntilMs", 0) * 1_000_000L
          : Long.MAX_VALUE;

  static void record(Node n, long nanos) {
    long now = System.nanoTime();
    if (now < FROM || now - nanos > UNTIL) {
      return;
    }
    String key =
        n.op().name()
            + " "
            + n.inputs().stream().map(v -> v.type().toString()).toList()
            + " "
            + n.op().attributes();
    LongAdder[] a =
        TIMES.computeIfAbsent(key, k -> new LongAdder[] {new LongAdder(), new LongAdder()});
    a[0].add(nanos);
    a[1].increment();
  }

  private static final LongAdder RUN_NANOS = new LongAdder();
  private static final LongAdder RUNS = new LongAdder();
  private static final java.util.concurrent.atomic.AtomicLong FIRST_RUN_START =
      new java.util.concurrent.atomic.AtomicLong();
  private static final java.util.concurrent.atomic.AtomicLong LAST_RUN_END =
      new java.util.concurrent.atomic.AtomicLong();

  /** Records one whole executable run, so time between kernels shows beside time in them. */
  static void recordRun(long nanos) {
    long now = System.nanoTime();
    if (now >= FROM && now - nanos <= UNTIL) {
      FIRST_RUN_START.compareAndSet(0, now - nanos);
      LAST_RUN_END.set(now);
      RUN_NANOS.add(nanos);
      RUNS.increment();
    }
  }

  private static void print() {
    double total = TIMES.values().stream().mapToLong(a -> a[0].sum()).sum() / 1e6;
    long calls = TIMES.values().stream().mapToLong(a -> a[1].sum()).sum();
    System.err.printf(
        Locale.ROOT,
        "Kiln engine profile: %.1f ms in %d kernel runs; %.1f ms in %d executable runs,"
            + " %.1f ms from the first of them to the end of the last%n",
        total,
        calls,
        RUN_NANOS.sum() / 1e6,
        RUNS.sum(),
        (LAST_RUN_END.get() - FIRST_RUN_START.get()) / 1e6);
    TIMES.entrySet().stream()
        .sorted(
            Comparator.comparingLong((Map.Entry<String, LongAdder[]> e) -> e.getValue()[0].sum())
                .reversed())
        .limit(Integer.getInteger("kiln.native.profileRows", 25))
        .forEach(
            e ->
                System.err.printf(
                    Locale.ROOT,
                    "%9.1f ms %6d x  %s%n",
                    e.getValue()[0].sum() / 1e6,
                    e.getValue()[1].sum(),
                    e.getKey().length() > 150 ? e.getKey().substring(0, 150) : e.getKey()));
  }
}
