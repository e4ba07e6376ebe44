package dev.kiln.engine.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.junit.jupiter.api.Test;

/** Error translation: names, codes, descriptions and arguments in the message, without a driver. */
class StatusTest {
  private static final Object[] ALLOC_ARGS = {"bytesize", 1024L};

  @Test
  void theTableNamesTheCodeWhenTheLibraryCannot() {
    CudaException e =
        Status.failure("CUDA", "cuMemAlloc_v2", ALLOC_ARGS, 2, StatusNames.CUDA, null, null);
    assertEquals(
        "cuMemAlloc_v2(bytesize=1024) failed: CUDA_ERROR_OUT_OF_MEMORY (2)", e.getMessage());
    assertEquals("cuMemAlloc_v2", e.call());
    assertEquals(2, e.code());
    assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.errorName());
  }

  @Test
  void theLibrarysNameAndTextAreUsedAndAFailingNamerFallsBackToTheTable() {
    CudaException named =
        Status.failure(
            "CUDA",
            "cuInit",
            new Object[] {"Flags", 0},
            100,
            StatusNames.CUDA,
            c -> "CUDA_ERROR_NO_DEVICE",
            c -> "no CUDA-capable device is detected");
    assertEquals(
        "cuInit(Flags=0) failed: CUDA_ERROR_NO_DEVICE (100): no CUDA-capable device is detected",
        named.getMessage());
    CudaException fallback =
        Status.failure(
            "CUDA",
            "cuInit",
            new Object[] {"Flags", 0},
            999,
            StatusNames.CUDA,
            c -> {
              throw new IllegalStateException("driver gone");
            },
            c -> null);
    assertEquals("cuInit(Flags=0) failed: CUDA_ERROR_UNKNOWN (999)", fallback.getMessage());
  }

  @Test
  void anUnknownCodeIsStillNamedByNumber() {
    CudaException e =
        Status.failure(
            "cuBLAS", "cublasCreate_v2", new Object[0], 4242, StatusNames.CUBLAS, null, null);
    assertEquals(
        "cublasCreate_v2() failed: cuBLAS status 4242 (a code Kiln does not know)", e.getMessage());
    assertNull(e.errorName());
  }

  @Test
  void argumentsArePrintedByKind() {
    MemorySegment stream = MemorySegment.ofAddress(0xabc0);
    String ptx = "x".repeat(100);
    assertEquals(
        "f(hStream=0xabc0, stream=NULL, dptr=0x7f0000001000, image=\""
            + "x".repeat(40)
            + "...\" (100 chars), dims=[1, 2], n=3)",
        Status.format(
            "f",
            new Object[] {
              "hStream",
              stream,
              "stream",
              MemorySegment.NULL,
              "dptr",
              new Status.Pointer(0x7f0000001000L),
              "image",
              ptx,
              "dims",
              new int[] {1, 2},
              "n",
              3
            }));
  }

  @Test
  void eachLibrarysTableKnowsItsCommonCodes() {
    assertEquals("CUDA_ERROR_INVALID_PTX", StatusNames.CUDA.get(218));
    assertEquals("CUDA_ERROR_ILLEGAL_ADDRESS", StatusNames.CUDA.get(700));
    assertEquals("CUBLAS_STATUS_NOT_SUPPORTED", StatusNames.CUBLAS.get(15));
    assertEquals("CUDNN_STATUS_BAD_PARAM", StatusNames.CUDNN.get(3), "cuDNN 8");
    assertEquals("CUDNN_STATUS_BAD_PARAM", StatusNames.CUDNN.get(2000), "cuDNN 9");
    assertEquals("CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH", StatusNames.CUDNN.get(1002));
    assertEquals("NVRTC_ERROR_COMPILATION", StatusNames.NVRTC.get(6));
  }

  /** A stand-in cuGetErrorName: writes a C string's address to {@code *pStr}. */
  static int errorName(int code, MemorySegment out) {
    out.reinterpret(ADDRESS.byteSize())
        .set(ADDRESS, 0, Arena.global().allocateFrom("NAME_" + code));
    return 0;
  }

  /** A stand-in cuGetErrorString that fails, as a driver does for a code it does not know. */
  static int errorStringFails(int code, MemorySegment out) {
    return 1;
  }

  @Test
  void aFailingDriverCallThrowsWithTheDriversOwnNameOfTheError()
      throws ReflectiveOperationException {
    MethodType type = MethodType.methodType(int.class, int.class, MemorySegment.class);
    MethodHandle name = MethodHandles.lookup().findStatic(StatusTest.class, "errorName", type);
    MethodHandle text =
        MethodHandles.lookup().findStatic(StatusTest.class, "errorStringFails", type);
    CudaDriver d =
        new CudaDriver(
            new FakeLibrary()
                .failing("cuMemAlloc_v2", 2)
                .with("cuGetErrorName", name)
                .with("cuGetErrorString", text));
    CudaException e = assertThrows(CudaException.class, () -> d.memAlloc(1L << 40));
    assertEquals("cuMemAlloc_v2(bytesize=1099511627776) failed: NAME_2 (2)", e.getMessage());
  }

  @Test
  void aDriverWithoutTheNamingCallsUsesTheTable() {
    CudaDriver d =
        new CudaDriver(
            new FakeLibrary()
                .failing("cuModuleLoadData", 218)
                .without("cuGetErrorName")
                .without("cuGetErrorString"));
    CudaException e = assertThrows(CudaException.class, () -> d.moduleLoadData(".version 99.0"));
    assertEquals(
        "cuModuleLoadData(image=\".version 99.0\") failed: CUDA_ERROR_INVALID_PTX (218)",
        e.getMessage());
  }

  @Test
  void aLibraryMissingARequiredFunctionIsNamedWhenBound() {
    CudaException e =
        assertThrows(
            CudaException.class,
            () ->
                new CudaDriver(
                    CFunction.resolver(
                        "the CUDA driver",
                        "/opt/old/libcuda.so.1",
                        java.lang.foreign.Linker.nativeLinker().defaultLookup())));
    assertEquals(
        "the CUDA driver at /opt/old/libcuda.so.1 has no cuInit; Kiln needs a version that has it",
        e.getMessage());
  }
}
