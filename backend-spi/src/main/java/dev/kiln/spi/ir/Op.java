package dev.kiln.spi.ir;

import dev.kiln.spi.TensorType;
import java.util.List;

/**
 * An operation of the graph IR: its attributes and its shape rule.
 *
 * <p>Each op is a record holding its attributes; {@link #infer} checks the operand types and gives
 * the result types, failing with a {@link ShapeError} that names the op and the operands. Ops are
 * grouped in sealed families, one file each, so a {@code switch} over ops is checked for
 * exhaustiveness by the compiler: adding an op makes every switch that forgot it fail to compile
 * (each backend's lowering, the gradient rules, the reference evaluator). Gradient rules live in
 * {@code dev.kiln.spi.autodiff.GradientRules}, reference semantics in the test kit's float64
 * evaluator. Ops of {@link CompositeOp} also carry a decomposition into other ops, so a backend may
 * run them either way.
 *
 * <p>Records that hold arrays compare by the arrays' contents, so two structurally equal ops are
 * {@code equals}; their array attributes are copied on construction and must not be modified.
 *
 * <p>Layouts are channels-last, as Keras's default: convolution input {@code [N, spatial...,
 * C_in]}, kernel {@code [spatial..., C_in / groups, C_out]}, output {@code [N, spatial..., C_out]}.
 *
 * {@snippet :
 * String kind =
 *     switch (op) {
 *       case SourceOp s -> "source";
 *       case ElementwiseOp e -> "elementwise";
 *       case ReductionOp r -> "reduction";
 *       case LinalgOp l -> "linear algebra";
 *       case ConvolutionOp c -> "convolution";
 *       case PoolingOp p -> "pooling";
 *       case ShapeOp s -> "shape";
 *       case IndexingOp i -> "indexing";
 *       case ControlFlowOp c -> "control flow";
 *       case CompositeOp c -> "composite";
 *     };
 * }
 */
public sealed interface Op
    permits SourceOp,
        ElementwiseOp,
        ReductionOp,
        LinalgOp,
        ConvolutionOp,
        PoolingOp,
        ShapeOp,
        IndexingOp,
        ControlFlowOp,
        CompositeOp {

  /** The op's name in dumps and errors, snake_case ({@code matmul}, {@code conv}). */
  String name();

  /**
   * The result types for these operand types.
   *
   * @throws ShapeError if the operands do not fit; the message names the op and the types
   */
  List<TensorType> infer(List<TensorType> in);

  /** The attributes as {@code key=value} text for dumps; empty when there are none. */
  default String attributes() {
    return "";
  }
}
