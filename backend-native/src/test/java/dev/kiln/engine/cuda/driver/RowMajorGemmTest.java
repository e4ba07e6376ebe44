package dev.kiln.engine.cuda.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The row-major to column-major GEMM mapping, checked by running the mapped call through a CPU
 * column-major GEMM with BLAS's semantics and comparing with a plain row-major product.
 */
class RowMajorGemmTest {
  /** Column-major {@code C = alpha op(A) op(B) + beta C} over batches, as cuBLAS defines it. */
  static void columnMajorGemm(
      boolean ta,
      boolean tb,
      int m,
      int n,
      int k,
      float[] a,
      int lda,
      long sa,
      float[] b,
      int ldb,
      long sb,
      float[] c,
      int ldc,
      long sc,
      int batch) {
    for (int p = 0; p < batch; p++) {
      for (int j = 0; j < n; j++) {
        for (int i = 0; i < m; i++) {
          float sum = 0;
          for (int l = 0; l < k; l++) {
            float x = ta ? a[(int) (p * sa) + l + i * lda] : a[(int) (p * sa) + i + l * lda];
            float y = tb ? b[(int) (p * sb) + j + l * ldb] : b[(int) (p * sb) + l + j * ldb];
            sum += x * y;
          }
          c[(int) (p * sc) + i + j * ldc] = sum;
        }
      }
    }
  }

  /** Row-major {@code C[m,n] = op(A) op(B)}; A stored [k,m] when transposed, B [n,k]. */
  static float[] rowMajor(
      boolean ta, boolean tb, int m, int n, int k, float[] a, float[] b, int batch) {
    float[] c = new float[batch * m * n];
    for (int p = 0; p < batch; p++) {
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          float sum = 0;
          for (int l = 0; l < k; l++) {
            float x = ta ? a[p * m * k + l * m + i] : a[p * m * k + i * k + l];
            float y = tb ? b[p * k * n + j * k + l] : b[p * k * n + l * n + j];
            sum += x * y;
          }
          c[p * m * n + i * n + j] = sum;
        }
      }
    }
    return c;
  }

  @Test
  void theSwappedColumnMajorCallComputesTheRowMajorProduct() {
    Random random = new Random(15);
    int[][] shapes = {{1, 1, 1}, {2, 3, 4}, {5, 1, 3}, {1, 7, 2}, {4, 4, 1}, {3, 5, 7}};
    for (int[] s : shapes) {
      int m = s[0];
      int n = s[1];
      int k = s[2];
      for (boolean ta : new boolean[] {false, true}) {
        for (boolean tb : new boolean[] {false, true}) {
          int batch = 3;
          float[] a = new float[batch * m * k];
          float[] b = new float[batch * k * n];
          for (int i = 0; i < a.length; i++) {
            a[i] = random.nextInt(9) - 4;
          }
          for (int i = 0; i < b.length; i++) {
            b[i] = random.nextInt(9) - 4;
          }
          RowMajorGemm g = RowMajorGemm.of(ta, tb, m, n, k);
          float[] c = new float[batch * m * n];
          columnMajorGemm(
              g.opFirst() == Cublas.OP_T,
              g.opSecond() == Cublas.OP_T,
              g.m(),
              g.n(),
              g.k(),
              b,
              g.ldFirst(),
              g.strideFirst(),
              a,
              g.ldSecond(),
              g.strideSecond(),
              c,
              g.ldc(),
              g.strideC(),
              batch);
          assertArrayEquals(
              rowMajor(ta, tb, m, n, k, a, b, batch),
              c,
              "m=" + m + " n=" + n + " k=" + k + " transA=" + ta + " transB=" + tb);
        }
      }
    }
  }

  @Test
  void leadingDimensionsAreTheStoredRowLengths() {
    RowMajorGemm g = RowMajorGemm.of(true, false, 2, 3, 4);
    // A stored [k, m] = [4, 2] (row length 2), B stored [k, n] = [4, 3] (row length 3).
    assertEquals(new RowMajorGemm(false, true, 3, 2, 4, 3, 2, 3, 12, 8, 6), g);
    assertEquals(1, RowMajorGemm.of(false, false, 0, 0, 0).ldc(), "cuBLAS needs ld >= 1");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> RowMajorGemm.of(false, false, -1, 2, 3));
    assertEquals("gemm dimensions must be >= 0; got m=-1, n=2, k=3", e.getMessage());
  }
}
