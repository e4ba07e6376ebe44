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
 * -Dkiln.native.profileAfterMs=N} leaves out kernels that run in the first N milliseconds.
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
  private static final long FROM =
      System.nanoTime() + Long.getLong("kiln.native.profileAfterMs", 0) * 1_000_000L;

  static void record(Node n, long nanos) {
    if (System.nanoTime() < FROM) {
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

  private static void print() {
    double total = TIMES.values().stream().mapToLong(a -> a[0].sum()).sum() / 1e6;
    System.err.printf(Locale.ROOT, "Kiln engine profile: %.1f ms in kernels%n", total);
    TIMES.entrySet().stream()
        .sorted(
            Comparator.comparingLong((Map.Entry<String, LongAdder[]> e) -> e.getValue()[0].sum())
                .reversed())
        .limit(25)
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
