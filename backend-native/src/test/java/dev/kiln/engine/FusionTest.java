package dev.kiln.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.cpu.Simd;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendOptions;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import dev.kiln.spi.testkit.Compare;
import dev.kiln.spi.testkit.Domain;
import dev.kiln.spi.testkit.ReferenceEvaluator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Fused elementwise chains compute what the reference computes, tails and in-place included. */
class FusionTest {
  @Test
  void fusedChainsMatchTheReference() {
    Assumptions.assumeTrue(Simd.ENABLED, "fusion needs the vector kernels");
    String old = System.getProperty("kiln.native.fusion");
    System.setProperty("kiln.native.fusion", "true");
    try (Backend backend = new NativeBackendProvider().open(BackendOptions.defaults())) {
      for (int n : new int[] {1024, 4099, 70001}) {
        GraphBuilder b = new GraphBuilder();
        Value x = b.input(TensorType.of(DType.FLOAT32, n));
        Value y = b.input(TensorType.of(DType.FLOAT32, n));
        Value s = b.input(TensorType.of(DType.FLOAT32));
        // An Adam-like chain, a value used twice (ends a chain), and scalar operands.
        Value m = b.add(b.mul(b.scalar(0.9, DType.FLOAT32), x), b.mul(s, y));
        Value v = b.sqrt(b.add(b.square(m), b.scalar(1, DType.FLOAT32)));
        Value twice = b.mul(v, v);
        Value z = b.sub(b.div(twice, b.add(b.square(y), b.scalar(2, DType.FLOAT32))), b.tanh(x));
        Graph g = b.output(z, v).build();
        SplittableRandom rnd = new SplittableRandom(n);
        List<HostTensor> in =
            List.of(
                Domain.ANY.sample(TensorType.of(DType.FLOAT32, n), rnd),
                Domain.ANY.sample(TensorType.of(DType.FLOAT32, n), rnd),
                Domain.ANY.sample(TensorType.of(DType.FLOAT32), rnd));
        try (NativeExecutable e =
            (NativeExecutable) backend.compile(g, CompileOptions.defaults())) {
          assertTrue(e.fusedGroups() >= 2, "expected fused chains, got " + e.fusedGroups());
          List<HostTensor> actual = e.runHost(in);
          List<HostTensor> expected = new ReferenceEvaluator().run(g, in);
          assertEquals(2, actual.size());
          for (int i = 0; i < 2; i++) {
            Compare.assertClose(
                "fused output " + i + " at n=" + n, expected.get(i), actual.get(i), 1e-5, 1e-6);
          }
        }
      }
    } finally {
      if (old == null) {
        System.clearProperty("kiln.native.fusion");
      } else {
        System.setProperty("kiln.native.fusion", old);
      }
    }
  }
}
