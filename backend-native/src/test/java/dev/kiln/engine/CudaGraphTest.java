package dev.kiln.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.kiln.engine.cuda.FakeCudaRuntime;
import dev.kiln.engine.cuda.driver.CudaFailures;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.autodiff.Autodiff;
import dev.kiln.spi.backend.BackendOptions;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.DeviceTensor;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * CUDA graph capture of whole steps on a fake device that records a capture and replays it on each
 * graph launch, and that fails a test on anything a real device refuses under capture (allocating,
 * freeing, waiting, host copies): a captured step gives bit for bit what the launch-by-launch one
 * gives, runs as one graph launch, reads each call's inputs, follows variables that move, and gives
 * way to the launch-by-launch path when capture is off or refused.
 */
class CudaGraphTest {
  private FakeCudaRuntime device;

  private NativeBackend backend(UnaryOperator<FakeCudaRuntime> setUp) {
    return new NativeBackend(
        BackendOptions.defaults(),
        new NativeDevices(() -> CudaExecutableTest.ONE_GPU, "cuda:0", "the test"),
        d -> {
          device = setUp.apply(new FakeCudaRuntime(1L << 30, true));
          return device;
        });
  }

  private NativeBackend backend() {
    return backend(f -> f);
  }

  private static HostTensor random(TensorType t, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    HostTensor h = HostTensor.zeros(t.dtype(), t.shape());
    for (int i = 0; i < h.size(); i++) {
      h.setDouble(i, r.nextDouble() * 2 - 1);
    }
    return h;
  }

  private static TensorType f32(int... shape) {
    return TensorType.of(DType.FLOAT32, shape);
  }

  private static CudaExecutable compile(NativeBackend b, Graph g) {
    return (CudaExecutable) b.compile(g, CompileOptions.defaults());
  }

  private static long count(List<String> events, String prefix) {
    return events.stream().filter(e -> e.startsWith(prefix)).count();
  }

  @Test
  void trainingWithGraphsGivesBitForBitTheLossesAndWeightsWithout() {
    List<Double> plain;
    HostTensor[] plainWeights;
    try (NativeBackend b = backend(FakeCudaRuntime::withoutGraphs)) {
      plain = CudaExecutableTest.train(b, 12);
      plainWeights = weights(b);
      assertEquals(0, device.graphLaunches);
    }
    try (NativeBackend b = backend()) {
      List<Double> captured = CudaExecutableTest.train(b, 12);
      assertEquals(plain, captured, "the losses, exactly");
      HostTensor[] w = weights(b);
      for (int i = 0; i < w.length; i++) {
        assertArrayEquals(plainWeights[i].toFloatArray(), w[i].toFloatArray(), "weight " + i);
      }
      assertEquals(1, device.captures);
      assertEquals(11, device.graphLaunches, "every step after the first is one graph launch");
    }
  }

  private static HostTensor[] weights(NativeBackend b) {
    return new HostTensor[] {
      b.variable("w1").orElseThrow().read(),
      b.variable("b1").orElseThrow().read(),
      b.variable("w2").orElseThrow().read()
    };
  }

  /** y = x W + c, W and c variables; outputs y, x itself and W (read before its update W + 1). */
  private static Graph affineWithUpdate() {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(f32(4, 6));
    Value w = b.variable("w", f32(6, 3));
    Value c = b.variable("c", f32(3));
    Value y = b.add(b.matmul(x, w), c);
    return b.update("w", b.add(w, b.scalar(1, DType.FLOAT32))).output(y, x, w).build();
  }

  private static double[] affine(HostTensor x, double[] w, double[] c) {
    double[] y = new double[4 * 3];
    for (int i = 0; i < 4; i++) {
      for (int j = 0; j < 3; j++) {
        double s = c[j];
        for (int k = 0; k < 6; k++) {
          s += x.getDouble(i * 6 + k) * w[k * 3 + j];
        }
        y[i * 3 + j] = s;
      }
    }
    return y;
  }

  private static void assertClose(double[] expected, HostTensor actual, String what) {
    assertEquals(expected.length, actual.size(), what);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual.getDouble(i), 1e-5, what + "[" + i + "]");
    }
  }

  @Test
  void afterTheWarmUpEachRunIsOneGraphLaunchOnThatCallsInputs() {
    try (NativeBackend b = backend()) {
      HostTensor w0 = random(f32(6, 3), 1);
      b.createVariable("w", w0);
      b.createVariable("c", random(f32(3), 2));
      double[] w = w0.toDoubleArray();
      double[] c = b.variable("c").orElseThrow().read().toDoubleArray();
      try (CudaExecutable e = compile(b, affineWithUpdate())) {
        for (int call = 0; call < 5; call++) {
          HostTensor xh = random(f32(4, 6), 10 + call);
          DeviceTensor x = b.upload(xh);
          device.events.clear();
          List<DeviceTensor> out = e.run(List.of(x));
          List<String> events = List.copyOf(device.events);
          assertEquals(call == 0 ? 0 : 1, count(events, "graph launch"), "call " + call);
          assertEquals(call == 1 ? 1 : 0, count(events, "begin capture"), "call " + call);
          if (call >= 2) {
            assertEquals(0, count(events, "launch "), "no kernel launched alone: " + events);
            assertEquals(0, count(events, "alloc"), "the outputs come from the cache: " + events);
          }
          assertClose(affine(xh, w, c), b.download(out.get(0)), "y of call " + call);
          assertClose(xh.toDoubleArray(), b.download(out.get(1)), "x of call " + call);
          assertClose(w, b.download(out.get(2)), "w before its update, call " + call);
          for (int i = 0; i < w.length; i++) {
            w[i] += 1;
          }
          assertClose(w, b.variable("w").orElseThrow().read(), "w after call " + call);
          out.forEach(DeviceTensor::close);
          x.close();
        }
        assertEquals(1, e.captures());
        assertEquals(4, e.graphLaunches());
      }
    }
  }

  @Test
  void aVariableThatMovesIsReadAndWrittenWhereItIsNowAndTheStepRecaptured() {
    try (NativeBackend b = backend()) {
      b.createVariable("w", random(f32(6, 3), 1));
      b.createVariable("c", random(f32(3), 2));
      HostTensor xh = random(f32(4, 6), 3);
      DeviceTensor x = b.upload(xh);
      try (CudaExecutable e = compile(b, affineWithUpdate())) {
        for (int i = 0; i < 3; i++) {
          e.run(List.of(x)).forEach(DeviceTensor::close);
        }
        assertEquals(1, e.captures());
        long before = b.cudaVariable("w", b.cudaPlace(b.defaultDevice())).address();
        // Hold the freed block, so the new variable lands elsewhere.
        b.deleteVariable("w");
        DeviceTensor hog = b.upload(HostTensor.zeros(DType.FLOAT32, f32(6, 3).shape()));
        HostTensor moved = random(f32(6, 3), 7);
        b.createVariable("w", moved);
        long after = b.cudaVariable("w", b.cudaPlace(b.defaultDevice())).address();
        assertNotEquals(before, after, "the test needs the variable to move");
        double[] w = moved.toDoubleArray();
        double[] c = b.variable("c").orElseThrow().read().toDoubleArray();
        for (int call = 0; call < 3; call++) {
          List<DeviceTensor> out = e.run(List.of(x));
          assertClose(affine(xh, w, c), b.download(out.get(0)), "y after the move, call " + call);
          for (int i = 0; i < w.length; i++) {
            w[i] += 1;
          }
          assertClose(w, b.variable("w").orElseThrow().read(), "w after call " + call);
          out.forEach(DeviceTensor::close);
        }
        assertClose(new double[18], b.download(hog), "the old place is left alone");
        assertEquals(2, e.captures(), "captured again once the variable stayed put");
        assertEquals(1, device.liveGraphs(), "the stale graph is destroyed");
        hog.close();
      }
      x.close();
    }
  }

  /** One SGD step of an RNN, h' = tanh(z_t W + h U), through a scan; outputs the loss. */
  private static Graph rnnStep() {
    GraphBuilder body = new GraphBuilder();
    Value h = body.input(f32(3, 5));
    Value z = body.input(f32(3, 4));
    Value wIn = body.input(f32(4, 5));
    Value uIn = body.input(f32(5, 5));
    Value next = body.tanh(body.add(body.matmul(z, wIn), body.matmul(h, uIn)));
    Graph bodyGraph = body.output(next, next).build();
    GraphBuilder b = new GraphBuilder();
    Value zs = b.input(f32(6, 3, 4));
    Value h0 = b.input(f32(3, 5));
    Value w = b.variable("w", f32(4, 5));
    Value u = b.variable("u", f32(5, 5));
    List<Value> r = b.scan(bodyGraph, List.of(h0), List.of(zs), List.of(w, u), false);
    Value loss = b.reduceMean(b.square(r.get(1)), new int[] {0, 1, 2}, false);
    List<Value> g = Autodiff.gradients(b, loss, List.of(w, u));
    Value lr = b.scalar(0.3, DType.FLOAT32);
    return b.update("w", b.sub(w, b.mul(lr, g.get(0))))
        .update("u", b.sub(u, b.mul(lr, g.get(1))))
        .output(loss)
        .build();
  }

  private List<Double> trainRnn(NativeBackend b, int steps) {
    b.createVariable("w", random(f32(4, 5), 1));
    b.createVariable("u", random(f32(5, 5), 2));
    List<Double> losses = new ArrayList<>();
    try (Executable e = b.compile(rnnStep(), CompileOptions.defaults())) {
      for (int s = 0; s < steps; s++) {
        // A new batch each step.
        HostTensor zs = random(f32(6, 3, 4), 100 + s);
        losses.add(e.runHost(List.of(zs, random(f32(3, 5), 200 + s))).get(0).getDouble(0));
      }
    }
    return losses;
  }

  @Test
  void scansRunCapturedAsTheyRunLaunchByLaunch() {
    List<Double> plain;
    HostTensor u;
    try (NativeBackend b = backend(FakeCudaRuntime::withoutGraphs)) {
      plain = trainRnn(b, 6);
      u = b.variable("u").orElseThrow().read();
    }
    try (NativeBackend b = backend()) {
      assertEquals(plain, trainRnn(b, 6));
      assertArrayEquals(u.toFloatArray(), b.variable("u").orElseThrow().read().toFloatArray());
      assertEquals(1, device.captures);
      assertEquals(5, device.graphLaunches);
      assertTrue(plain.get(5) < plain.get(0), "the loss falls: " + plain);
    }
  }

  @Test
  void closingTheExecutableDestroysItsGraph() {
    try (NativeBackend b = backend()) {
      b.createVariable("w", random(f32(6, 3), 1));
      b.createVariable("c", random(f32(3), 2));
      DeviceTensor x = b.upload(random(f32(4, 6), 3));
      CudaExecutable e = compile(b, affineWithUpdate());
      for (int i = 0; i < 3; i++) {
        e.run(List.of(x)).forEach(DeviceTensor::close);
      }
      assertEquals(1, device.liveGraphs());
      e.close();
      assertEquals(0, device.liveGraphs());
      e.close();
      x.close();
    }
  }

  @Test
  void theKillSwitchRunsEveryStepLaunchByLaunch() {
    String old = System.getProperty("kiln.cuda.graphs");
    try (NativeBackend b = backend()) {
      System.setProperty("kiln.cuda.graphs", "false");
      CudaExecutableTest.train(b, 4);
      assertEquals(0, device.captures);
      assertEquals(0, device.graphLaunches);
      System.setProperty("kiln.cuda.graphs", "sometimes");
      IllegalArgumentException bad =
          assertThrows(IllegalArgumentException.class, () -> CudaExecutableTest.train(b, 1));
      assertTrue(bad.getMessage().contains("kiln.cuda.graphs"), bad.getMessage());
      assertTrue(bad.getMessage().contains("sometimes"), bad.getMessage());
    } finally {
      if (old == null) {
        System.clearProperty("kiln.cuda.graphs");
      } else {
        System.setProperty("kiln.cuda.graphs", old);
      }
    }
  }

  @Test
  void aRefusedCaptureIsLoggedAndTheStepsRunLaunchByLaunch() {
    Logger log = (Logger) LoggerFactory.getLogger(CudaExecutable.class);
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.start();
    log.addAppender(seen);
    List<Double> plain;
    try (NativeBackend b = backend(FakeCudaRuntime::withoutGraphs)) {
      plain = CudaExecutableTest.train(b, 5);
    }
    try (NativeBackend b =
        backend(
            f ->
                f.failCaptures(
                    CudaFailures.of(
                        "cuStreamEndCapture", 901, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED")))) {
      assertEquals(plain, CudaExecutableTest.train(b, 5), "the steps still run");
      assertEquals(0, device.graphLaunches);
      assertEquals(1, count(device.events, "begin capture"), "tried once");
      assertEquals(0, device.liveGraphs());
      List<ILoggingEvent> warnings =
          seen.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
      assertEquals(1, warnings.size(), seen.list.toString());
      assertTrue(
          warnings.get(0).getFormattedMessage().contains("CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"),
          warnings.get(0).getFormattedMessage());
    } finally {
      log.detachAppender(seen);
    }
  }

  @Test
  void aCaptureTheRuntimeRefusesItselfIsLoggedAndTheStepsRunLaunchByLaunch() {
    List<Double> plain;
    try (NativeBackend b = backend(FakeCudaRuntime::withoutGraphs)) {
      plain = CudaExecutableTest.train(b, 4);
    }
    // What CudaDriverRuntime throws for a call that is illegal under capture.
    try (NativeBackend b =
        backend(
            f ->
                f.failCaptures(
                    new IllegalStateException(
                        "an upload on cuda:0 while its stream is captured into a graph")))) {
      assertEquals(plain, CudaExecutableTest.train(b, 4), "the steps still run");
      assertEquals(0, device.graphLaunches);
      assertEquals(1, count(device.events, "begin capture"), "tried once");
      assertEquals(0, device.liveGraphs());
    }
  }

  @Test
  void aDeviceWithoutGraphsRunsLaunchByLaunch() {
    try (NativeBackend b = backend(FakeCudaRuntime::withoutGraphs)) {
      b.createVariable("w", random(f32(6, 3), 1));
      b.createVariable("c", random(f32(3), 2));
      DeviceTensor x = b.upload(random(f32(4, 6), 3));
      try (CudaExecutable e = compile(b, affineWithUpdate())) {
        for (int i = 0; i < 3; i++) {
          e.run(List.of(x)).forEach(DeviceTensor::close);
        }
        assertEquals(0, e.captures());
        assertNull(e.graphProblem());
      }
      x.close();
    }
  }

  @Test
  void theFakeRefusesWhatARealDeviceRefusesUnderCapture() {
    FakeCudaRuntime f = new FakeCudaRuntime(1L << 20);
    long at = f.allocate(64);
    for (Runnable illegal :
        List.<Runnable>of(
            () -> f.allocate(64),
            () -> f.free(at),
            f::synchronize,
            () -> f.copyToHost(at, java.lang.foreign.MemorySegment.ofArray(new byte[64]), 64),
            () -> f.copyToDevice(java.lang.foreign.MemorySegment.ofArray(new byte[64]), at, 64))) {
      assertThrows(AssertionError.class, () -> f.capture(illegal));
    }
    long g = f.capture(() -> f.copyOnDevice(at, at, 64));
    f.launchGraph(g);
    f.destroyGraph(g);
    assertThrows(AssertionError.class, () -> f.launchGraph(g), "a destroyed graph");
  }
}
