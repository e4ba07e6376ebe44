package dev.kiln.engine.cuda.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.cuda.CudaDevices;
import dev.kiln.engine.cuda.CudaDriverRuntime;
import dev.kiln.engine.cuda.FusedElementwise;
import dev.kiln.engine.cuda.kernels.CudaKernel;
import dev.kiln.engine.cuda.kernels.KernelFamily;
import dev.kiln.spi.DType;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How {@link CudaDriverRuntime} compiles generated kernels through NVRTC, against stand-in driver
 * and NVRTC functions: a program's chains in one NVRTC call for the device's PTX architecture, one
 * module loaded, each kernel looked up once and reused; a chain that does not compile left out
 * alone; any other failure turning fusion off instead of failing the program.
 */
class NvrtcRuntimeTest {
  /** Compute capability 8.6: Kiln's PTX for it is sm_80's. */
  private static final CudaDevices.Info GPU =
      new CudaDevices.Info(0, "Fake GPU", 8, 6, 84, 4L << 30);

  private static final List<String> sources = new ArrayList<>();
  private static final List<List<String>> options = new ArrayList<>();
  private static String refuse;

  @BeforeEach
  void reset() {
    sources.clear();
    options.clear();
    refuse = null;
  }

  @SuppressWarnings("unused") // through a method handle, as nvrtcCreateProgram
  private static int createProgram(
      MemorySegment out,
      MemorySegment src,
      MemorySegment name,
      int headers,
      MemorySegment h,
      MemorySegment n) {
    sources.add(src.reinterpret(Long.MAX_VALUE).getString(0));
    return 0;
  }

  @SuppressWarnings("unused") // through a method handle, as nvrtcCompileProgram
  private static int compileProgram(MemorySegment program, int count, MemorySegment array) {
    List<String> o = new ArrayList<>();
    MemorySegment a = array.reinterpret(8L * count);
    for (int i = 0; i < count; i++) {
      o.add(a.getAtIndex(ValueLayout.ADDRESS, i).reinterpret(Long.MAX_VALUE).getString(0));
    }
    options.add(o);
    return refuse != null && sources.getLast().contains(refuse) ? 6 : 0;
  }

  private static FakeLibrary nvrtcLibrary() {
    try {
      var lookup = MethodHandles.lookup();
      MethodType create =
          MethodType.methodType(
              int.class,
              MemorySegment.class,
              MemorySegment.class,
              MemorySegment.class,
              int.class,
              MemorySegment.class,
              MemorySegment.class);
      MethodType compile =
          MethodType.methodType(int.class, MemorySegment.class, int.class, MemorySegment.class);
      return new FakeLibrary()
          .with(
              "nvrtcCreateProgram",
              lookup.findStatic(NvrtcRuntimeTest.class, "createProgram", create))
          .with(
              "nvrtcCompileProgram",
              lookup.findStatic(NvrtcRuntimeTest.class, "compileProgram", compile));
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  private static CudaDriverRuntime open(FakeLibrary driver, FakeLibrary nvrtc) {
    return new CudaDriverRuntime(new CudaDriver(driver), GPU, null, null, null, new Nvrtc(nvrtc));
  }

  private static long count(FakeLibrary f, String symbol) {
    return f.calls.stream().filter(c -> c.symbol().equals(symbol)).count();
  }

  /** Two distinct chains. */
  private static List<FusedElementwise.Kernel> kernels() {
    GraphBuilder g = new GraphBuilder();
    Value x = g.input(TensorType.of(DType.FLOAT32, 4, 8));
    Value a = g.sigmoid(g.add(x, x));
    Value b = g.mul(g.tanh(x), g.exp(x));
    List<FusedElementwise.Kernel> ks = FusedElementwise.plan(g.output(a, b).build());
    assertEquals(2, ks.size());
    return ks;
  }

  @Test
  void aProgramsChainsCompileInOneCallForTheShippedArchitectureAndLoadOnce() {
    FakeLibrary driver = new FakeLibrary();
    FakeLibrary nvrtc = nvrtcLibrary();
    List<FusedElementwise.Kernel> ks = kernels();
    try (CudaDriverRuntime r = open(driver, nvrtc)) {
      assertTrue(r.canCompile());
      assertEquals(Set.of(ks.get(0).name(), ks.get(1).name()), r.compile(ks));
      assertEquals(List.of(List.of("--gpu-architecture=compute_80")), options);
      assertEquals(List.of(FusedElementwise.source(ks)), sources);
      assertEquals(1, count(driver, "cuModuleLoadData"));
      assertEquals(2, count(driver, "cuModuleGetFunction"));
      r.check(ks.get(0).kernel());
      r.launch(ks.get(0).launch(v -> 0), new long[] {0x1000, 0x2000});
      assertEquals(1, count(driver, "cuLaunchKernel"));
      // Compiled once for the runtime: another program with the same chain reuses it.
      assertEquals(Set.of(ks.get(1).name()), r.compile(List.of(ks.get(1))));
      assertEquals(1, options.size());
      CudaKernel other = new CudaKernel("kiln_fused_0", KernelFamily.FUSED, List.of());
      assertThrows(IllegalStateException.class, () -> r.check(other));
    }
    assertEquals(1, count(driver, "cuModuleUnload"));
  }

  @Test
  void aChainThatDoesNotCompileRunsOpByOpAndIsNotTriedAgain() {
    FakeLibrary nvrtc = nvrtcLibrary();
    List<FusedElementwise.Kernel> ks = kernels();
    refuse = ks.get(1).name();
    try (CudaDriverRuntime r = open(new FakeLibrary(), nvrtc)) {
      assertEquals(Set.of(ks.get(0).name()), r.compile(ks));
      // The program's unit, then each kernel alone.
      assertEquals(3, options.size());
      assertEquals(Set.of(), r.compile(List.of(ks.get(1))));
      assertEquals(3, options.size());
      assertTrue(r.usesNvrtc());
      assertNull(r.nvrtcProblem());
    }
  }

  @Test
  void anNvrtcFailureOtherThanTheSourcesTurnsFusionOff() {
    FakeLibrary failing = new FakeLibrary().failing("nvrtcCreateProgram", 5);
    try (CudaDriverRuntime r = open(new FakeLibrary(), failing)) {
      assertEquals(Set.of(), r.compile(kernels()));
      assertFalse(r.usesNvrtc());
      assertFalse(r.canCompile());
      assertTrue(r.nvrtcProblem().contains("NVRTC_ERROR_INVALID_OPTION"), r.nvrtcProblem());
      assertEquals(1, count(failing, "nvrtcCreateProgram"));
      assertEquals(Set.of(), r.compile(kernels()));
      assertEquals(1, count(failing, "nvrtcCreateProgram"));
    }
  }

  @Test
  void ptxTheDriverCannotLoadTurnsFusionOff() {
    // CUDA_ERROR_UNSUPPORTED_PTX_VERSION: an NVRTC newer than the driver.
    FakeLibrary driver = new FakeLibrary().failing("cuModuleLoadData", 222);
    try (CudaDriverRuntime r = open(driver, nvrtcLibrary())) {
      assertEquals(Set.of(), r.compile(kernels()));
      assertFalse(r.usesNvrtc());
      assertTrue(r.nvrtcProblem().contains("cuModuleLoadData"), r.nvrtcProblem());
      assertEquals(1, options.size());
    }
  }
}
