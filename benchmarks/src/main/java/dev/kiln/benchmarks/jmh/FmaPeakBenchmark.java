package dev.kiln.benchmarks.jmh;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The machine's fp32 FMA peak as Java code sees it: twelve independent FMA chains at the preferred
 * vector width, enough to cover the FMA latency on every x86 core. One invocation is {@link #STEPS}
 * x 12 FMAs per lane; GFLOP/s per thread = {@code 24 * STEPS * lanes / (score in ns)}. It runs with
 * one and with two threads, so SGEMM's GFLOP/s can be read against the peak of the same machine in
 * the same run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class FmaPeakBenchmark {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  /** Loop trips per invocation. */
  public static final int STEPS = 100_000;

  private float seed = 1.0000001f;

  @Benchmark
  @Threads(1)
  public float oneThread() {
    return chains(seed);
  }

  @Benchmark
  @Threads(2)
  public float twoThreads() {
    return chains(seed);
  }

  private static float chains(float seed) {
    FloatVector m = FloatVector.broadcast(S, 0.9999999f);
    FloatVector a = FloatVector.broadcast(S, seed);
    FloatVector c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a;
    FloatVector c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
    for (int i = 0; i < STEPS; i++) {
      c0 = c0.fma(m, a);
      c1 = c1.fma(m, a);
      c2 = c2.fma(m, a);
      c3 = c3.fma(m, a);
      c4 = c4.fma(m, a);
      c5 = c5.fma(m, a);
      c6 = c6.fma(m, a);
      c7 = c7.fma(m, a);
      c8 = c8.fma(m, a);
      c9 = c9.fma(m, a);
      c10 = c10.fma(m, a);
      c11 = c11.fma(m, a);
    }
    FloatVector s = c0.add(c1).add(c2).add(c3).add(c4).add(c5);
    s = s.add(c6).add(c7).add(c8).add(c9).add(c10).add(c11);
    return s.reduceLanes(VectorOperators.ADD);
  }
}
