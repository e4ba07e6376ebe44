package dev.kiln.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.autodiff.Autodiff;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.backend.Backends;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.DeviceTensor;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.backend.Variable;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Step after step, a train step's memory stays flat: every intermediate lives in the executable's
 * workspace, which the next run reuses, so a leak of one step's arrays (about 1 MB here) would show
 * as 200 MB.
 */
class Nd4jMemoryTest {
  @Test
  void residentMemoryDoesNotGrowWithSteps() {
    try (Backend nd4j = Backends.open("nd4j")) {
      SplittableRandom r = new SplittableRandom(5);
      nd4j.createVariable("w1", random(r, 256, 512));
      nd4j.createVariable("w2", random(r, 512, 10));
      GraphBuilder b = new GraphBuilder();
      Value x = b.input(TensorType.of(DType.FLOAT32, 64, 256));
      Value labels = b.input(TensorType.of(DType.INT32, 64));
      Value w1 = b.variable("w1", TensorType.of(DType.FLOAT32, 256, 512));
      Value w2 = b.variable("w2", TensorType.of(DType.FLOAT32, 512, 10));
      Value logits = b.matmul(b.relu(b.matmul(x, w1)), w2);
      Value loss =
          b.reduceMean(
              b.softmaxCrossEntropy(logits, b.oneHot(labels, 10, DType.FLOAT32), -1),
              new int[] {0},
              false);
      List<Value> g = Autodiff.gradients(b, loss, List.of(w1, w2));
      b.update("w1", b.sub(w1, b.mul(b.scalar(0.01, DType.FLOAT32), g.get(0))));
      b.update("w2", b.sub(w2, b.mul(b.scalar(0.01, DType.FLOAT32), g.get(1))));
      HostTensor y = HostTensor.zeros(DType.INT32, Shape.of(64));
      for (int i = 0; i < 64; i++) {
        y.setDouble(i, r.nextInt(10));
      }
      try (Executable step = nd4j.compile(b.output(loss).build(), CompileOptions.defaults())) {
        List<DeviceTensor> in = List.of(nd4j.upload(random(r, 64, 256)), nd4j.upload(y));
        for (int i = 0; i < 100; i++) {
          step.run(in);
        }
        long before = settledResidentBytes();
        for (int i = 0; i < 200; i++) {
          step.run(in);
        }
        long grown = settledResidentBytes() - before;
        assertTrue(
            grown < 100L << 20, "resident memory grew by " + (grown >> 20) + " MB in 200 steps");
      }
    }
  }

  @Test
  void closeFreesTheWorkspaceAndDeleteFreesTheVariable() {
    try (Backend nd4j = Backends.open("nd4j")) {
      var workspaces = Nd4j.getWorkspaceManager();
      int before = workspaces.getAllWorkspacesIdsForCurrentThread().size();
      Variable w = nd4j.createVariable("w", random(new SplittableRandom(1), 4, 3));
      GraphBuilder b = new GraphBuilder();
      Value x = b.input(TensorType.of(DType.FLOAT32, 2, 4));
      Value v = b.variable("w", TensorType.of(DType.FLOAT32, 4, 3));
      Executable step =
          nd4j.compile(b.output(b.relu(b.matmul(x, v))).build(), CompileOptions.defaults());
      step.runHost(List.of(HostTensor.zeros(DType.FLOAT32, Shape.of(2, 4))));
      assertEquals(before + 1, workspaces.getAllWorkspacesIdsForCurrentThread().size());
      step.close();
      step.close();
      assertEquals(before, workspaces.getAllWorkspacesIdsForCurrentThread().size());
      nd4j.deleteVariable("w");
      assertTrue(nd4j.variable("w").isEmpty());
      BackendException gone = assertThrows(BackendException.class, w::read);
      assertEquals("nd4j: variable 'w' was deleted", gone.getMessage());
    }
  }

  /**
   * Resident bytes once the Java garbage is collected (which also frees the native buffers of
   * collected output arrays, on ND4J's deallocator thread).
   */
  private static long settledResidentBytes() {
    System.gc();
    try {
      Thread.sleep(300);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return Pointer.physicalBytes();
  }

  private static HostTensor random(SplittableRandom r, int... dims) {
    HostTensor t = HostTensor.zeros(DType.FLOAT32, Shape.of(dims));
    for (int i = 0; i < t.size(); i++) {
      t.setDouble(i, (r.nextDouble() - 0.5) * 0.1);
    }
    return t;
  }
}
