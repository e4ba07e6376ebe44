package dev.kiln.spi.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Hand-computed cases for the reference semantics that TF.js does not pin down: integer wrap-around
 * and saturation, half-precision rounding, NaN propagation, scans, iota and random.
 */
class ReferenceEvaluatorTest {
  private final ReferenceEvaluator ref = new ReferenceEvaluator();

  private double[] run1(HostTensor in, BiFunction<GraphBuilder, Value, Value> f) {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(in.type());
    return ref.run(b.output(f.apply(b, x)).build(), List.of(in)).get(0).toDoubleArray();
  }

  private static HostTensor t(DType d, double... v) {
    return HostTensor.fromDoubles(d, Shape.of(v.length), v);
  }

  @Test
  void integerArithmeticWrapsAround() {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(TensorType.of(DType.INT8, 3));
    Value y = b.add(x, x);
    double[] r =
        ref.run(b.output(y).build(), List.of(t(DType.INT8, 100, -100, 3))).get(0).toDoubleArray();
    assertArrayEquals(new double[] {-56, 56, 6}, r);
    assertArrayEquals(new double[] {156, 0}, run1(t(DType.UINT8, 100, 0), (g, v) -> g.neg(v)), 0);
  }

  @Test
  void floatToIntegerCastsTruncateAndSaturate() {
    HostTensor x = t(DType.FLOAT32, 2.9, -2.9, 1e10, -1e10, Double.NaN);
    assertArrayEquals(
        new double[] {2, -2, 127, -128, 0}, run1(x, (g, v) -> g.cast(v, DType.INT8)), 0);
    assertArrayEquals(new double[] {2, 0, 255, 0, 0}, run1(x, (g, v) -> g.cast(v, DType.UINT8)), 0);
    assertArrayEquals(
        new double[] {2, -2, Integer.MAX_VALUE, Integer.MIN_VALUE, 0},
        run1(x, (g, v) -> g.cast(v, DType.INT32)),
        0);
  }

  @Test
  void integerNarrowingWraps() {
    assertArrayEquals(
        new double[] {44, -1}, run1(t(DType.INT32, 300, 255), (g, v) -> g.cast(v, DType.INT8)), 0);
  }

  @Test
  void halfPrecisionResultsRoundToNearestEven() {
    // 1 + 2^-11 is halfway between float16's 1 and 1 + 2^-10: ties go to the even mantissa, 1.
    assertEquals(1.0, ReferenceEvaluator.round(DType.FLOAT16, 1 + Math.pow(2, -11)));
    assertEquals(
        1 + Math.pow(2, -9), ReferenceEvaluator.round(DType.FLOAT16, 1 + 3 * Math.pow(2, -11)));
    // bfloat16 keeps 8 significant bits: 1 + 2^-8 ties to 1, 1 + 3 * 2^-8 rounds up to 1 + 2^-6.
    assertEquals(1.0, ReferenceEvaluator.round(DType.BFLOAT16, 1 + Math.pow(2, -8)));
    assertEquals(
        1 + Math.pow(2, -6), ReferenceEvaluator.round(DType.BFLOAT16, 1 + 3 * Math.pow(2, -8)));
    assertEquals(65504.0, ReferenceEvaluator.round(DType.FLOAT16, 65504));
    assertEquals(Double.POSITIVE_INFINITY, ReferenceEvaluator.round(DType.FLOAT16, 65536));
  }

  @Test
  void maxAndMinPropagateNaN() {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(TensorType.of(DType.FLOAT32, 2));
    Value y = b.input(TensorType.of(DType.FLOAT32, 2));
    List<HostTensor> r =
        ref.run(
            b.output(b.max(x, y), b.reduceMax(x, new int[] {0}, false)).build(),
            List.of(t(DType.FLOAT32, Double.NaN, 1), t(DType.FLOAT32, 0, 2)));
    assertArrayEquals(new double[] {Double.NaN, 2}, r.get(0).toDoubleArray());
    assertArrayEquals(new double[] {Double.NaN}, r.get(1).toDoubleArray());
  }

  @Test
  void scanRunsForwardAndBackward() {
    for (boolean reverse : new boolean[] {false, true}) {
      GraphBuilder b = new GraphBuilder();
      Value c0 = b.input(TensorType.of(DType.FLOAT64, 1));
      Value xs = b.input(TensorType.of(DType.FLOAT64, 4, 1));
      List<Value> r =
          b.scan(
              OpCases.cumsumBody(DType.FLOAT64, 1), List.of(c0), List.of(xs), List.of(), reverse);
      List<HostTensor> out =
          ref.run(
              b.output(r.get(0), r.get(1)).build(),
              List.of(
                  HostTensor.of(Shape.of(1), new double[] {10}),
                  HostTensor.of(Shape.of(4, 1), new double[] {1, 2, 3, 4})));
      assertArrayEquals(new double[] {20}, out.get(0).toDoubleArray());
      // The per-step output is the square of the running sum, stored at the step's index.
      double[] expected =
          reverse ? new double[] {400, 361, 289, 196} : new double[] {121, 169, 256, 400};
      assertArrayEquals(expected, out.get(1).toDoubleArray());
    }
  }

  @Test
  void iotaCountsAlongTheAxis() {
    GraphBuilder b = new GraphBuilder();
    Value v = b.iota(TensorType.of(DType.INT32, 2, 3), 1);
    assertArrayEquals(
        new double[] {0, 1, 2, 0, 1, 2},
        ref.run(b.output(v).build(), List.of()).get(0).toDoubleArray());
  }

  @Test
  void randomUsesThePhiloxRecipe() {
    GraphBuilder b = new GraphBuilder();
    Value seed = b.constant(HostTensor.of(Shape.of(2), new long[] {0, 0}));
    Value u = b.randomUniform(seed, TensorType.of(DType.FLOAT64, 5), 0, 1);
    double[] r = ref.run(b.output(u).build(), List.of()).get(0).toDoubleArray();
    // Word 0 of the Philox block (0, 0, 0, 0) under key 0 is 0x6627e8d5; its top 24 bits over 2^24.
    assertEquals((0x6627e8d5 >>> 8) / 16777216.0, r[0]);
    assertEquals((0xe169c58dL >>> 8) / 16777216.0, r[1]);
  }
}
