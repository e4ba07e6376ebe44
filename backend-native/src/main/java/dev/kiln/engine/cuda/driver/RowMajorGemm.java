package dev.kiln.engine.cuda.driver;

/**
 * A row-major GEMM {@code C[m,n] = op(A)[m,k] * op(B)[k,n]} restated as the column-major call
 * cuBLAS takes.
 *
 * <p>A row-major matrix read column-major is its transpose, so the row-major product {@code C =
 * op(A) op(B)} is, in cuBLAS's eyes, {@code C^T = op(B)^T op(A)^T}: the operands swap, {@code m}
 * and {@code n} swap, and each keeps its own transpose flag (a row-major {@code A} that is not
 * transposed is already {@code A^T} column-major, which is what {@code op(A)^T} needs). Leading
 * dimensions are row lengths of the stored, contiguous matrices.
 *
 * @param transFirst cuBLAS's {@code transa}: the flag of row-major {@code B}
 * @param transSecond cuBLAS's {@code transb}: the flag of row-major {@code A}
 * @param m cuBLAS's {@code m}: row-major {@code n}
 * @param n cuBLAS's {@code n}: row-major {@code m}
 * @param k the shared dimension
 * @param ldFirst leading dimension of cuBLAS's first operand (row-major {@code B})
 * @param ldSecond leading dimension of cuBLAS's second operand (row-major {@code A})
 * @param ldc leading dimension of {@code C}: row-major {@code n}
 * @param strideFirst elements between batches of row-major {@code B}
 * @param strideSecond elements between batches of row-major {@code A}
 * @param strideC elements between batches of {@code C}
 */
public record RowMajorGemm(
    boolean transFirst,
    boolean transSecond,
    int m,
    int n,
    int k,
    int ldFirst,
    int ldSecond,
    int ldc,
    long strideFirst,
    long strideSecond,
    long strideC) {

  /**
   * The column-major call for row-major contiguous {@code op(A)[m,k]}, {@code op(B)[k,n]}, {@code
   * C[m,n]}; {@code A} is stored {@code [k,m]} when {@code transA}, {@code B} {@code [n,k]} when
   * {@code transB}.
   *
   * @throws IllegalArgumentException if a dimension is negative
   */
  public static RowMajorGemm of(boolean transA, boolean transB, int m, int n, int k) {
    if (m < 0 || n < 0 || k < 0) {
      throw new IllegalArgumentException(
          "gemm dimensions must be >= 0; got m=" + m + ", n=" + n + ", k=" + k);
    }
    int lda = transA ? m : k;
    int ldb = transB ? k : n;
    // cuBLAS rejects a leading dimension of 0 even when the matrix is empty.
    return new RowMajorGemm(
        transB,
        transA,
        n,
        m,
        k,
        Math.max(1, ldb),
        Math.max(1, lda),
        Math.max(1, n),
        (long) k * n,
        (long) m * k,
        (long) m * n);
  }

  /** {@code CUBLAS_OP_N} (0) or {@code CUBLAS_OP_T} (1) for cuBLAS's {@code transa}. */
  public int opFirst() {
    return transFirst ? Cublas.OP_T : Cublas.OP_N;
  }

  /** {@code CUBLAS_OP_N} (0) or {@code CUBLAS_OP_T} (1) for cuBLAS's {@code transb}. */
  public int opSecond() {
    return transSecond ? Cublas.OP_T : Cublas.OP_N;
  }
}
