package dev.kiln.engine.cuda.driver;

import static dev.kiln.engine.cuda.driver.Calls.named;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.kiln.engine.cuda.driver.Status.Pointer;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.function.Function;

/**
 * cuBLAS ({@code libcublas.so}) through FFM: handles, streams, math mode and the GEMMs Kiln uses.
 * Present only when the library is found. cuBLAS is column-major; {@link #gemm} and {@link
 * #gemmStridedBatched} take row-major operands and swap them (see {@link RowMajorGemm}). Scalars
 * ({@code alpha}, {@code beta}) are passed from the host (the default pointer mode); matrices are
 * device addresses.
 */
public final class Cublas {
  /** {@code CUBLAS_OP_N}. */
  public static final int OP_N = 0;

  /** {@code CUBLAS_OP_T}. */
  public static final int OP_T = 1;

  /** {@code CUBLAS_DEFAULT_MATH}. */
  public static final int DEFAULT_MATH = 0;

  /** {@code CUBLAS_TF32_TENSOR_OP_MATH}: float32 GEMMs may round inputs to TF32. */
  public static final int TF32_TENSOR_OP_MATH = 3;

  /** {@code CUDA_R_32F}. */
  public static final int R_32F = 0;

  /** {@code CUDA_R_16F}. */
  public static final int R_16F = 2;

  /** {@code CUDA_R_16BF}. */
  public static final int R_16BF = 14;

  /** {@code CUBLAS_COMPUTE_32F}. */
  public static final int COMPUTE_32F = 68;

  /** {@code CUBLAS_COMPUTE_32F_FAST_TF32}. */
  public static final int COMPUTE_32F_FAST_TF32 = 77;

  /** {@code CUBLAS_GEMM_DEFAULT}. */
  public static final int GEMM_DEFAULT = -1;

  static final CFunction CREATE = CFunction.status("cublasCreate_v2", ADDRESS);
  static final CFunction DESTROY = CFunction.status("cublasDestroy_v2", ADDRESS);
  static final CFunction SET_STREAM = CFunction.status("cublasSetStream_v2", ADDRESS, ADDRESS);
  static final CFunction SET_MATH_MODE = CFunction.status("cublasSetMathMode", ADDRESS, JAVA_INT);
  // Optional: a cuBLAS without it still runs GEMMs, only not under CUDA graph capture.
  static final CFunction SET_WORKSPACE =
      CFunction.status("cublasSetWorkspace_v2", ADDRESS, ADDRESS, JAVA_LONG).optionalFn();
  static final CFunction SGEMM =
      CFunction.status(
          "cublasSgemm_v2",
          ADDRESS,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT,
          ADDRESS,
          ADDRESS,
          JAVA_INT,
          ADDRESS,
          JAVA_INT,
          ADDRESS,
          ADDRESS,
          JAVA_INT);
  static final CFunction SGEMM_STRIDED_BATCHED =
      CFunction.status(
          "cublasSgemmStridedBatched",
          ADDRESS,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT,
          ADDRESS,
          ADDRESS,
          JAVA_INT,
          JAVA_LONG,
          ADDRESS,
          JAVA_INT,
          JAVA_LONG,
          ADDRESS,
          ADDRESS,
          JAVA_INT,
          JAVA_LONG,
          JAVA_INT);
  static final CFunction GEMM_EX =
      CFunction.status(
          "cublasGemmEx",
          ADDRESS,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT,
          ADDRESS,
          ADDRESS,
          JAVA_INT,
          JAVA_INT,
          ADDRESS,
          JAVA_INT,
          JAVA_INT,
          ADDRESS,
          ADDRESS,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT);
  static final CFunction GEMM_STRIDED_BATCHED_EX =
      CFunction.status(
          "cublasGemmStridedBatchedEx",
          ADDRESS,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT,
          ADDRESS,
          ADDRESS,
          JAVA_INT,
          JAVA_INT,
          JAVA_LONG,
          ADDRESS,
          JAVA_INT,
          JAVA_INT,
          JAVA_LONG,
          ADDRESS,
          ADDRESS,
          JAVA_INT,
          JAVA_INT,
          JAVA_LONG,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT);
  static final CFunction GET_STATUS_NAME =
      new CFunction(
          "cublasGetStatusName", List.of(), FunctionDescriptor.of(ADDRESS, JAVA_INT), true);
  static final CFunction GET_STATUS_STRING =
      new CFunction(
          "cublasGetStatusString", List.of(), FunctionDescriptor.of(ADDRESS, JAVA_INT), true);

  /** Every function this class binds. */
  static final List<CFunction> FUNCTIONS =
      List.of(
          CREATE,
          DESTROY,
          SET_STREAM,
          SET_MATH_MODE,
          SET_WORKSPACE,
          SGEMM,
          SGEMM_STRIDED_BATCHED,
          GEMM_EX,
          GEMM_STRIDED_BATCHED_EX,
          GET_STATUS_NAME,
          GET_STATUS_STRING);

  private final MethodHandle create;
  private final MethodHandle destroy;
  private final MethodHandle setStream;
  private final MethodHandle setMathMode;
  private final MethodHandle setWorkspace;
  private final MethodHandle sgemm;
  private final MethodHandle sgemmStridedBatched;
  private final MethodHandle gemmEx;
  private final MethodHandle gemmStridedBatchedEx;
  private final MethodHandle getStatusName;
  private final MethodHandle getStatusString;
  private final Calls calls = new Calls(this::check);

  Cublas(Function<CFunction, MethodHandle> resolve) {
    create = resolve.apply(CREATE);
    destroy = resolve.apply(DESTROY);
    setStream = resolve.apply(SET_STREAM);
    setMathMode = resolve.apply(SET_MATH_MODE);
    setWorkspace = resolve.apply(SET_WORKSPACE);
    sgemm = resolve.apply(SGEMM);
    sgemmStridedBatched = resolve.apply(SGEMM_STRIDED_BATCHED);
    gemmEx = resolve.apply(GEMM_EX);
    gemmStridedBatchedEx = resolve.apply(GEMM_STRIDED_BATCHED_EX);
    getStatusName = resolve.apply(GET_STATUS_NAME);
    getStatusString = resolve.apply(GET_STATUS_STRING);
  }

  /**
   * Binds the cuBLAS that {@code located} loaded (load cuBLASLt first: cuBLAS links to it).
   *
   * @throws CudaException if it was not found or lacks a function Kiln needs
   */
  public static Cublas bind(CudaLibraries.Located located) {
    return new Cublas(CFunction.resolver("cuBLAS", located));
  }

  private void check(int code, CFunction f, Object... args) {
    if (code != 0) {
      throw Status.failure(
          "cuBLAS",
          f.symbol(),
          args,
          code,
          StatusNames.CUBLAS,
          Status.describer(getStatusName),
          Status.describer(getStatusString));
    }
  }

  /** A new cuBLAS handle for the current context's device. */
  public MemorySegment create() {
    return calls.pointerOut(create, CREATE, named());
  }

  /** Destroys a handle. */
  public void destroy(MemorySegment handle) {
    calls.run(destroy, DESTROY, named("handle", handle), handle);
  }

  /** Runs the handle's work on {@code stream}. */
  public void setStream(MemorySegment handle, MemorySegment stream) {
    calls.run(setStream, SET_STREAM, named("handle", handle, "streamId", stream), handle, stream);
  }

  /** Whether this cuBLAS has {@code cublasSetWorkspace} (11.4 and newer). */
  public boolean canSetWorkspace() {
    return setWorkspace != null;
  }

  /**
   * Gives the handle {@code bytes} of device memory at {@code address} as its workspace, instead of
   * the pool cuBLAS allocates from itself. Call it after {@link #setStream}, which resets the
   * workspace to the default pool.
   *
   * @throws IllegalStateException when this cuBLAS lacks the function ({@link #canSetWorkspace})
   */
  public void setWorkspace(MemorySegment handle, long address, long bytes) {
    if (setWorkspace == null) {
      throw new IllegalStateException("this cuBLAS has no cublasSetWorkspace_v2 (11.4 and newer)");
    }
    calls.run(
        setWorkspace,
        SET_WORKSPACE,
        named("handle", handle, "workspace", new Pointer(address), "workspaceSizeInBytes", bytes),
        handle,
        MemorySegment.ofAddress(address),
        bytes);
  }

  /** {@link #DEFAULT_MATH} or {@link #TF32_TENSOR_OP_MATH}. */
  public void setMathMode(MemorySegment handle, int mode) {
    calls.run(setMathMode, SET_MATH_MODE, named("handle", handle, "mode", mode), handle, mode);
  }

  /** Column-major {@code cublasSgemm_v2}, as cuBLAS defines it. */
  public void sgemm(
      MemorySegment handle,
      int transa,
      int transb,
      int m,
      int n,
      int k,
      float alpha,
      long a,
      int lda,
      long b,
      int ldb,
      float beta,
      long c,
      int ldc) {
    try (Arena arena = Arena.ofConfined()) {
      int r;
      try {
        r =
            (int)
                sgemm.invokeExact(
                    handle,
                    transa,
                    transb,
                    m,
                    n,
                    k,
                    arena.allocateFrom(JAVA_FLOAT, alpha),
                    MemorySegment.ofAddress(a),
                    lda,
                    MemorySegment.ofAddress(b),
                    ldb,
                    arena.allocateFrom(JAVA_FLOAT, beta),
                    MemorySegment.ofAddress(c),
                    ldc);
      } catch (Throwable t) {
        throw CFunction.unexpected(SGEMM, t);
      }
      check(
          r,
          SGEMM,
          "transa",
          transa,
          "transb",
          transb,
          "m",
          m,
          "n",
          n,
          "k",
          k,
          "alpha",
          alpha,
          "A",
          new Pointer(a),
          "lda",
          lda,
          "B",
          new Pointer(b),
          "ldb",
          ldb,
          "beta",
          beta,
          "C",
          new Pointer(c),
          "ldc",
          ldc);
    }
  }

  /** Column-major {@code cublasSgemmStridedBatched}, as cuBLAS defines it. */
  public void sgemmStridedBatched(
      MemorySegment handle,
      int transa,
      int transb,
      int m,
      int n,
      int k,
      float alpha,
      long a,
      int lda,
      long strideA,
      long b,
      int ldb,
      long strideB,
      float beta,
      long c,
      int ldc,
      long strideC,
      int batchCount) {
    try (Arena arena = Arena.ofConfined()) {
      int r;
      try {
        r =
            (int)
                sgemmStridedBatched.invokeExact(
                    handle,
                    transa,
                    transb,
                    m,
                    n,
                    k,
                    arena.allocateFrom(JAVA_FLOAT, alpha),
                    MemorySegment.ofAddress(a),
                    lda,
                    strideA,
                    MemorySegment.ofAddress(b),
                    ldb,
                    strideB,
                    arena.allocateFrom(JAVA_FLOAT, beta),
                    MemorySegment.ofAddress(c),
                    ldc,
                    strideC,
                    batchCount);
      } catch (Throwable t) {
        throw CFunction.unexpected(SGEMM_STRIDED_BATCHED, t);
      }
      check(
          r,
          SGEMM_STRIDED_BATCHED,
          "transa",
          transa,
          "transb",
          transb,
          "m",
          m,
          "n",
          n,
          "k",
          k,
          "A",
          new Pointer(a),
          "lda",
          lda,
          "strideA",
          strideA,
          "B",
          new Pointer(b),
          "ldb",
          ldb,
          "strideB",
          strideB,
          "C",
          new Pointer(c),
          "ldc",
          ldc,
          "strideC",
          strideC,
          "batchCount",
          batchCount);
    }
  }

  /**
   * Column-major {@code cublasGemmEx} with float32 scalars: inputs of type {@code abType} ({@link
   * #R_16BF}, {@link #R_16F} or {@link #R_32F}), output of type {@code cType}, computed as {@code
   * computeType} ({@link #COMPUTE_32F}, or {@link #COMPUTE_32F_FAST_TF32}).
   */
  public void gemmEx(
      MemorySegment handle,
      int transa,
      int transb,
      int m,
      int n,
      int k,
      float alpha,
      long a,
      int abType,
      int lda,
      long b,
      int ldb,
      float beta,
      long c,
      int cType,
      int ldc,
      int computeType) {
    try (Arena arena = Arena.ofConfined()) {
      int r;
      try {
        r =
            (int)
                gemmEx.invokeExact(
                    handle,
                    transa,
                    transb,
                    m,
                    n,
                    k,
                    arena.allocateFrom(JAVA_FLOAT, alpha),
                    MemorySegment.ofAddress(a),
                    abType,
                    lda,
                    MemorySegment.ofAddress(b),
                    abType,
                    ldb,
                    arena.allocateFrom(JAVA_FLOAT, beta),
                    MemorySegment.ofAddress(c),
                    cType,
                    ldc,
                    computeType,
                    GEMM_DEFAULT);
      } catch (Throwable t) {
        throw CFunction.unexpected(GEMM_EX, t);
      }
      check(
          r,
          GEMM_EX,
          "transa",
          transa,
          "transb",
          transb,
          "m",
          m,
          "n",
          n,
          "k",
          k,
          "A",
          new Pointer(a),
          "Atype",
          abType,
          "lda",
          lda,
          "B",
          new Pointer(b),
          "ldb",
          ldb,
          "C",
          new Pointer(c),
          "Ctype",
          cType,
          "ldc",
          ldc,
          "computeType",
          computeType);
    }
  }

  /**
   * Column-major {@code cublasGemmStridedBatchedEx} with float32 scalars: {@link #gemmEx} over
   * {@code batchCount} matrices of each operand, {@code strideA}, {@code strideB} and {@code
   * strideC} elements apart.
   */
  public void gemmStridedBatchedEx(
      MemorySegment handle,
      int transa,
      int transb,
      int m,
      int n,
      int k,
      float alpha,
      long a,
      int abType,
      int lda,
      long strideA,
      long b,
      int ldb,
      long strideB,
      float beta,
      long c,
      int cType,
      int ldc,
      long strideC,
      int batchCount,
      int computeType) {
    try (Arena arena = Arena.ofConfined()) {
      int r;
      try {
        r =
            (int)
                gemmStridedBatchedEx.invokeExact(
                    handle,
                    transa,
                    transb,
                    m,
                    n,
                    k,
                    arena.allocateFrom(JAVA_FLOAT, alpha),
                    MemorySegment.ofAddress(a),
                    abType,
                    lda,
                    strideA,
                    MemorySegment.ofAddress(b),
                    abType,
                    ldb,
                    strideB,
                    arena.allocateFrom(JAVA_FLOAT, beta),
                    MemorySegment.ofAddress(c),
                    cType,
                    ldc,
                    strideC,
                    batchCount,
                    computeType,
                    GEMM_DEFAULT);
      } catch (Throwable t) {
        throw CFunction.unexpected(GEMM_STRIDED_BATCHED_EX, t);
      }
      check(
          r,
          GEMM_STRIDED_BATCHED_EX,
          "transa",
          transa,
          "transb",
          transb,
          "m",
          m,
          "n",
          n,
          "k",
          k,
          "A",
          new Pointer(a),
          "Atype",
          abType,
          "lda",
          lda,
          "strideA",
          strideA,
          "B",
          new Pointer(b),
          "ldb",
          ldb,
          "strideB",
          strideB,
          "C",
          new Pointer(c),
          "Ctype",
          cType,
          "ldc",
          ldc,
          "strideC",
          strideC,
          "batchCount",
          batchCount,
          "computeType",
          computeType);
    }
  }

  /**
   * Row-major float32 {@code C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C}, contiguous
   * operands ({@code A} stored {@code [k,m]} when {@code transA}, {@code B} {@code [n,k]} when
   * {@code transB}).
   */
  public void gemm(
      MemorySegment handle,
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      long a,
      long b,
      float beta,
      long c) {
    RowMajorGemm g = RowMajorGemm.of(transA, transB, m, n, k);
    sgemm(
        handle,
        g.opFirst(),
        g.opSecond(),
        g.m(),
        g.n(),
        g.k(),
        alpha,
        b,
        g.ldFirst(),
        a,
        g.ldSecond(),
        beta,
        c,
        g.ldc());
  }

  /** {@link #gemm} over {@code batch} contiguous matrices of each operand. */
  public void gemmStridedBatched(
      MemorySegment handle,
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      long a,
      long b,
      float beta,
      long c,
      int batch) {
    RowMajorGemm g = RowMajorGemm.of(transA, transB, m, n, k);
    sgemmStridedBatched(
        handle,
        g.opFirst(),
        g.opSecond(),
        g.m(),
        g.n(),
        g.k(),
        alpha,
        b,
        g.ldFirst(),
        g.strideFirst(),
        a,
        g.ldSecond(),
        g.strideSecond(),
        beta,
        c,
        g.ldc(),
        g.strideC(),
        batch);
  }
}
