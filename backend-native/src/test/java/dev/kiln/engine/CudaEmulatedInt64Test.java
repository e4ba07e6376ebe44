package dev.kiln.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendOptions;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * int64 values beyond 2^53 on the emulated device: a random op's 64-bit key (the api draws keys
 * with every bit set at random, and advances them with int64 adds) and int64 arithmetic give the
 * CPU device's results. The kernels compute integers in int64; an emulation through double loses
 * the low bits, so dropout masks on the emulated device were not the CPU's.
 */
class CudaEmulatedInt64Test {
  private static final long KEY = 0x9E3779B97F4A7C15L;

  private static List<HostTensor> run(Backend backend) {
    GraphBuilder b = new GraphBuilder();
    Value seed = b.input(TensorType.of(DType.INT64, 2));
    Value step = b.constant(HostTensor.of(Shape.of(2), new long[] {3, 1}));
    Value next = b.add(seed, step);
    Value mask = b.randomBernoulli(next, TensorType.of(DType.FLOAT32, 64), 0.5);
    Value uniform = b.randomUniform(seed, TensorType.of(DType.FLOAT32, 16), -1, 1);
    HostTensor in = HostTensor.of(Shape.of(2), new long[] {KEY, 7});
    try (Executable e =
        backend.compile(b.output(next, mask, uniform).build(), CompileOptions.defaults())) {
      return e.runHost(List.of(in));
    }
  }

  @Test
  void keysAndInt64SumsBeyondDoublePrecisionAreExact() {
    List<HostTensor> cpu;
    try (Backend backend = new NativeBackendProvider().open(BackendOptions.defaults())) {
      cpu = run(backend);
    }
    try (Backend backend = CudaTestBackends.emulated()) {
      assertEquals("cuda", backend.defaultDevice().kind());
      List<HostTensor> gpu = run(backend);
      assertEquals(KEY + 3, gpu.get(0).getLong(0), "the key plus 3, exactly");
      assertEquals(cpu.get(0), gpu.get(0));
      assertArrayEquals(doubles(cpu.get(1)), doubles(gpu.get(1)), "the Bernoulli mask");
      assertArrayEquals(doubles(cpu.get(2)), doubles(gpu.get(2)), "the uniform draws");
    }
  }

  private static double[] doubles(HostTensor t) {
    double[] v = new double[t.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = t.getDouble(i);
    }
    return v;
  }
}
