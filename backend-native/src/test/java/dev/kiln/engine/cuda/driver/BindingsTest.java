package dev.kiln.engine.cuda.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The binding tables and every binding method, without the libraries: descriptors must make
 * downcall handles, and each method must call its function with arguments of the exact types (a
 * wrong cast fails {@code invokeExact} here instead of on the first GPU).
 */
class BindingsTest {
  private static final Map<String, List<CFunction>> TABLES =
      Map.of(
          "CUDA driver", CudaDriver.FUNCTIONS,
          "cuBLAS", Cublas.FUNCTIONS,
          "cuBLASLt", CublasLt.FUNCTIONS,
          "cuDNN", Cudnn.FUNCTIONS,
          "NVRTC", Nvrtc.FUNCTIONS);

  @Test
  void everyDescriptorMakesADowncallHandleAndNamesAreUnique() {
    Linker linker = Linker.nativeLinker();
    TABLES.forEach(
        (library, functions) -> {
          Set<String> seen = new HashSet<>();
          for (CFunction f : functions) {
            assertTrue(
                f.symbol().matches("(cu|cublas|cublasLt|cudnn|nvrtc)[A-Z][A-Za-z0-9_]*"),
                f.symbol());
            assertTrue(seen.add(f.symbol()), library + " binds " + f.symbol() + " twice");
            MethodHandle h = linker.downcallHandle(f.descriptor());
            // The address-less handle takes the function's address first.
            assertEquals(
                f.descriptor().argumentLayouts().size() + 1, h.type().parameterCount(), f.symbol());
          }
        });
  }

  @Test
  void theDriverUsesTheVersionedEntryPointsOfCuda13() {
    Set<String> symbols = new HashSet<>();
    for (CFunction f : CudaDriver.FUNCTIONS) {
      symbols.add(f.symbol());
    }
    for (String s :
        List.of(
            "cuMemAlloc_v2",
            "cuMemFree_v2",
            "cuMemcpyHtoDAsync_v2",
            "cuMemcpyDtoHAsync_v2",
            "cuMemcpyDtoDAsync_v2",
            "cuMemGetInfo_v2",
            "cuDeviceTotalMem_v2",
            "cuDevicePrimaryCtxRelease_v2",
            "cuStreamDestroy_v2",
            "cuEventDestroy_v2",
            "cuStreamBeginCapture_v2",
            "cuGraphInstantiateWithFlags")) {
      assertTrue(symbols.contains(s), s);
    }
    assertEquals(
        List.of("cuEventElapsedTime_v2", "cuEventElapsedTime"),
        CudaDriver.EVENT_ELAPSED_TIME.symbols());
  }

  @Test
  void everyDriverMethodCallsItsFunctionWithExactTypes() {
    FakeLibrary fake = new FakeLibrary();
    CudaDriver d = new CudaDriver(fake);
    MemorySegment p = MemorySegment.ofAddress(0x1000);
    d.init();
    d.driverVersion();
    d.deviceCount();
    d.device(0);
    assertEquals("", d.deviceName(0));
    d.deviceAttribute(CudaDriver.ATTRIBUTE_MULTIPROCESSOR_COUNT, 0);
    d.deviceTotalMemory(0);
    d.primaryContextRetain(0);
    d.primaryContextRelease(0);
    d.ctxSetCurrent(p);
    d.ctxSynchronize();
    d.streamCreate(CudaDriver.STREAM_NON_BLOCKING);
    d.streamSynchronize(p);
    d.streamDestroy(p);
    d.eventCreate(CudaDriver.EVENT_DEFAULT);
    d.eventRecord(p, p);
    d.eventSynchronize(p);
    assertTrue(d.eventQuery(p));
    d.eventElapsedMillis(p, p);
    d.eventDestroy(p);
    d.memAlloc(1024);
    d.memFree(0x2000);
    d.memsetD32Async(0x2000, 7, 256, p);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment host = arena.allocate(1024);
      d.memcpyHtoDAsync(0x2000, host, 1024, p);
      d.memcpyDtoHAsync(host, 0x2000, 1024, p);
    }
    d.memcpyDtoDAsync(0x3000, 0x2000, 1024, p);
    d.memHostAlloc(64, CudaDriver.MEMHOSTALLOC_PORTABLE);
    d.memFreeHost(p);
    d.memGetInfo();
    d.moduleLoadData(".version 7.0");
    d.moduleGetFunction(p, "kiln_test_add_one");
    d.moduleUnload(p);
    try (KernelParameters params = new KernelParameters()) {
      params.pointer(0x2000).i32(3).i64(4).f32(1.5f);
      d.launchKernel(p, new int[] {1, 1, 1}, new int[] {32, 1, 1}, 0, p, params);
      params.close();
    }
    d.streamBeginCapture(p, CudaDriver.CAPTURE_MODE_THREAD_LOCAL);
    d.streamEndCapture(p);
    d.graphInstantiate(p, 0);
    d.graphLaunch(p, p);
    d.graphExecDestroy(p);
    d.graphDestroy(p);
    Set<String> called = new HashSet<>();
    fake.calls.forEach(c -> called.add(c.symbol()));
    for (CFunction f : CudaDriver.FUNCTIONS) {
      if (!f.optional()) {
        assertTrue(called.contains(f.symbol()), f.symbol() + " has no method that calls it");
      }
    }
    FakeLibrary.Call launch = fake.last("cuLaunchKernel");
    assertEquals(List.of(1, 1, 1, 32, 1, 1, 0), launch.args().subList(1, 8));
    assertEquals(MemorySegment.NULL, launch.args().get(10), "extra must be NULL");
    assertEquals(
        List.of(0x3000L, 0x2000L, 1024L), fake.last("cuMemcpyDtoDAsync_v2").args().subList(0, 3));
  }

  @Test
  void aHostBufferSmallerThanTheCopyOrOnTheHeapIsRefusedBeforeTheDriver() {
    CudaDriver d = new CudaDriver(new FakeLibrary());
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment host = arena.allocate(16);
      IllegalArgumentException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              IllegalArgumentException.class,
              () -> d.memcpyDtoHAsync(host, 0x2000, 64, MemorySegment.NULL));
      assertEquals("copy of 64 bytes, but the host destination holds 16 bytes", e.getMessage());
      IllegalArgumentException heap =
          org.junit.jupiter.api.Assertions.assertThrows(
              IllegalArgumentException.class,
              () ->
                  d.memcpyHtoDAsync(
                      0x2000, MemorySegment.ofArray(new float[4]), 16, MemorySegment.NULL));
      assertEquals(
          "the host source of a copy must be off-heap memory, not a Java array", heap.getMessage());
    }
  }

  @Test
  void everyCublasMethodCallsItsFunctionWithExactTypesAndGemmSwapsOperands() {
    FakeLibrary fake = new FakeLibrary();
    Cublas b = new Cublas(fake);
    MemorySegment h = b.create();
    b.setStream(h, MemorySegment.NULL);
    b.setMathMode(h, Cublas.TF32_TENSOR_OP_MATH);
    b.setWorkspace(h, 0x4000, 1 << 20);
    b.gemmEx(
        h,
        Cublas.OP_N,
        Cublas.OP_N,
        2,
        3,
        4,
        1f,
        0xA,
        Cublas.R_16BF,
        2,
        0xB,
        4,
        0f,
        0xC,
        Cublas.R_32F,
        2,
        Cublas.COMPUTE_32F);
    b.gemmStridedBatched(h, false, false, 2, 3, 4, 1f, 0xA, 0xB, 0f, 0xC, 5);
    // Row-major C[2,3] = A[2,4] * B^T with B stored [3,4].
    b.gemm(h, false, true, 2, 3, 4, 1f, 0xA, 0xB, 0f, 0xC);
    b.destroy(h);
    List<Object> g = fake.last("cublasSgemm_v2").args();
    assertEquals(List.of(Cublas.OP_T, Cublas.OP_N, 3, 2, 4), g.subList(1, 6));
    assertEquals(0xBL, ((MemorySegment) g.get(7)).address(), "cuBLAS's A is row-major B");
    assertEquals(4, g.get(8));
    assertEquals(0xAL, ((MemorySegment) g.get(9)).address(), "cuBLAS's B is row-major A");
    assertEquals(4, g.get(10));
    assertEquals(3, g.get(13));
    List<Object> s = fake.last("cublasSgemmStridedBatched").args();
    assertEquals(List.of(12L, 8L, 6L, 5), List.of(s.get(9), s.get(12), s.get(16), s.get(17)));
    List<Object> e = fake.last("cublasGemmEx").args();
    assertEquals(
        List.of(
            Cublas.R_16BF, Cublas.R_16BF, Cublas.R_32F, Cublas.COMPUTE_32F, Cublas.GEMM_DEFAULT),
        List.of(e.get(8), e.get(11), e.get(15), e.get(17), e.get(18)));
  }

  @Test
  void everyCudnnMethodCallsItsFunctionWithItsArguments() {
    FakeLibrary fake = new FakeLibrary();
    Cudnn c = new Cudnn(fake);
    assertEquals(0L, c.version());
    MemorySegment h = c.create();
    c.setStream(h, MemorySegment.NULL);
    MemorySegment x =
        c.tensorDescriptor(Cudnn.DATA_FLOAT, new int[] {1, 3, 8, 8}, new int[] {192, 64, 8, 1});
    MemorySegment w =
        c.filterDescriptor(Cudnn.DATA_FLOAT, Cudnn.TENSOR_NCHW, new int[] {4, 3, 3, 3});
    MemorySegment conv =
        c.convolutionDescriptor(
            new int[] {1, 1},
            new int[] {1, 1},
            new int[] {1, 1},
            1,
            Cudnn.DATA_FLOAT,
            Cudnn.DEFAULT_MATH);
    MemorySegment pool =
        c.poolingDescriptor(
            Cudnn.POOLING_MAX, new int[] {2, 2}, new int[] {0, 0}, new int[] {2, 2});
    for (Cudnn.Pass pass : Cudnn.Pass.values()) {
      // The stand-in ranks no algorithm, which is an error naming the query and the limit.
      CudaException none =
          org.junit.jupiter.api.Assertions.assertThrows(
              CudaException.class, () -> c.chooseAlgorithm(h, pass, x, w, conv, x, 1 << 20));
      assertTrue(
          none.getMessage()
              .contains(
                  "ranked no usable " + pass + " algorithm with a workspace within 1048576 bytes"),
          none.getMessage());
      c.workspaceSize(h, pass, x, w, conv, x, 0);
      c.convolution(
          h, pass, 1f, x, 0x10, w, 0x20, conv, new Cudnn.Algorithm(1, 0), 0, 0, 0f, x, 0x30);
    }
    c.poolingForward(h, pool, 1f, x, 0x10, 0f, x, 0x20);
    c.poolingBackward(h, pool, 1f, x, 0x10, x, 0x20, x, 0x30, 0f, x, 0x40);
    c.destroyPoolingDescriptor(pool);
    c.destroyConvolutionDescriptor(conv);
    c.destroyFilterDescriptor(w);
    c.destroyTensorDescriptor(x);
    c.destroy(h);
    Set<String> called = new HashSet<>();
    fake.calls.forEach(k -> called.add(k.symbol()));
    for (CFunction f : Cudnn.FUNCTIONS) {
      if (!f.optional() && !f.symbol().equals("cudnnGetVersion")) {
        assertTrue(called.contains(f.symbol()), f.symbol() + " has no method that calls it");
      }
    }
    assertEquals(
        List.of(Cudnn.DATA_FLOAT, 4), fake.last("cudnnSetTensorNdDescriptor").args().subList(1, 3));
    List<Object> nd = fake.last("cudnnSetConvolutionNdDescriptor").args();
    assertEquals(
        List.of(2, Cudnn.CROSS_CORRELATION, Cudnn.DATA_FLOAT),
        List.of(nd.get(1), nd.get(5), nd.get(6)));
  }

  @Test
  void theCudnnAlgorithmChoiceReadsThePerfStructAndSkipsFailedOrTooLargeAlgorithms() {
    assertEquals(48, Cudnn.ALGO_PERF.byteSize());
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment results = arena.allocate(Cudnn.ALGO_PERF, 3);
      long size = Cudnn.ALGO_PERF.byteSize();
      // algo, status, memory: a failed one, a big one, a small one.
      int[][] rows = {{6, 3000, 0}, {1, 0, 1 << 30}, {0, 0, 4096}};
      for (int i = 0; i < rows.length; i++) {
        results.set(java.lang.foreign.ValueLayout.JAVA_INT, i * size, rows[i][0]);
        results.set(java.lang.foreign.ValueLayout.JAVA_INT, i * size + 4, rows[i][1]);
        results.set(java.lang.foreign.ValueLayout.JAVA_LONG, i * size + 16, rows[i][2]);
      }
      assertEquals(
          List.of(new Cudnn.Algorithm(1, 1 << 30), new Cudnn.Algorithm(0, 4096)),
          Cudnn.ranked(results, 3));
      assertEquals(List.of(new Cudnn.Algorithm(1, 1 << 30)), Cudnn.ranked(results, 2));
    }
  }

  @Test
  void nvrtcAndCublasLtMethodsCallTheirFunctions() {
    FakeLibrary fake = new FakeLibrary();
    Nvrtc n = new Nvrtc(fake);
    assertEquals(2, n.version().length);
    assertEquals(
        "", n.compile("extern \"C\" __global__ void k() {}", "k.cu", List.of("-default-device")));
    assertEquals(3, fake.last("nvrtcCompileProgram").args().size());
    assertEquals(1, fake.last("nvrtcCompileProgram").args().get(1));
    CublasLt lt = new CublasLt(new FakeLibrary());
    lt.destroy(lt.create());
    assertEquals(0L, lt.version());
  }

  @Test
  void aFailedNvrtcCompilationCarriesTheLog() {
    FakeLibrary fake = new FakeLibrary().failing("nvrtcCompileProgram", 6);
    Nvrtc n = new Nvrtc(fake);
    CudaException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            CudaException.class, () -> n.compile("bad", "k.cu", List.of()));
    assertTrue(
        e.getMessage()
            .startsWith(
                "nvrtcCompileProgram(name=\"k.cu\", options=[]) failed: NVRTC_ERROR_COMPILATION (6)"),
        e.getMessage());
    assertTrue(fake.calls.stream().anyMatch(c -> c.symbol().equals("nvrtcGetProgramLog")));
    assertTrue(
        fake.calls.stream().anyMatch(c -> c.symbol().equals("nvrtcDestroyProgram")),
        "the program is destroyed");
    assertFalse(e.getMessage().isBlank());
  }
}
