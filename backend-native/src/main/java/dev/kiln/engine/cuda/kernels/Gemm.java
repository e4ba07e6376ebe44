package dev.kiln.engine.cuda.kernels;

import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.LinalgOp;
import java.util.Arrays;

/**
 * The parameters of one launch of the GEMM kernels: {@code C = alpha * op(A) @ op(B) + beta * C}
 * over a batch, row-major with leading dimensions, as {@code gemm.cu} documents them. {@code op(A)}
 * is {@code m x k}, read at {@code A[i * lda + p]} or, transposed, {@code A[p * lda + i]}; {@code
 * op(B)} is {@code k x n}, read at {@code B[p * ldb + j]} or {@code B[j * ldb + p]}.
 *
 * @param transA whether A is stored transposed
 * @param transB whether B is stored transposed
 * @param m rows of the result
 * @param n columns of the result
 * @param k the inner dimension
 * @param lda leading dimension of A
 * @param ldb leading dimension of B
 * @param ldc leading dimension of C
 * @param batchCount matrices in the batch
 * @param batch the batch indexer: stride 0 for A, 1 for B, 2 for C, in elements
 */
public record Gemm(
    boolean transA,
    boolean transB,
    long m,
    long n,
    long k,
    long lda,
    long ldb,
    long ldc,
    long batchCount,
    Indexer batch) {

  /** Checks that the sizes fit the kernels' int32 parameters. */
  public Gemm {
    if (m > Integer.MAX_VALUE || n > Integer.MAX_VALUE || k > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "GEMM sizes must fit in int32; received m=" + m + ", n=" + n + ", k=" + k);
    }
  }

  /** The batch indexer of {@code count} matrices at fixed element strides of A, B and C. */
  static Indexer uniformBatch(long count, long strideA, long strideB, long strideC) {
    return Indexer.of(
        Shape.of(Math.toIntExact(count)),
        new long[] {strideA},
        new long[] {strideB},
        new long[] {strideC});
  }

  /**
   * The launch for a {@link LinalgOp.MatMul} of operands shaped {@code a} and {@code b} giving
   * {@code out}; leading batch axes broadcast through stride 0.
   */
  public static Gemm matMul(LinalgOp.MatMul op, Shape a, Shape b, Shape out) {
    int r = out.rank();
    Shape batch = Shape.of(Arrays.copyOf(out.dims(), r - 2));
    long[] sa = Indexer.broadcastStrides(Shape.of(Arrays.copyOf(a.dims(), a.rank() - 2)), batch);
    long[] sb = Indexer.broadcastStrides(Shape.of(Arrays.copyOf(b.dims(), b.rank() - 2)), batch);
    long aMat = (long) a.dim(-1) * a.dim(-2);
    long bMat = (long) b.dim(-1) * b.dim(-2);
    long cMat = (long) out.dim(-1) * out.dim(-2);
    long[] sc = batch.strides();
    for (int i = 0; i < sa.length; i++) {
      sa[i] *= aMat;
      sb[i] *= bMat;
      sc[i] *= cMat;
    }
    return new Gemm(
        op.transposeA(),
        op.transposeB(),
        out.dim(-2),
        out.dim(-1),
        a.dim(op.transposeA() ? -2 : -1),
        a.dim(-1),
        b.dim(-1),
        out.dim(-1),
        batch.size(),
        Indexer.of(batch, sa, sb, sc));
  }

  /**
   * Runs the launch on the host in double, element by element with the kernels' addressing, for
   * tests. When {@code beta == 0}, C is not read.
   */
  public void emulate(double[] a, double[] b, double[] c, double alpha, double beta) {
    for (long z = 0; z < batchCount; z++) {
      long[] off = batch.offsets(z);
      for (long i = 0; i < m; i++) {
        for (long j = 0; j < n; j++) {
          double acc = 0;
          for (long p = 0; p < k; p++) {
            double x = a[(int) (off[0] + (transA ? p * lda + i : i * lda + p))];
            double y = b[(int) (off[1] + (transB ? j * ldb + p : p * ldb + j))];
            acc += x * y;
          }
          int at = (int) (off[2] + i * ldc + j);
          c[at] = alpha * acc + (beta == 0 ? 0 : beta * c[at]);
        }
      }
    }
  }
}
