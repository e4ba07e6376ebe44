package dev.kiln.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.engine.cuda.driver.Cublas;
import dev.kiln.engine.cuda.driver.CublasLt;
import dev.kiln.engine.cuda.driver.CudaDriver;
import dev.kiln.engine.cuda.driver.CudaLibraries.Library;
import dev.kiln.engine.cuda.driver.KernelParameters;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
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
}
