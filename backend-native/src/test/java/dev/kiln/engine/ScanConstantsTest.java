package dev.kiln.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendOptions;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A scan's constants are bound once per run, and the body's matmuls pack a constant B once per run:
 * every step must see the constant, and the next run a new one.
 */
class ScanConstantsTest {
  private static final int BATCH = 3;
  private static final int UNITS = 40;
  private static final int DEPTH = 600;
  private static final int STEPS = 5;

  /** h' = tanh(0.5 h + z_t op(W)), W constant; a depth past one GEMM block, ragged panels. */
  private static Graph loop(boolean transposed) {
    GraphBuilder body = new GraphBuilder();
    Value h = body.input(TensorType.of(DType.FLOAT32, BATCH, UNITS));
    Value z = body.input(TensorType.of(DType.FLOAT32, BATCH, DEPTH));
    Value w =
        body.input(
            transposed
                ? TensorType.of(DType.FLOAT32, UNITS, DEPTH)
                : TensorType.of(DType.FLOAT32, DEPTH, UNITS));
    Value next =
        body.tanh(
            body.add(
                body.mul(h, body.scalar(0.5, DType.FLOAT32)),
                body.matmul(z, w, false, transposed)));
    Graph bodyGraph = body.output(next, next).build();
    GraphBuilder b = new GraphBuilder();
    Value h0 = b.input(TensorType.of(DType.FLOAT32, BATCH, UNITS));
    Value zs = b.input(TensorType.of(DType.FLOAT32, STEPS, BATCH, DEPTH));
    Value wIn = b.input(bodyGraph.inputs().get(2).type());
    List<Value> r = b.scan(bodyGraph, List.of(h0), List.of(zs), List.of(wIn), false);
    return b.output(r.get(1)).build();
  }

  private static HostTensor random(Shape shape, Random rnd, double scale) {
    HostTensor t = HostTensor.zeros(DType.FLOAT32, shape);
    for (int i = 0; i < t.size(); i++) {
      t.setDouble(i, (rnd.nextDouble() * 2 - 1) * scale);
    }
    return t;
  }

  private static double[] expected(HostTensor h0, HostTensor zs, HostTensor w, boolean tr) {
    double[] h = h0.toDoubleArray();
    double[] z = zs.toDoubleArray();
    double[] wv = w.toDoubleArray();
    double[] out = new double[STEPS * BATCH * UNITS];
    for (int t = 0; t < STEPS; t++) {
      double[] next = new double[BATCH * UNITS];
      for (int i = 0; i < BATCH; i++) {
        for (int j = 0; j < UNITS; j++) {
          double s = 0;
          for (int p = 0; p < DEPTH; p++) {
            double wpj = tr ? wv[j * DEPTH + p] : wv[p * UNITS + j];
            s += z[(t * BATCH + i) * DEPTH + p] * wpj;
          }
          next[i * UNITS + j] = Math.tanh(0.5 * h[i * UNITS + j] + s);
        }
      }
      System.arraycopy(next, 0, out, t * BATCH * UNITS, next.length);
      h = next;
    }
    return out;
  }

  @Test
  void everyStepAndEveryRunSeesItsOwnConstant() {
    for (boolean transposed : new boolean[] {false, true}) {
      Graph g = loop(transposed);
      Random rnd = new Random(transposed ? 11 : 5);
      try (Backend backend = new NativeBackendProvider().open(BackendOptions.defaults());
          Executable e = backend.compile(g, CompileOptions.defaults())) {
        for (int run = 0; run < 3; run++) {
          HostTensor h0 = random(g.inputs().get(0).shape(), rnd, 1);
          HostTensor zs = random(g.inputs().get(1).shape(), rnd, 1);
          HostTensor w = random(g.inputs().get(2).shape(), rnd, 0.08);
          double[] want = expected(h0, zs, w, transposed);
          double[] got = e.runHost(List.of(h0, zs, w)).get(0).toDoubleArray();
          for (int i = 0; i < want.length; i++) {
            assertEquals(
                want[i],
                got[i],
                1e-4,
                (transposed ? "transposed W" : "W") + ", run " + run + ", element " + i);
          }
        }
      }
    }
  }
}
