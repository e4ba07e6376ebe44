package dev.kiln.spi.testkit;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.CompositeOp;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.Rewrites;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every composite op's decomposition into primitives computes what the reference computes for the
 * composite directly, in float64 and float32: a backend may run either and get the same answer.
 */
class DecompositionTest {

  @TestFactory
  Stream<DynamicTest> decompositionsMatchTheDirectReference() {
    ReferenceEvaluator ref = new ReferenceEvaluator();
    return OpCases.all().stream()
        .filter(c -> c.graph().nodes().stream().anyMatch(n -> n.op() instanceof CompositeOp))
        .filter(c -> c.inputs().stream().allMatch(t -> t.dtype() == DType.FLOAT32))
        .flatMap(c -> Stream.of(c, asFloat64(c)))
        .map(
            c ->
                DynamicTest.dynamicTest(
                    c.name(),
                    () -> {
                      Graph g = c.graph();
                      Graph expanded = Rewrites.expandAll(g);
                      SplittableRandom rnd = new SplittableRandom(c.name().hashCode());
                      List<HostTensor> in = new ArrayList<>();
                      for (int i = 0; i < c.inputs().size(); i++) {
                        in.add(c.domains().get(i).sample(c.inputs().get(i), rnd));
                      }
                      List<HostTensor> direct = ref.run(g, in);
                      List<HostTensor> viaPrimitives = ref.run(expanded, in);
                      for (int i = 0; i < direct.size(); i++) {
                        double[] tol = Compare.tolerance(direct.get(i).dtype(), 4 * c.terms());
                        // Rounding after every primitive in float32 adds a few ulps per step.
                        double rtol = direct.get(i).dtype() == DType.FLOAT32 ? 1e-5 : 1e-11;
                        Compare.assertClose(
                            c.name() + " output " + i,
                            direct.get(i),
                            viaPrimitives.get(i),
                            rtol,
                            Math.max(tol[1], rtol));
                      }
                    }));
  }

  private static OpCase asFloat64(OpCase c) {
    List<TensorType> types = new ArrayList<>();
    for (TensorType t : c.inputs()) {
      types.add(new TensorType(DType.FLOAT64, t.shape()));
    }
    return new OpCase(
        c.name().replace("float32", "float64") + ".f64", types, c.domains(), c.body(), c.terms());
  }
}
