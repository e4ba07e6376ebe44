package dev.kiln.engine.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A quick manual timing harness; the JMH benchmarks are the measurement of record. */
public final class GemmProbe {
  public static void main(String[] args) {
    int threads = Integer.parseInt(args.length > 0 ? args[0] : "2");
    CpuPool pool = CpuPool.shared(threads);
    Gemm.Workspace ws = new Gemm.Workspace();
    for (int n : new int[] {256, 512, 1024, 2048}) {
      Arena arena = Arena.ofShared();
      MemorySegment a = arena.allocate((long) n * n * 4, 64);
      MemorySegment b = arena.allocate((long) n * n * 4, 64);
      MemorySegment c = arena.allocate((long) n * n * 4, 64);
      for (long i = 0; i < (long) n * n; i++) {
        a.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i % 7) * 0.1f);
        b.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i % 5) * 0.1f);
      }
      int reps = Math.max(3, (int) (2e10 / (2.0 * n * n * n)));
      double best = 0;
      for (int round = 0; round < 5; round++) {
        long t0 = System.nanoTime();
        for (int r = 0; r < reps; r++) {
          Gemm.multiply(pool, ws, n, n, n, a, 0, false, b, 0, false, c, 0, n, false);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        best = Math.max(best, 2.0 * n * n * n * reps / s / 1e9);
      }
      System.out.printf("n=%d threads=%d: %.1f GFLOP/s%n", n, threads, best);
      arena.close();
    }
  }
}
