package dev.kiln.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.backend.BackendOptions;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Results do not depend on what else uses the CPU pool: a run made while the pool is busy (here
 * from inside one of its own chunks, as a second thread's run would be) gives the same bits as a
 * run alone.
 */
class ConcurrencyTest {

  private static HostTensor random(int rows, int cols, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    HostTensor t = HostTensor.zeros(DType.FLOAT32, Shape.of(rows, cols));
    for (int i = 0; i < t.size(); i++) {
      t.setDouble(i, r.nextDouble() * 2 - 1);
    }
    return t;
  }

  @Test
  void aRunOnABusyPoolGivesTheSameBitsAsARunAlone() {
    try (NativeBackend backend =
        (NativeBackend) new NativeBackendProvider().open(BackendOptions.defaults())) {
      GraphBuilder b = new GraphBuilder();
      Value x = b.input(TensorType.of(DType.FLOAT32, 32, 784));
      Value w = b.input(TensorType.of(DType.FLOAT32, 784, 1024));
      Value w2 = b.input(TensorType.of(DType.FLOAT32, 1024, 10));
      Value h = b.softmax(b.matmul(b.tanh(b.matmul(x, w)), w2), -1);
      Value rows = b.reduceSum(h, new int[] {1}, false);
      Value all = b.sumAll(b.mul(x, x));
      Value cols = b.reduceSum(x, new int[] {0}, false);
      List<HostTensor> in = List.of(random(32, 784, 1), random(784, 1024, 2), random(1024, 10, 3));
      try (Executable e =
          backend.compile(b.output(h, rows, all, cols).build(), CompileOptions.defaults())) {
        List<HostTensor> alone = e.runHost(in);
        AtomicReference<List<HostTensor>> busy = new AtomicReference<>();
        backend
            .pool()
            .parallelFor(
                backend.pool().threads(),
                1,
                (from, to) -> {
                  if (from == 0) {
                    busy.set(e.runHost(in));
                  }
                });
        for (int i = 0; i < alone.size(); i++) {
          assertArrayEquals(
              alone.get(i).toFloatArray(), busy.get().get(i).toFloatArray(), "output " + i);
        }
      }
    }
  }
}
