package dev.kiln.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendOptions;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Variable updates written straight into the variables: only where nothing later in the run reads
 * the old value, and every run still sees the values from before it.
 */
class UpdateInPlaceTest {
  private static final TensorType T = TensorType.of(DType.FLOAT32, 37, 5);

  private static HostTensor filled(double start) {
    HostTensor t = HostTensor.zeros(DType.FLOAT32, T.shape());
    for (int i = 0; i < t.size(); i++) {
      t.setDouble(i, start + i * 0.25);
    }
    return t;
  }

  private static double at(Backend backend, String id, int i) {
    return backend.variable(id).orElseThrow().read().getDouble(i);
  }

  @Test
  void anOptimizerStepWritesEveryUpdateInPlace() {
    try (Backend backend = new NativeBackendProvider().open(BackendOptions.defaults())) {
      backend.createVariable("w", filled(1));
      backend.createVariable("m", filled(-2));
      GraphBuilder b = new GraphBuilder();
      Value g = b.input(T);
      Value w = b.variable("w", T);
      Value m = b.variable("m", T);
      Value loss = b.reduceSum(b.mul(w, g), new int[] {0, 1}, false);
      Value m2 = b.add(b.mul(b.scalar(0.9, DType.FLOAT32), m), g);
      Value w2 = b.sub(w, b.mul(b.scalar(0.5, DType.FLOAT32), m2));
      Graph graph = b.update("m", m2).update("w", w2).output(loss).build();
      HostTensor grad = filled(3);
      try (NativeExecutable e =
          (NativeExecutable) backend.compile(graph, CompileOptions.defaults())) {
        assertEquals(2, e.updatesInPlace());
        double wOld = 1 + 7 * 0.25;
        double mOld = -2 + 7 * 0.25;
        double gv = 3 + 7 * 0.25;
        for (int step = 0; step < 3; step++) {
          List<HostTensor> out = e.runHost(List.of(grad));
          double expectedLoss = 0;
          for (int i = 0; i < T.shape().size(); i++) {
            expectedLoss += (1 + i * 0.25) * (3 + i * 0.25);
          }
          if (step == 0) {
            assertEquals(expectedLoss, out.get(0).getDouble(0), 1e-3 * Math.abs(expectedLoss));
          }
          double mNew = 0.9 * mOld + gv;
          double wNew = wOld - 0.5 * mNew;
          assertEquals(mNew, at(backend, "m", 7), 1e-4 * Math.abs(mNew), "m after step " + step);
          assertEquals(wNew, at(backend, "w", 7), 1e-4 * Math.abs(wNew), "w after step " + step);
          mOld = mNew;
          wOld = wNew;
        }
      }
    }
  }

  @Test
  void anOldValueReadAfterTheUpdateIsStaged() {
    try (Backend backend = new NativeBackendProvider().open(BackendOptions.defaults())) {
      backend.createVariable("w", filled(1));
      GraphBuilder b = new GraphBuilder();
      Value w = b.variable("w", T);
      Value doubled = b.mul(w, b.scalar(2, DType.FLOAT32));
      // Reads the old w after the node that computes the new one.
      Value sum = b.add(w, doubled);
      Graph graph = b.update("w", doubled).output(sum).build();
      try (NativeExecutable e =
          (NativeExecutable) backend.compile(graph, CompileOptions.defaults())) {
        assertEquals(0, e.updatesInPlace());
        HostTensor out = e.runHost(List.of()).get(0);
        assertEquals(3 * (1 + 4 * 0.25), out.getDouble(4), 1e-6);
        assertEquals(2 * (1 + 4 * 0.25), at(backend, "w", 4), 1e-6);
      }
    }
  }

  @Test
  void swapsAndUpdatesThatAreOutputsStayStaged() {
    try (Backend backend = new NativeBackendProvider().open(BackendOptions.defaults())) {
      backend.createVariable("a", filled(1));
      backend.createVariable("b", filled(100));
      backend.createVariable("c", filled(0));
      GraphBuilder b = new GraphBuilder();
      Value a = b.variable("a", T);
      Value bv = b.variable("b", T);
      Value c = b.variable("c", T);
      Value c2 = b.add(c, b.scalar(1, DType.FLOAT32));
      Graph graph = b.update("a", bv).update("b", a).update("c", c2).output(c2).build();
      try (NativeExecutable e =
          (NativeExecutable) backend.compile(graph, CompileOptions.defaults())) {
        assertEquals(0, e.updatesInPlace());
        HostTensor out = e.runHost(List.of()).get(0);
        e.runHost(List.of());
        assertEquals(1 + 2 * 0.25, out.getDouble(2), 1e-6);
        assertEquals(2 + 2 * 0.25, at(backend, "c", 2), 1e-6);
        assertEquals(1 + 2 * 0.25, at(backend, "a", 2), 1e-6, "swapped twice");
        assertEquals(100 + 2 * 0.25, at(backend, "b", 2), 1e-6, "swapped twice");
      }
    }
  }

  @Test
  void anOldValueThatAnotherUpdateReadsIsNotOverwritten() {
    try (Backend backend = new NativeBackendProvider().open(BackendOptions.defaults())) {
      HostTensor ones = HostTensor.zeros(DType.FLOAT32, Shape.of(5));
      for (int i = 0; i < 5; i++) {
        ones.setDouble(i, 1);
      }
      backend.createVariable("row", ones);
      backend.createVariable("w", filled(1));
      GraphBuilder b = new GraphBuilder();
      Value row = b.variable("row", TensorType.of(DType.FLOAT32, 5));
      Value w = b.variable("w", T);
      // The new w reads the row broadcast: w + row, and the row's update reads w.
      Value w2 = b.add(w, row);
      Value row2 = b.reduceSum(w, new int[] {0}, false);
      Graph graph = b.update("w", w2).update("row", row2).build();
      try (NativeExecutable e =
          (NativeExecutable) backend.compile(graph, CompileOptions.defaults())) {
        e.runHost(List.of());
        double col0 = 0;
        for (int r = 0; r < 37; r++) {
          col0 += 1 + r * 5 * 0.25;
        }
        assertEquals(col0, at(backend, "row", 0), 1e-3, "the row reads the old w");
        assertEquals(2, at(backend, "w", 0), 1e-6, "w plus the old row of ones");
      }
    }
  }
}
