package dev.kiln.engine.cuda.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.engine.cuda.CublasGemm;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which cuBLAS function a {@link CublasGemm} calls and with what: float32 through {@code
 * cublasSgemmStridedBatched} (under the handle's math mode), float16 and bfloat16 through {@code
 * cublasGemmEx} or {@code cublasGemmStridedBatchedEx} with their type for A, B and C and float32
 * accumulation; every operand, leading dimension and stride passed on in place.
 */
class CublasGemmCallTest {
  private static CublasGemm call(int dataType, int batch) {
    return new CublasGemm(
        Cublas.OP_T,
        Cublas.OP_N,
        3,
        2,
        4,
        1f,
        0xB0,
        4,
        12,
        0xA0,
        5,
        20,
        0f,
        0xC0,
        3,
        6,
        batch,
        dataType);
  }

  @Test
  void float32GoesToSgemmStridedBatched() {
    FakeLibrary fake = new FakeLibrary();
    call(Cublas.R_32F, 5).run(new Cublas(fake), MemorySegment.NULL);
    assertEquals(1, fake.calls.size());
    List<Object> a = fake.last("cublasSgemmStridedBatched").args();
    assertEquals(List.of(Cublas.OP_T, Cublas.OP_N, 3, 2, 4), a.subList(1, 6));
    assertEquals(0xB0L, ((MemorySegment) a.get(7)).address());
    assertEquals(List.of(4, 12L), a.subList(8, 10));
    assertEquals(0xA0L, ((MemorySegment) a.get(10)).address());
    assertEquals(List.of(5, 20L), a.subList(11, 13));
    assertEquals(0xC0L, ((MemorySegment) a.get(14)).address());
    assertEquals(List.of(3, 6L, 5), a.subList(15, 18));
  }

  @Test
  void oneSixteenBitMatrixGoesToGemmExWithItsTypeAndFloat32Compute() {
    FakeLibrary fake = new FakeLibrary();
    call(Cublas.R_16BF, 1).run(new Cublas(fake), MemorySegment.NULL);
    assertEquals(1, fake.calls.size());
    List<Object> a = fake.last("cublasGemmEx").args();
    assertEquals(List.of(Cublas.OP_T, Cublas.OP_N, 3, 2, 4), a.subList(1, 6));
    assertEquals(0xB0L, ((MemorySegment) a.get(7)).address());
    assertEquals(List.of(Cublas.R_16BF, 4), a.subList(8, 10));
    assertEquals(0xA0L, ((MemorySegment) a.get(10)).address());
    assertEquals(List.of(Cublas.R_16BF, 5), a.subList(11, 13));
    assertEquals(0xC0L, ((MemorySegment) a.get(14)).address());
    assertEquals(
        List.of(Cublas.R_16BF, 3, Cublas.COMPUTE_32F, Cublas.GEMM_DEFAULT), a.subList(15, 19));
  }

  @Test
  void aBatchOfSixteenBitMatricesGoesToGemmStridedBatchedEx() {
    FakeLibrary fake = new FakeLibrary();
    call(Cublas.R_16F, 5).run(new Cublas(fake), MemorySegment.NULL);
    assertEquals(1, fake.calls.size());
    List<Object> a = fake.last("cublasGemmStridedBatchedEx").args();
    assertEquals(23, a.size());
    assertEquals(List.of(Cublas.OP_T, Cublas.OP_N, 3, 2, 4), a.subList(1, 6));
    assertEquals(0xB0L, ((MemorySegment) a.get(7)).address());
    assertEquals(List.of(Cublas.R_16F, 4, 12L), a.subList(8, 11));
    assertEquals(0xA0L, ((MemorySegment) a.get(11)).address());
    assertEquals(List.of(Cublas.R_16F, 5, 20L), a.subList(12, 15));
    assertEquals(0xC0L, ((MemorySegment) a.get(16)).address());
    assertEquals(
        List.of(Cublas.R_16F, 3, 6L, 5, Cublas.COMPUTE_32F, Cublas.GEMM_DEFAULT),
        a.subList(17, 23));
  }
}
