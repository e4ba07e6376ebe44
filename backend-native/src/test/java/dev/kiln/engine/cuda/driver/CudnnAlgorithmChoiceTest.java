package dev.kiln.engine.cuda.driver;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.junit.jupiter.api.Test;

/**
 * The algorithm choice checks the heuristics' workspace against {@code
 * cudnnGetConvolution*WorkspaceSize}: the pass fails on a GPU when it is given less workspace than
 * that query says, whatever the heuristics' {@code memory} field said.
 */
class CudnnAlgorithmChoiceTest {
  private static final long LIMIT = 1 << 20;

  /** The stand-ins' calls, in order: "math N" and "workspace algo N". */
  private static final java.util.List<String> EVENTS = new java.util.ArrayList<>();

  @SuppressWarnings("unused") // through a method handle
  private static int setMath(MemorySegment conv, int mathType) {
    EVENTS.add("math " + mathType);
    return 0;
  }

  /**
   * The stand-in heuristics: algo 1 (memory 100, tensor-op math), then algo 0 (memory 0, default
   * math), then algo 2 (64, FMA math).
   */
  @SuppressWarnings("unused") // through a method handle
  private static int rank(
      MemorySegment handle,
      MemorySegment first,
      MemorySegment second,
      MemorySegment conv,
      MemorySegment output,
      int requested,
      MemorySegment count,
      MemorySegment results) {
    long size = Cudnn.ALGO_PERF.byteSize();
    int[][] rows = {
      {1, 100, Cudnn.TENSOR_OP_MATH}, {0, 0, Cudnn.DEFAULT_MATH}, {2, 64, Cudnn.FMA_MATH}
    };
    for (int i = 0; i < rows.length; i++) {
      results.set(JAVA_INT, i * size, rows[i][0]);
      results.set(JAVA_INT, i * size + 4, 0);
      results.set(JAVA_LONG, i * size + 16, rows[i][1]);
      results.set(JAVA_INT, i * size + 28, rows[i][2]);
    }
    count.set(JAVA_INT, 0, rows.length);
    return 0;
  }

  /**
   * The stand-in workspace query: algo 1 needs more than the limit, algo 0 needs 512 bytes (more
   * than the heuristics said), algo 2 is not supported (CUDNN_STATUS_NOT_SUPPORTED).
   */
  @SuppressWarnings("unused") // through a method handle
  private static int workspace(
      MemorySegment handle,
      MemorySegment first,
      MemorySegment second,
      MemorySegment conv,
      MemorySegment output,
      int algo,
      MemorySegment size) {
    EVENTS.add("workspace algo " + algo);
    if (algo == 2) {
      return 9;
    }
    size.set(JAVA_LONG, 0, algo == 1 ? 2 * LIMIT : 512);
    return 0;
  }

  private static MethodHandle handle(String name, int ints, int trailing) {
    Class<?>[] params = new Class<?>[5 + ints + trailing];
    for (int i = 0; i < params.length; i++) {
      params[i] = i == 5 ? int.class : MemorySegment.class;
    }
    try {
      return MethodHandles.lookup()
          .findStatic(
              CudnnAlgorithmChoiceTest.class, name, MethodType.methodType(int.class, params));
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  private static FakeLibrary library(boolean algo0Usable) {
    EVENTS.clear();
    FakeLibrary fake = new FakeLibrary();
    try {
      fake.with(
          "cudnnSetConvolutionMathType",
          MethodHandles.lookup()
              .findStatic(
                  CudnnAlgorithmChoiceTest.class,
                  "setMath",
                  MethodType.methodType(int.class, MemorySegment.class, int.class)));
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
    for (String pass : new String[] {"Forward", "BackwardData", "BackwardFilter"}) {
      fake.with("cudnnGetConvolution" + pass + "Algorithm_v7", handle("rank", 1, 2));
      fake.with("cudnnGetConvolution" + pass + "WorkspaceSize", handle("workspace", 1, 1));
    }
    if (!algo0Usable) {
      fake.with(
          "cudnnGetConvolutionForwardWorkspaceSize",
          MethodHandles.dropArguments(
              MethodHandles.constant(int.class, 9),
              0,
              MemorySegment.class,
              MemorySegment.class,
              MemorySegment.class,
              MemorySegment.class,
              MemorySegment.class,
              int.class,
              MemorySegment.class));
    }
    return fake;
  }

  @Test
  void theChosenAlgorithmReservesTheWorkspaceTheWorkspaceQueryAsksFor() {
    Cudnn c = new Cudnn(library(true));
    MemorySegment d = MemorySegment.ofAddress(0x100);
    for (Cudnn.Pass pass : Cudnn.Pass.values()) {
      // Algo 1 fits by the heuristics' figure but not by the query's; algo 0 needs 512 bytes.
      assertEquals(
          new Cudnn.Algorithm(0, 512), c.chooseAlgorithm(d, pass, d, d, d, d, LIMIT), "" + pass);
    }
  }

  @Test
  void theDescriptorTakesTheChosenAlgorithmsMathTypeBeforeItsWorkspaceIsAskedFor() {
    Cudnn c = new Cudnn(library(true));
    MemorySegment d = MemorySegment.ofAddress(0x100);
    assertEquals(
        new Cudnn.Algorithm(0, 512),
        c.chooseAlgorithm(d, Cudnn.Pass.FORWARD, d, d, d, d, LIMIT, Cudnn.TENSOR_OP_MATH));
    // Algo 1 was ranked with the descriptor's math; algo 0 with the default math, which the
    // descriptor takes before algo 0's workspace query.
    assertEquals(
        java.util.List.of("workspace algo 1", "math " + Cudnn.DEFAULT_MATH, "workspace algo 0"),
        EVENTS);
  }

  @Test
  void fmaMathStaysAndSkipsAlgorithmsRankedForTensorCores() {
    Cudnn c = new Cudnn(library(true));
    MemorySegment d = MemorySegment.ofAddress(0x100);
    // Algo 1, ranked with tensor-core math, is skipped; algo 0 runs with the descriptor's FMA math.
    assertEquals(
        new Cudnn.Algorithm(0, 512),
        c.chooseAlgorithm(d, Cudnn.Pass.BACKWARD_FILTER, d, d, d, d, LIMIT, Cudnn.FMA_MATH));
    assertEquals(java.util.List.of("workspace algo 0"), EVENTS);
  }

  @Test
  void anAlgorithmTheWorkspaceQueryRefusesIsSkippedAndNamed() {
    Cudnn c = new Cudnn(library(false));
    MemorySegment d = MemorySegment.ofAddress(0x100);
    CudaException e =
        assertThrows(
            CudaException.class, () -> c.chooseAlgorithm(d, Cudnn.Pass.FORWARD, d, d, d, d, LIMIT));
    assertTrue(e.getMessage().contains("refused: [algo 1: CUDNN_STATUS_"), e.getMessage());
    assertTrue(e.getMessage().contains("algo 0: CUDNN_STATUS_"), e.getMessage());
  }
}
