package dev.kiln.engine.cuda;

import dev.kiln.engine.cuda.CudaLaunch.Arg;
import dev.kiln.engine.cuda.CudaLaunch.F32;
import dev.kiln.engine.cuda.CudaLaunch.I32;
import dev.kiln.engine.cuda.CudaLaunch.I64;
import dev.kiln.engine.cuda.CudaLaunch.Struct;
import dev.kiln.engine.cuda.driver.Cublas;
import dev.kiln.engine.cuda.kernels.Indexer;
import dev.kiln.engine.cuda.kernels.KernelFamily;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;

/**
 * A launch of Kiln's float32, float16 or bfloat16 GEMM kernels restated as one cuBLAS call: {@code
 * cublasSgemmStridedBatched} for float32 (so the handle's math mode, TF32 or not, applies), {@code
 * cublasGemmEx} (one matrix) or {@code cublasGemmStridedBatchedEx} for the 16-bit types, with
 * 16-bit inputs and output and float32 accumulation ({@code CUBLAS_COMPUTE_32F}), as the kernels
 * accumulate. The kernels are row-major; a row-major matrix read column-major is its transpose, so
 * {@code C = op(A) op(B)} becomes {@code C^T = op(B)^T op(A)^T}: the operands swap, {@code m} and
 * {@code n} swap, each keeps its transpose flag and leading dimension. The batch must walk A, B and
 * C at fixed strides (one batch axis, or none).
 *
 * @param opFirst cuBLAS's {@code transa} (row-major B's flag)
 * @param opSecond cuBLAS's {@code transb} (row-major A's flag)
 * @param m cuBLAS's {@code m}: the row-major column count
 * @param n cuBLAS's {@code n}: the row-major row count
 * @param k the inner dimension
 * @param alpha the product's scale
 * @param first row-major B's address
 * @param ldFirst its leading dimension
 * @param strideFirst elements between its batch entries
 * @param second row-major A's address
 * @param ldSecond its leading dimension
 * @param strideSecond elements between its batch entries
 * @param beta C's scale
 * @param c C's address
 * @param ldc C's leading dimension
 * @param strideC elements between C's batch entries
 * @param batch the batch count
 * @param dataType the element type of A, B and C: {@link Cublas#R_32F}, {@link Cublas#R_16F} or
 *     {@link Cublas#R_16BF}
 */
public record CublasGemm(
    int opFirst,
    int opSecond,
    int m,
    int n,
    int k,
    float alpha,
    long first,
    int ldFirst,
    long strideFirst,
    long second,
    int ldSecond,
    long strideSecond,
    float beta,
    long c,
    int ldc,
    long strideC,
    int batch,
    int dataType) {

  /**
   * The cuBLAS call of a float32, float16 or bfloat16 GEMM launch with its resolved pointers (A, B,
   * C), or null when the launch is not such a GEMM or its batch is not strided.
   */
  public static CublasGemm of(CudaLaunch l, long[] pointers) {
    KernelFamily f = l.kernel().family();
    if (f != KernelFamily.GEMM && f != KernelFamily.GEMM64) {
      return null;
    }
    int dataType = dataType(l.kernel().name());
    if (dataType < 0) {
      return null;
    }
    List<Arg> a = l.args();
    MemorySegment s = MemorySegment.ofArray(((Struct) a.get(14)).bytes());
    int rank = s.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
    long batch = ((I64) a.get(13)).value();
    long[] strides = {1, 1, 1};
    if (rank > 1 || batch > Integer.MAX_VALUE) {
      return null;
    }
    if (rank == 1) {
      ValueLayout.OfLong i64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
      for (int op = 0; op < 3; op++) {
        strides[op] = s.get(i64, 8 + 8L * Indexer.MAX_RANK + 8L * op * Indexer.MAX_RANK);
      }
    }
    long lda = ((I64) a.get(7)).value();
    long ldb = ((I64) a.get(9)).value();
    long ldc = ((I64) a.get(12)).value();
    if (lda > Integer.MAX_VALUE || ldb > Integer.MAX_VALUE || ldc > Integer.MAX_VALUE) {
      return null;
    }
    boolean transA = ((I32) a.get(0)).value() != 0;
    boolean transB = ((I32) a.get(1)).value() != 0;
    int rows = ((I32) a.get(2)).value();
    int cols = ((I32) a.get(3)).value();
    int inner = ((I32) a.get(4)).value();
    return new CublasGemm(
        transB ? Cublas.OP_T : Cublas.OP_N,
        transA ? Cublas.OP_T : Cublas.OP_N,
        cols,
        rows,
        inner,
        ((F32) a.get(5)).value(),
        pointers[1],
        (int) Math.max(1, ldb),
        strides[1],
        pointers[0],
        (int) Math.max(1, lda),
        strides[0],
        ((F32) a.get(10)).value(),
        pointers[2],
        (int) Math.max(1, ldc),
        strides[2],
        (int) batch,
        dataType);
  }

  /** cuBLAS's type of a GEMM kernel's elements, from its name's suffix; -1 for other types. */
  static int dataType(String kernel) {
    if (kernel.endsWith("_f32")) {
      return Cublas.R_32F;
    }
    if (kernel.endsWith("_bf16")) {
      return Cublas.R_16BF;
    }
    if (kernel.endsWith("_f16")) {
      return Cublas.R_16F;
    }
    return -1;
  }

  /** Runs the call through {@code blas} on {@code handle}'s stream. */
  public void run(Cublas blas, MemorySegment handle) {
    if (dataType != Cublas.R_32F) {
      if (batch == 1) {
        blas.gemmEx(
            handle,
            opFirst,
            opSecond,
            m,
            n,
            k,
            alpha,
            first,
            dataType,
            ldFirst,
            second,
            ldSecond,
            beta,
            c,
            dataType,
            ldc,
            Cublas.COMPUTE_32F);
      } else {
        blas.gemmStridedBatchedEx(
            handle,
            opFirst,
            opSecond,
            m,
            n,
            k,
            alpha,
            first,
            dataType,
            ldFirst,
            strideFirst,
            second,
            ldSecond,
            strideSecond,
            beta,
            c,
            dataType,
            ldc,
            strideC,
            batch,
            Cublas.COMPUTE_32F);
      }
      return;
    }
    blas.sgemmStridedBatched(
        handle,
        opFirst,
        opSecond,
        m,
        n,
        k,
        alpha,
        first,
        ldFirst,
        strideFirst,
        second,
        ldSecond,
        strideSecond,
        beta,
        c,
        ldc,
        strideC,
        batch);
  }
}
