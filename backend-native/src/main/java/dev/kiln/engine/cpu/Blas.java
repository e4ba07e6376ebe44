package dev.kiln.engine.cpu;

import java.lang.foreign.MemorySegment;

/**
 * The engine's SGEMM as a public entry point, for benchmarks and for code that multiplies matrices
 * outside a graph.
 *
 * {@snippet :
 * Blas blas = new Blas(CpuPool.shared(2));
 * blas.sgemm(m, n, k, a, false, b, false, c); // C = A B, row-major float32
 * }
 */
public final class Blas {
  private final CpuPool pool;
  private final Gemm.Workspace workspace = new Gemm.Workspace();

  /** A multiplier that splits work over {@code pool}; not thread-safe. */
  public Blas(CpuPool pool) {
    if (!Simd.ENABLED) {
      throw new IllegalStateException(
          "SGEMM needs the Vector API: run with --add-modules jdk.incubator.vector");
    }
    this.pool = pool;
  }

  /**
   * {@code C[m x n] = op(A) op(B)}, all row-major float32, {@code op} transposing when asked.
   *
   * @throws IndexOutOfBoundsException if a segment is smaller than its matrix
   */
  public void sgemm(
      int m,
      int n,
      int k,
      MemorySegment a,
      boolean ta,
      MemorySegment b,
      boolean tb,
      MemorySegment c) {
    Gemm.multiply(pool, workspace, m, n, k, a, 0, ta, b, 0, tb, c, 0, n, false);
  }
}
