package dev.kiln.spi.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Ops whose attributes include arrays compare by the arrays' contents. */
class OpEqualityTest {

  /** An op built twice from fresh arrays, and once with one element changed. */
  private record Case(String name, Function<int[], Op> make) {}

  private static final List<Case> CASES =
      List.of(
          new Case("reduce", a -> new ReductionOp.Reduce(ReduceFn.SUM, a, true)),
          new Case("transpose", a -> new ShapeOp.Transpose(a)),
          new Case("slice begin", a -> new ShapeOp.Slice(a, new int[] {1, 1})),
          new Case("slice size", a -> new ShapeOp.Slice(new int[] {0, 0}, a)),
          new Case(
              "strided_slice begin",
              a -> new ShapeOp.StridedSlice(a, new int[] {2, 2}, new int[] {1, 1})),
          new Case(
              "strided_slice end",
              a -> new ShapeOp.StridedSlice(new int[] {0, 0}, a, new int[] {1, 1})),
          new Case(
              "strided_slice strides",
              a -> new ShapeOp.StridedSlice(new int[] {0, 0}, new int[] {2, 2}, a)),
          new Case("pad low", a -> new ShapeOp.Pad(a, new int[] {0, 0}, 0)),
          new Case("pad high", a -> new ShapeOp.Pad(new int[] {0, 0}, a, 0)),
          new Case("logsumexp", a -> new CompositeOp.LogSumExp(a, false)),
          new Case("layer_norm", a -> new CompositeOp.LayerNorm(a, 1e-3)),
          new Case(
              "conv spec",
              a -> new ConvolutionOp.Conv(new ConvSpec(a, Padding.VALID, new int[] {1, 1}, 1))),
          new Case(
              "pool spec",
              a ->
                  new PoolingOp.Pool(
                      PoolFn.MAX, new PoolSpec(a, new int[] {1, 1}, Padding.VALID))));

  @TestFactory
  List<DynamicTest> structurallyEqualOpsAreEqual() {
    return CASES.stream()
        .map(
            c ->
                DynamicTest.dynamicTest(
                    c.name(),
                    () -> {
                      Op a = c.make().apply(new int[] {1, 2});
                      Op b = c.make().apply(new int[] {1, 2});
                      Op other = c.make().apply(new int[] {2, 2});
                      assertEquals(a, b);
                      assertEquals(a.hashCode(), b.hashCode());
                      assertEquals(a.toString(), b.toString());
                      assertNotEquals(a, other);
                      assertTrue(a.toString().contains("[1, 2]"), a.toString());
                    }))
        .toList();
  }

  @Test
  void scalarAttributesStillCount() {
    assertNotEquals(
        new ReductionOp.Reduce(ReduceFn.SUM, new int[] {0}, true),
        new ReductionOp.Reduce(ReduceFn.SUM, new int[] {0}, false));
    assertNotEquals(
        new ReductionOp.Reduce(ReduceFn.SUM, new int[] {0}, true),
        new ReductionOp.Reduce(ReduceFn.MAX, new int[] {0}, true));
    assertNotEquals(
        new ShapeOp.Pad(new int[] {1}, new int[] {1}, 0),
        new ShapeOp.Pad(new int[] {1}, new int[] {1}, -1));
    assertNotEquals(
        new CompositeOp.LayerNorm(new int[] {1}, 1e-3),
        new CompositeOp.LayerNorm(new int[] {1}, 1e-5));
    assertNotEquals(
        new CompositeOp.LogSumExp(new int[] {1}, true),
        new CompositeOp.LogSumExp(new int[] {1}, false));
  }

  @Test
  void equalOpsCollapseInASet() {
    Set<Op> ops = new HashSet<>();
    ops.add(new ShapeOp.Transpose(new int[] {1, 0}));
    ops.add(new ShapeOp.Transpose(new int[] {1, 0}));
    ops.add(new ShapeOp.Transpose(new int[] {0, 1}));
    assertEquals(2, ops.size());
  }

  @Test
  void changingTheArrayAfterwardsDoesNotChangeTheOp() {
    int[] perm = {1, 0};
    ShapeOp.Transpose t = new ShapeOp.Transpose(perm);
    perm[0] = 0;
    assertEquals(new ShapeOp.Transpose(new int[] {1, 0}), t);
  }
}
