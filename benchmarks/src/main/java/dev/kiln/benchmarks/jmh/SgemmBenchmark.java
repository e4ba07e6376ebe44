package dev.kiln.benchmarks.jmh;

import dev.kiln.engine.cpu.Blas;
import dev.kiln.engine.cpu.CpuPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Square SGEMM on the engine's thread pool. GFLOP/s = 2 N^3 / (the score in seconds); the
 * end-to-end command prints that conversion.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class SgemmBenchmark {
  @Param({"256", "512", "1024", "2048"})
  int n;

  @Param({"2"})
  int threads;

  private Arena arena;
  private MemorySegment a;
  private MemorySegment b;
  private MemorySegment c;
  private Blas blas;

  @Setup
  public void setup() {
    arena = Arena.ofShared();
    long bytes = (long) n * n * 4;
    a = arena.allocate(bytes, 64);
    b = arena.allocate(bytes, 64);
    c = arena.allocate(bytes, 64);
    for (long i = 0; i < (long) n * n; i++) {
      a.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i % 13) * 0.01f);
      b.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i % 7) * 0.02f);
    }
    blas = new Blas(CpuPool.shared(threads));
  }

  @TearDown
  public void tearDown() {
    arena.close();
  }

  @Benchmark
  public MemorySegment sgemm() {
    blas.sgemm(n, n, n, a, false, b, false, c);
    return c;
  }
}
