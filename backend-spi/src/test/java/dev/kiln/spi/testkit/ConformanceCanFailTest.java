package dev.kiln.spi.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.ir.BinaryFn;
import dev.kiln.spi.ir.ConvolutionOp;
import dev.kiln.spi.ir.ElementwiseOp;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.UnaryFn;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Proves the kit can fail: it runs the whole conformance suite against reference backends with one
 * deliberately wrong kernel each and checks that exactly the affected cases fail.
 */
class ConformanceCanFailTest {

  /** Subtraction with its operands swapped, for float32 only: a plausible SIMD-kernel slip. */
  static final class SwappedSub extends ReferenceEvaluator {
    @Override
    protected List<Buf> apply(Node n, List<Buf> x) {
      if (n.op() instanceof ElementwiseOp.Binary b
          && b.fn() == BinaryFn.SUB
          && n.outputs().get(0).dtype() == dev.kiln.spi.DType.FLOAT32) {
        return super.apply(n, List.of(x.get(1), x.get(0)));
      }
      return super.apply(n, x);
    }
  }

  /** A filter gradient that loses the last output channel: caught only through gradients. */
  static final class FilterGradientDropsChannel extends ReferenceEvaluator {
    @Override
    protected List<Buf> apply(Node n, List<Buf> x) {
      List<Buf> r = super.apply(n, x);
      if (n.op() instanceof ConvolutionOp.ConvBackpropFilter) {
        Buf dw = r.get(0);
        double[] d = dw.data().clone();
        int cout = dw.shape().dim(-1);
        for (int i = cout - 1; i < d.length; i += cout) {
          d[i] = 0;
        }
        return List.of(new Buf(dw.type(), d));
      }
      return r;
    }
  }

  /** An off-by-one in float16 rounding: only the float16 cases can see it. */
  static final class HalfPrecisionOffByOne extends ReferenceEvaluator {
    @Override
    protected List<Buf> apply(Node n, List<Buf> x) {
      List<Buf> r = super.apply(n, x);
      if (n.op() instanceof ElementwiseOp.Unary u
          && u.fn() == UnaryFn.EXP
          && r.get(0).dtype() == dev.kiln.spi.DType.FLOAT16) {
        double[] d = r.get(0).data().clone();
        for (int i = 0; i < d.length; i++) {
          d[i] = d[i] * (1 + 1.0 / 256);
        }
        return List.of(new Buf(r.get(0).type(), d));
      }
      return r;
    }
  }

  static class MutantSuite extends ConformanceSuite {
    static ReferenceEvaluator evaluator;

    @Override
    protected Backend openBackend() {
      return new ReferenceBackend(evaluator);
    }
  }

  private static List<String> failuresWith(ReferenceEvaluator mutant) {
    MutantSuite.evaluator = mutant;
    List<String> failed = new ArrayList<>();
    int[] passed = {0};
    Launcher launcher = LauncherFactory.create();
    launcher.execute(
        LauncherDiscoveryRequestBuilder.request().selectors(selectClass(MutantSuite.class)).build(),
        new TestExecutionListener() {
          @Override
          public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            if (!id.isTest()) {
              return;
            }
            if (result.getStatus() == TestExecutionResult.Status.FAILED) {
              failed.add(id.getDisplayName());
            } else {
              passed[0]++;
            }
          }
        });
    assertTrue(passed[0] > 1000, "the mutant suite ran only " + passed[0] + " passing tests");
    return failed;
  }

  @Test
  void aSwappedSubtractionFailsTheSubtractionCasesAndNothingUnrelated() {
    List<String> failed = failuresWith(new SwappedSub());
    assertTrue(failed.contains("forward.sub.float32.17_17"), failed.toString());
    assertTrue(failed.contains("forward.sub.float32.1023_1023"), failed.toString());
    // Float32 subtraction inside other ops' decompositions does not reach the float64
    // gradients, and the float64 subtraction cases are untouched.
    assertFalse(failed.contains("forward.sub.float64.33_33"), failed.toString());
    assertFalse(failed.contains("forward.add.float32.17_17"), failed.toString());
    // Whole train steps use float32 subtraction (SGD), so they must fail too.
    assertTrue(failed.contains("whole_graph.conv_sgd"), failed.toString());
  }

  @Test
  void aWrongFilterGradientFailsTheConvGradientChecks() {
    List<String> failed = failuresWith(new FilterGradientDropsChannel());
    assertTrue(failed.contains("gradient.conv.2d.same"), failed.toString());
    assertTrue(failed.contains("forward.conv_backprop_filter.float32.2d.same"), failed.toString());
    assertTrue(failed.contains("whole_graph.conv_sgd"), failed.toString());
    assertFalse(failed.contains("gradient.matmul"), failed.toString());
  }

  @Test
  void aHalfPrecisionErrorOfOneUlpIsCaught() {
    List<String> failed = failuresWith(new HalfPrecisionOffByOne());
    assertEquals(
        List.of("forward.exp.float16.7", "forward.exp.float16.33"),
        failed.stream()
            .filter(f -> f.startsWith("forward.exp."))
            .sorted(java.util.Comparator.reverseOrder())
            .toList(),
        failed.toString());
    assertTrue(
        Arrays.asList(failed.toArray()).stream()
            .noneMatch(f -> f.toString().startsWith("forward.exp.float32")));
  }
}
