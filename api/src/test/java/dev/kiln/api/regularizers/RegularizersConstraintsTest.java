package dev.kiln.api.regularizers;

import static dev.kiln.api.ApiTestSupport.assertClose;

import dev.kiln.api.ApiTestSupport;
import dev.kiln.api.constraints.Constraint;
import dev.kiln.api.constraints.Constraints;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Penalties and projections by hand on a 2x2 matrix with column norms 5 and 1. */
class RegularizersConstraintsTest {
  private static final HostTensor W = HostTensor.of(Shape.of(2, 2), new float[] {3, 0, -4, 1});

  private static double penalty(Regularizer r) {
    return ApiTestSupport.run((o, in) -> List.of(r.penalty(o, in.get(0))), List.of(W))
        .get(0)
        .getDouble(0);
  }

  private static double[] project(Constraint c) {
    return ApiTestSupport.run((o, in) -> List.of(c.apply(o, in.get(0))), List.of(W))
        .get(0)
        .toDoubleArray();
  }

  @Test
  void penalties() {
    assertClose("l1", 0.1 * 8, penalty(Regularizers.l1(0.1)), 1e-6);
    assertClose("l2", 0.01 * 26, penalty(Regularizers.l2(0.01)), 1e-6);
    assertClose("l1l2", 0.1 * 8 + 0.01 * 26, penalty(Regularizers.l1l2(0.1, 0.01)), 1e-6);
    assertClose("by name", 0.01 * 26, penalty(Regularizers.deserialize("l2")), 1e-6);
  }

  @Test
  void constraints() {
    // column 0 is (3, -4) with norm 5; column 1 is (0, 1) with norm 1
    assertClose(
        "max_norm 2", new double[] {1.2, 0, -1.6, 1}, project(Constraints.maxNorm(2)), 1e-5);
    assertClose("unit_norm", new double[] {0.6, 0, -0.8, 1}, project(Constraints.unitNorm()), 1e-5);
    assertClose("non_neg", new double[] {3, 0, 0, 1}, project(Constraints.nonNeg()), 0);
    // min 2, max 3, rate 0.5: column 0 norm 5 -> 0.5 * 3 + 0.5 * 5 = 4; column 1: 1 -> 1.5
    assertClose(
        "min_max_norm",
        new double[] {2.4, 0, -3.2, 1.5},
        project(Constraints.minMaxNorm(2, 3, 0.5)),
        1e-5);
  }
}
