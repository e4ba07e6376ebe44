package dev.kiln.spi.ir;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Every shape rule's error: it names the op and the shapes involved. */
class ShapeErrorTest {
  private final GraphBuilder b = new GraphBuilder();

  private Value f(int... dims) {
    return b.input(TensorType.of(DType.FLOAT32, dims));
  }

  private Value of(DType d, int... dims) {
    return b.input(TensorType.of(d, dims));
  }

  private static void fails(Executable e, String... fragments) {
    ShapeError err = assertThrows(ShapeError.class, e);
    for (String f : fragments) {
      assertTrue(
          err.getMessage().contains(f), "message '" + err.getMessage() + "' lacks '" + f + "'");
    }
  }

  private static Graph graph(int... carryDims) {
    GraphBuilder g = new GraphBuilder();
    Value c = g.input(TensorType.of(DType.FLOAT32, carryDims));
    Value x = g.input(TensorType.of(DType.FLOAT32, carryDims));
    return g.output(g.add(c, x), c).build();
  }

  // ---------------------------------------------------------------- shared rules

  @Test
  void arity() {
    fails(
        () -> b.emit(new ElementwiseOp.Unary(UnaryFn.EXP), List.of(f(2), f(2))),
        "exp:",
        "expects 1 operand(s)",
        "received 2");
  }

  @Test
  void concatNeedsAnOperand() {
    fails(() -> b.emit(new ShapeOp.Concat(0), List.of()), "concat:", "at least 1");
  }

  @Test
  void dtypeMismatch() {
    fails(
        () -> b.add(f(3), of(DType.INT32, 3)), "add:", "float32(3,)", "int32(3,)", "share a dtype");
  }

  @Test
  void floatOnlyOp() {
    fails(() -> b.exp(of(DType.INT32, 3)), "exp:", "floating-point", "int32(3,)");
  }

  @Test
  void numericOnlyOp() {
    fails(() -> b.neg(of(DType.BOOL, 3)), "neg:", "numeric", "bool(3,)");
  }

  @Test
  void integerIndices() {
    fails(() -> b.gather(f(5, 2), f(3), 0), "gather:", "indices", "integer", "float32(3,)");
  }

  @Test
  void broadcastIncompatible() {
    fails(() -> b.mul(f(3, 4), f(5)), "mul:", "(3, 4)", "(5,)", "cannot be broadcast");
  }

  @Test
  void axisOutOfRange() {
    fails(() -> b.reduceSum(f(3, 4), new int[] {2}, false), "reduce_sum:", "axis 2", "(3, 4)");
  }

  @Test
  void repeatedAxis() {
    fails(() -> b.reduceSum(f(3, 4), new int[] {1, -1}, false), "reduce_sum:", "repeated");
  }

  @Test
  void singleAxisOutOfRange() {
    fails(() -> b.softmax(f(3, 4), 2), "softmax:", "axis 2", "(3, 4)");
  }

  @Test
  void shapeMustBeKnown() {
    fails(
        () -> b.iota(TensorType.of(DType.INT32, Shape.UNKNOWN, 3), 0),
        "iota:",
        "(None, 3)",
        "fully known");
  }

  // ---------------------------------------------------------------- per op

  @Test
  void randomSeed() {
    fails(
        () -> b.randomUniform(of(DType.INT32, 2), TensorType.of(DType.FLOAT32, 3), 0, 1),
        "random_uniform:",
        "int64(2,)",
        "int32(2,)");
  }

  @Test
  void randomUniformNeedsFloat() {
    fails(
        () ->
            b.randomNormal(
                b.constant(HostTensor.of(Shape.of(2), new long[] {1, 2})),
                TensorType.of(DType.INT32, 3),
                0,
                1),
        "random_normal:",
        "floating-point");
  }

  @Test
  void logicalNotNeedsBool() {
    fails(() -> b.unary(UnaryFn.LOGICAL_NOT, f(3)), "logical_not:", "bool", "float32(3,)");
  }

  @Test
  void logicalBinaryNeedsBool() {
    fails(() -> b.binary(BinaryFn.LOGICAL_AND, f(3), f(3)), "logical_and:", "bool operands");
    fails(() -> b.add(of(DType.BOOL, 3), of(DType.BOOL, 3)), "add:", "numeric operands");
  }

  @Test
  void powNeedsFloat() {
    fails(() -> b.pow(of(DType.INT32, 3), of(DType.INT32, 3)), "pow:", "floating-point");
  }

  @Test
  void selectCondition() {
    fails(() -> b.select(f(3), f(3), f(3)), "select:", "condition", "bool", "float32(3,)");
  }

  @Test
  void reduceAxesMustBeNormalized() {
    fails(
        () -> b.emit1(new ReductionOp.Reduce(ReduceFn.SUM, new int[] {-1}, false), f(3)),
        "reduce_sum:",
        "normalized");
  }

  @Test
  void meanNeedsFloat() {
    fails(
        () -> b.reduceMean(of(DType.INT32, 3), new int[] {0}, false),
        "reduce_mean:",
        "floating-point");
  }

  @Test
  void argReduceIndexTypeAndAxis() {
    fails(
        () -> b.emit1(new ReductionOp.ArgReduce(ArgFn.ARGMAX, 0, false, DType.FLOAT32), f(3)),
        "argmax:",
        "int32 or int64");
    fails(
        () -> b.emit1(new ReductionOp.ArgReduce(ArgFn.ARGMAX, -1, false, DType.INT32), f(3)),
        "argmax:",
        "normalized");
  }

  @Test
  void matmulRank() {
    fails(() -> b.matmul(f(3), f(3, 4)), "matmul:", "rank >= 2", "(3,)", "(3, 4)");
  }

  @Test
  void matmulInnerDimensions() {
    fails(
        () -> b.matmul(f(2, 3), f(4, 5)),
        "matmul:",
        "inner dimensions",
        "(2, 3)",
        "(4, 5)",
        "3 vs 4");
    fails(() -> b.matmul(f(2, 3), f(3, 2), false, true), "matmul:", "(transposed)", "3 vs 2");
  }

  @Test
  void matmulBatch() {
    fails(() -> b.matmul(f(2, 3, 4), f(3, 4, 5)), "matmul:", "(2,)", "(3,)");
  }

  @Test
  void convRank() {
    fails(
        () -> b.conv(f(2, 5, 3), f(3, 3, 3, 4), ConvSpec.simple(2, Padding.VALID)),
        "conv:",
        "2-D convolution",
        "(2, 5, 3)",
        "(3, 3, 3, 4)");
  }

  @Test
  void convExplicitPaddingPairs() {
    ConvSpec s =
        new ConvSpec(new int[] {1, 1}, Padding.explicit(new int[] {1, 1}), new int[] {1, 1}, 1);
    fails(() -> b.conv(f(1, 5, 5, 3), f(3, 3, 3, 4), s), "conv:", "explicit padding needs 2 pairs");
  }

  @Test
  void convChannels() {
    fails(
        () -> b.conv(f(1, 5, 5, 3), f(3, 3, 2, 4), ConvSpec.simple(2, Padding.VALID)),
        "conv:",
        "input channels 3",
        "(1, 5, 5, 3)",
        "(3, 3, 2, 4)");
  }

  @Test
  void convGroupsDivideOutputChannels() {
    ConvSpec s = new ConvSpec(new int[] {1, 1}, Padding.VALID, new int[] {1, 1}, 2);
    fails(() -> b.conv(f(1, 5, 5, 4), f(3, 3, 2, 3), s), "conv:", "output channels 3", "groups 2");
  }

  @Test
  void convKernelTooLarge() {
    fails(
        () -> b.conv(f(1, 2, 5, 3), f(3, 3, 3, 4), ConvSpec.simple(2, Padding.VALID)),
        "conv:",
        "does not fit",
        "(1, 2, 5, 3)");
  }

  @Test
  void convBackpropShapes() {
    ConvSpec s = ConvSpec.simple(2, Padding.VALID);
    fails(
        () -> b.convBackpropInput(f(1, 4, 4, 4), f(3, 3, 3, 4), s, Shape.of(1, 5, 5, 3)),
        "conv_backprop_input:",
        "(1, 4, 4, 4)",
        "(1, 3, 3, 4)");
    fails(
        () -> b.convBackpropFilter(f(1, 5, 5, 3), f(1, 4, 4, 4), s, Shape.of(3, 3, 3, 4)),
        "conv_backprop_filter:",
        "(1, 4, 4, 4)",
        "(1, 3, 3, 4)");
  }

  @Test
  void poolShapes() {
    PoolSpec p = new PoolSpec(new int[] {2, 2}, new int[] {2, 2}, Padding.VALID);
    fails(() -> b.pool(PoolFn.MAX, f(4, 4, 3), p), "max_pool:", "2-D pooling", "(4, 4, 3)");
    fails(() -> b.pool(PoolFn.AVG, f(1, 1, 4, 3), p), "avg_pool:", "does not fit", "(1, 1, 4, 3)");
    fails(
        () -> b.emit1(new PoolingOp.MaxPoolBackward(p), f(1, 4, 4, 3), f(1, 3, 2, 3)),
        "max_pool_backward:",
        "(1, 3, 2, 3)",
        "(1, 2, 2, 3)");
    fails(
        () -> b.emit1(new PoolingOp.AvgPoolBackward(p, Shape.of(1, 4, 4, 3)), f(1, 3, 2, 3)),
        "avg_pool_backward:",
        "(1, 3, 2, 3)",
        "(1, 2, 2, 3)");
  }

  @Test
  void reshapeSize() {
    fails(
        () -> b.reshape(f(3, 4), Shape.of(5, 2)),
        "reshape:",
        "(3, 4)",
        "12 elements",
        "(5, 2)",
        "10 elements");
  }

  @Test
  void transposePermutation() {
    fails(() -> b.transpose(f(3, 4), 0), "transpose:", "[0]", "(3, 4)");
    fails(() -> b.transpose(f(3, 4), 0, 0), "transpose:", "not a permutation", "(3, 4)");
  }

  @Test
  void broadcastToTarget() {
    fails(() -> b.broadcastTo(f(3, 4), Shape.of(4)), "broadcast_to:", "(3, 4)", "(4,)");
    fails(() -> b.broadcastTo(f(3, 4), Shape.of(3, 5)), "broadcast_to:", "(3, 4)", "(3, 5)");
  }

  @Test
  void sliceBounds() {
    fails(() -> b.slice(f(3, 4), new int[] {0}, new int[] {1}), "slice:", "[0]", "(3, 4)");
    fails(
        () -> b.slice(f(3, 4), new int[] {2, 0}, new int[] {2, 4}),
        "slice:",
        "outside shape (3, 4)",
        "axis 0");
  }

  @Test
  void stridedSliceBounds() {
    fails(
        () -> b.stridedSlice(f(3, 4), new int[] {0}, new int[] {1}, new int[] {1}),
        "strided_slice:",
        "(3, 4)");
    fails(
        () -> b.stridedSlice(f(3, 4), new int[] {0, 0}, new int[] {3, 4}, new int[] {1, 0}),
        "strided_slice:",
        "stride 0 on axis 1");
    fails(
        () -> b.stridedSlice(f(3, 4), new int[] {0, 0}, new int[] {3, 5}, new int[] {1, 1}),
        "strided_slice:",
        "end 5",
        "axis 1 of (3, 4)");
  }

  @Test
  void concatShapes() {
    fails(() -> b.emit1(new ShapeOp.Concat(-1), f(3, 4), f(3, 4)), "concat:", "normalized");
    fails(() -> b.concat(0, f(3, 4), f(3)), "concat:", "differ in rank", "(3, 4)", "(3,)");
    fails(() -> b.concat(0, f(3, 4), f(3, 5)), "concat:", "(3, 4)", "(3, 5)", "differ on axis 1");
  }

  @Test
  void padShapes() {
    fails(() -> b.pad(f(3, 4), new int[] {1}, new int[] {1}, 0), "pad:", "(3, 4)");
    fails(() -> b.pad(f(3, 4), new int[] {1, -1}, new int[] {1, 1}, 0), "pad:", ">= 0");
  }

  @Test
  void gatherAxis() {
    fails(
        () -> b.emit1(new IndexingOp.Gather(-1), f(3, 4), of(DType.INT32, 2)),
        "gather:",
        "normalized");
  }

  @Test
  void scatterAddShapes() {
    fails(
        () -> b.emit1(new IndexingOp.ScatterAdd(-1), f(3, 4), of(DType.INT32, 2), f(2, 4)),
        "scatter_add:",
        "normalized");
    fails(
        () -> b.scatterAdd(f(3, 4), of(DType.INT32, 2), f(2, 5), 0),
        "scatter_add:",
        "updates must have shape (2, 4)",
        "(3, 4)",
        "(2,)",
        "(2, 5)");
  }

  @Test
  void oneHotDepth() {
    fails(() -> b.oneHot(of(DType.INT32, 3), 0, DType.FLOAT32), "one_hot:", "depth=0");
  }

  @Test
  void scanOperands() {
    Graph body = graph(3);
    fails(
        () -> b.scan(body, List.of(f(3)), List.of(), List.of(), false, 2),
        "scan:",
        "takes 2 inputs",
        "1 operands");
    fails(
        () -> b.emit(new ControlFlowOp.Scan(body, 3, 0, 2, false), List.of(f(3), f(3))),
        "scan:",
        "inconsistent");
    fails(
        () -> b.scan(body, List.of(f(3)), List.of(f(4, 3)), List.of(), false, -1),
        "scan:",
        "length must be >= 0");
    fails(
        () -> b.scan(body, List.of(f(3)), List.of(f(4, 3)), List.of(), false, 5),
        "scan:",
        "sequence operand 0",
        "(4, 3)",
        "leading axis 5");
    fails(
        () -> b.scan(body, List.of(f(4)), List.of(f(4, 3)), List.of(), false),
        "scan:",
        "operand 0",
        "float32(4,)",
        "float32(3,)");
  }

  @Test
  void scanCarryTypes() {
    GraphBuilder g = new GraphBuilder();
    Value c = g.input(TensorType.of(DType.FLOAT32, 3));
    g.input(TensorType.of(DType.FLOAT32, 3));
    Graph body = g.output(g.reduceSum(c, new int[] {0}, false)).build();
    fails(
        () -> b.scan(body, List.of(f(3)), List.of(f(2, 3)), List.of(), false),
        "scan:",
        "returns carry 0 as float32()",
        "float32(3,)");
  }

  @Test
  void scanBuilderChecks() {
    GraphBuilder g = new GraphBuilder();
    Value c = g.input(TensorType.of(DType.FLOAT32, 3));
    Graph withVariable =
        g.output(g.add(c, g.variable("v", TensorType.of(DType.FLOAT32, 3)))).build();
    fails(
        () -> b.scan(withVariable, List.of(f(3)), List.of(f(2)), List.of(), false),
        "scan:",
        "variables [v]");
    fails(
        () ->
            b.scan(graph(3), List.of(f(3)), List.of(b.scalar(1, DType.FLOAT32)), List.of(), false),
        "scan:",
        "scalar");
    fails(
        () -> b.scan(graph(3), List.of(f(3)), List.of(), List.of(), false),
        "scan:",
        "at least one sequence");
  }

  @Test
  void compositeShapes() {
    fails(
        () -> b.softmaxCrossEntropy(f(3, 4), f(3, 5), -1),
        "softmax_cross_entropy:",
        "float32(3, 4)",
        "float32(3, 5)");
    fails(
        () -> b.batchNormTraining(f(2, 4), f(3), f(4), -1, 1e-3),
        "batch_norm_training:",
        "gamma float32(3,)",
        "(4,)",
        "float32(2, 4)");
    fails(
        () -> b.batchNormInference(f(2, 4), f(4), f(5), f(4), f(4), -1, 1e-3),
        "batch_norm_inference:",
        "variance float32(5,)",
        "(4,)");
    fails(
        () -> b.layerNorm(f(2, 4), f(4), f(2), new int[] {-1}, 1e-3),
        "layer_norm:",
        "beta float32(2,)",
        "(4,)");
  }

  @Test
  void operandFromAnotherBuilder() {
    Value foreign = new GraphBuilder().input(TensorType.of(DType.FLOAT32, 3));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.neg(foreign));
    assertTrue(e.getMessage().contains("another graph builder"), e.getMessage());
  }
}
