package dev.kiln.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.engine.cuda.driver.Cublas;
import dev.kiln.engine.cuda.driver.CublasLt;
import dev.kiln.engine.cuda.driver.CudaDriver;
import dev.kiln.engine.cuda.driver.CudaLibraries.Library;
import dev.kiln.engine.cuda.driver.Cudnn;
import dev.kiln.engine.cuda.driver.KernelParameters;
import dev.kiln.engine.cuda.driver.Nvrtc;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The driver bindings on a real GPU: init, memory, copies, a hand-written PTX kernel, events,
 * stream capture into a graph, and cuBLAS's sgemm against a CPU product when cuBLAS is found.
 * Skipped, with the reason, where there is no usable CUDA device.
 */
@Tag("gpu")
class CudaSmokeTest {
  private static final int N = 1000;

  private static String ptx() throws IOException {
    try (InputStream in = CudaSmokeTest.class.getResourceAsStream("add_one.ptx")) {
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }
  }

  @Test
  void driverRoundTripKernelEventsGraphAndSgemm() throws IOException {
    CudaDevices.Status status = CudaDevices.shared();
    assumeTrue(status.usable(), () -> "no usable CUDA device: " + status.reason());
    CudaDriver d = status.driver();
    int device = d.device(0);
    MemorySegment context = d.primaryContextRetain(device);
    try {
      d.ctxSetCurrent(context);
      assertTrue(d.memGetInfo().total() > 0);
      MemorySegment stream = d.streamCreate(CudaDriver.STREAM_NON_BLOCKING);
      MemorySegment host = d.memHostAlloc(4L * N, 0);
      long x = d.memAlloc(4L * N);
      long y = d.memAlloc(4L * N);
      MemorySegment module = d.moduleLoadData(ptx());
      MemorySegment start = d.eventCreate(CudaDriver.EVENT_DEFAULT);
      MemorySegment end = d.eventCreate(CudaDriver.EVENT_DEFAULT);
      try (KernelParameters p = new KernelParameters()) {
        float[] expected = new float[N];
        for (int i = 0; i < N; i++) {
          host.setAtIndex(ValueLayout.JAVA_FLOAT, i, i * 0.5f);
          expected[i] = i * 0.5f + 1;
        }
        d.memcpyHtoDAsync(x, host, 4L * N, stream);
        MemorySegment addOne = d.moduleGetFunction(module, "kiln_test_add_one");
        p.pointer(x).i32(N);
        int[] grid = {(N + 255) / 256, 1, 1};
        int[] block = {256, 1, 1};
        d.eventRecord(start, stream);
        d.launchKernel(addOne, grid, block, 0, stream, p);
        d.eventRecord(end, stream);
        d.memcpyDtoDAsync(y, x, 4L * N, stream);
        d.memcpyDtoHAsync(host, y, 4L * N, stream);
        d.streamSynchronize(stream);
        assertArrayEquals(expected, host.toArray(ValueLayout.JAVA_FLOAT));
        assertTrue(d.eventElapsedMillis(start, end) >= 0);

        // The same launch captured into a graph and replayed twice adds 2 more.
        d.streamBeginCapture(stream, CudaDriver.CAPTURE_MODE_THREAD_LOCAL);
        d.launchKernel(addOne, grid, block, 0, stream, p);
        MemorySegment graph = d.streamEndCapture(stream);
        MemorySegment exec = d.graphInstantiate(graph, 0);
        d.graphLaunch(exec, stream);
        d.graphLaunch(exec, stream);
        d.memcpyDtoHAsync(host, x, 4L * N, stream);
        d.streamSynchronize(stream);
        assertEquals(expected[7] + 2, host.getAtIndex(ValueLayout.JAVA_FLOAT, 7));
        d.graphExecDestroy(exec);
        d.graphDestroy(graph);

        d.memsetD32Async(x, Float.floatToRawIntBits(3f), N, stream);
        d.memcpyDtoHAsync(host, x, 4L * N, stream);
        d.ctxSynchronize();
        assertEquals(3f, host.getAtIndex(ValueLayout.JAVA_FLOAT, N - 1));
      }
      sgemm(status, d, stream);
      d.eventDestroy(start);
      d.eventDestroy(end);
      d.moduleUnload(module);
      d.memFree(x);
      d.memFree(y);
      d.memFreeHost(host);
      d.streamDestroy(stream);
    } finally {
      d.primaryContextRelease(device);
    }
  }

  /** Row-major C[m,n] = A[m,k] * B[n,k]^T through cuBLAS, against the CPU. */
  private static void sgemm(CudaDevices.Status status, CudaDriver d, MemorySegment stream) {
    if (!status.library(Library.CUBLAS).map(l -> l.found()).orElse(false)) {
      System.out.println("cuBLAS not found; sgemm skipped: " + status.library(Library.CUBLAS));
      return;
    }
    status
        .library(Library.CUBLAS_LT)
        .filter(l -> l.found())
        .ifPresent(l -> CublasLt.bind(l).version());
    Cublas blas = Cublas.bind(status.library(Library.CUBLAS).get());
    int m = 33;
    int n = 17;
    int k = 65;
    float[] a = new float[m * k];
    float[] b = new float[n * k];
    for (int i = 0; i < a.length; i++) {
      a[i] = (i % 7) - 3;
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (i % 5) - 2;
    }
    float[] expected = new float[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        float s = 0;
        for (int l = 0; l < k; l++) {
          s += a[i * k + l] * b[j * k + l];
        }
        expected[i * n + j] = s;
      }
    }
    MemorySegment handle = blas.create();
    long da = d.memAlloc(4L * a.length);
    long db = d.memAlloc(4L * b.length);
    long dc = d.memAlloc(4L * expected.length);
    MemorySegment host =
        d.memHostAlloc(4L * Math.max(a.length, Math.max(b.length, expected.length)), 0);
    try {
      blas.setStream(handle, stream);
      MemorySegment.copy(a, 0, host, ValueLayout.JAVA_FLOAT, 0, a.length);
      d.memcpyHtoDAsync(da, host, 4L * a.length, stream);
      d.streamSynchronize(stream);
      MemorySegment.copy(b, 0, host, ValueLayout.JAVA_FLOAT, 0, b.length);
      d.memcpyHtoDAsync(db, host, 4L * b.length, stream);
      d.streamSynchronize(stream);
      blas.gemm(handle, false, true, m, n, k, 1f, da, db, 0f, dc);
      d.memcpyDtoHAsync(host, dc, 4L * expected.length, stream);
      d.streamSynchronize(stream);
      float[] c = new float[expected.length];
      MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, 0, c, 0, c.length);
      // Small integers: exact in float32 with default (non-TF32) math.
      assertArrayEquals(expected, c);
    } finally {
      blas.destroy(handle);
      d.memFree(da);
      d.memFree(db);
      d.memFree(dc);
      d.memFreeHost(host);
    }
  }

  /** Runs {@code body(driver, stream)} with device 0's primary context current. */
  private static void onDevice0(BiConsumer<CudaDriver, MemorySegment> body) {
    CudaDevices.Status status = CudaDevices.shared();
    assumeTrue(status.usable(), () -> "no usable CUDA device: " + status.reason());
    CudaDriver d = status.driver();
    int device = d.device(0);
    MemorySegment context = d.primaryContextRetain(device);
    try {
      d.ctxSetCurrent(context);
      MemorySegment stream = d.streamCreate(CudaDriver.STREAM_NON_BLOCKING);
      try {
        body.accept(d, stream);
      } finally {
        d.streamDestroy(stream);
      }
    } finally {
      d.primaryContextRelease(device);
    }
  }

  @Test
  void nvrtcCompilesAKernelTheDriverLoads() {
    CudaDevices.Status status = CudaDevices.shared();
    assumeTrue(status.usable(), () -> "no usable CUDA device: " + status.reason());
    assumeTrue(
        status.library(Library.NVRTC).map(l -> l.found()).orElse(false),
        () -> "NVRTC not found: " + status.library(Library.NVRTC));
    Nvrtc nvrtc = Nvrtc.bind(status.library(Library.NVRTC).get());
    CudaDevices.Info info = status.devices().get(0);
    // The driver JITs PTX forward to newer GPUs; capping keeps the option within older NVRTCs.
    int arch = Math.min(info.major() * 10 + info.minor(), 90);
    String ptx =
        nvrtc.compile(
            "extern \"C\" __global__ void kiln_test_scale(float* x, float a, int n) {"
                + " int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) x[i] *= a; }",
            "kiln_test_scale.cu",
            List.of("--gpu-architecture=compute_" + arch));
    assertTrue(ptx.contains(".entry kiln_test_scale"), ptx);
    onDevice0(
        (d, stream) -> {
          MemorySegment module = d.moduleLoadData(ptx);
          MemorySegment scale = d.moduleGetFunction(module, "kiln_test_scale");
          long x = d.memAlloc(4L * N);
          MemorySegment host = d.memHostAlloc(4L * N, 0);
          try (KernelParameters p = new KernelParameters()) {
            d.memsetD32Async(x, Float.floatToRawIntBits(1.5f), N, stream);
            p.pointer(x).f32(4f).i32(N);
            d.launchKernel(
                scale, new int[] {(N + 127) / 128, 1, 1}, new int[] {128, 1, 1}, 0, stream, p);
            d.memcpyDtoHAsync(host, x, 4L * N, stream);
            d.streamSynchronize(stream);
            assertEquals(6f, host.getAtIndex(ValueLayout.JAVA_FLOAT, N - 1));
          } finally {
            d.memFree(x);
            d.memFreeHost(host);
            d.moduleUnload(module);
          }
        });
  }

  @Test
  void cudnnConvolutionAndMaxPoolingMatchTheCpu() {
    CudaDevices.Status status = CudaDevices.shared();
    assumeTrue(status.usable(), () -> "no usable CUDA device: " + status.reason());
    assumeTrue(
        status.library(Library.CUDNN).map(l -> l.found()).orElse(false),
        () -> "cuDNN not found: " + status.library(Library.CUDNN));
    Cudnn dnn = Cudnn.bind(status.library(Library.CUDNN).get());
    float[] x = new float[16];
    for (int i = 0; i < x.length; i++) {
      x[i] = i - 5;
    }
    float[] w = {1, 0, -1, 2, 1, 0, 0, -2, 1};
    // 3x3 cross-correlation with padding 1 on a 4x4 image, and 2x2 max pooling with stride 2.
    float[] conv = new float[16];
    for (int r = 0; r < 4; r++) {
      for (int c = 0; c < 4; c++) {
        float s = 0;
        for (int i = 0; i < 3; i++) {
          for (int j = 0; j < 3; j++) {
            int rr = r + i - 1;
            int cc = c + j - 1;
            if (rr >= 0 && rr < 4 && cc >= 0 && cc < 4) {
              s += x[rr * 4 + cc] * w[i * 3 + j];
            }
          }
        }
        conv[r * 4 + c] = s;
      }
    }
    float[] pooled = {x[5], x[7], x[13], x[15]};
    onDevice0(
        (d, stream) -> {
          MemorySegment handle = dnn.create();
          MemorySegment host = d.memHostAlloc(4L * 16, 0);
          long dx = d.memAlloc(4L * 16);
          long dw = d.memAlloc(4L * 9);
          long dy = d.memAlloc(4L * 16);
          long dp = d.memAlloc(4L * 4);
          MemorySegment xd =
              dnn.tensorDescriptor(
                  Cudnn.DATA_FLOAT, new int[] {1, 1, 4, 4}, new int[] {16, 16, 4, 1});
          MemorySegment pd =
              dnn.tensorDescriptor(
                  Cudnn.DATA_FLOAT, new int[] {1, 1, 2, 2}, new int[] {4, 4, 2, 1});
          MemorySegment wd =
              dnn.filterDescriptor(Cudnn.DATA_FLOAT, Cudnn.TENSOR_NCHW, new int[] {1, 1, 3, 3});
          MemorySegment cd =
              dnn.convolutionDescriptor(
                  new int[] {1, 1},
                  new int[] {1, 1},
                  new int[] {1, 1},
                  1,
                  Cudnn.DATA_FLOAT,
                  Cudnn.DEFAULT_MATH);
          MemorySegment pool =
              dnn.poolingDescriptor(
                  Cudnn.POOLING_MAX, new int[] {2, 2}, new int[] {0, 0}, new int[] {2, 2});
          try {
            dnn.setStream(handle, stream);
            MemorySegment.copy(x, 0, host, ValueLayout.JAVA_FLOAT, 0, 16);
            d.memcpyHtoDAsync(dx, host, 4L * 16, stream);
            d.streamSynchronize(stream);
            MemorySegment.copy(w, 0, host, ValueLayout.JAVA_FLOAT, 0, 9);
            d.memcpyHtoDAsync(dw, host, 4L * 9, stream);
            d.streamSynchronize(stream);
            Cudnn.Algorithm algo =
                dnn.chooseAlgorithm(handle, Cudnn.Pass.FORWARD, xd, wd, cd, xd, 64L << 20);
            long workspace = algo.workspaceBytes() > 0 ? d.memAlloc(algo.workspaceBytes()) : 0;
            try {
              dnn.convolution(
                  handle,
                  Cudnn.Pass.FORWARD,
                  1f,
                  xd,
                  dx,
                  wd,
                  dw,
                  cd,
                  algo,
                  workspace,
                  algo.workspaceBytes(),
                  0f,
                  xd,
                  dy);
            } finally {
              if (workspace != 0) {
                d.streamSynchronize(stream);
                d.memFree(workspace);
              }
            }
            dnn.poolingForward(handle, pool, 1f, xd, dx, 0f, pd, dp);
            d.memcpyDtoHAsync(host, dy, 4L * 16, stream);
            d.streamSynchronize(stream);
            assertArrayEquals(conv, host.asSlice(0, 64).toArray(ValueLayout.JAVA_FLOAT), 1e-5f);
            d.memcpyDtoHAsync(host, dp, 4L * 4, stream);
            d.streamSynchronize(stream);
            assertArrayEquals(pooled, host.asSlice(0, 16).toArray(ValueLayout.JAVA_FLOAT));
          } finally {
            dnn.destroyPoolingDescriptor(pool);
            dnn.destroyConvolutionDescriptor(cd);
            dnn.destroyFilterDescriptor(wd);
            dnn.destroyTensorDescriptor(pd);
            dnn.destroyTensorDescriptor(xd);
            dnn.destroy(handle);
            for (long a : new long[] {dx, dw, dy, dp}) {
              d.memFree(a);
            }
            d.memFreeHost(host);
          }
        });
  }
}
