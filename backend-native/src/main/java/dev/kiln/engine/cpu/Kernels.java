package dev.kiln.engine.cpu;

import dev.kiln.spi.ir.CompositeOp;
import dev.kiln.spi.ir.ElementwiseOp;
import dev.kiln.spi.ir.IndexingOp;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.ShapeOp;

/**
 * Picks each node's kernel: a vector kernel where one exists for the node's dtype and layout and
 * SIMD is enabled, else the scalar twin.
 */
public final class Kernels {
  private Kernels() {}

  /** The kernel of {@code n}, or null if there is none (then compilation fails naming the op). */
  public static Kernel of(Node n, CpuPool pool) {
    if (Simd.ENABLED) {
      Kernel k = VectorKernels.of(n, pool);
      if (k != null) {
        return k;
      }
    }
    return ScalarKernels.of(n);
  }

  /**
   * The kernel of {@code n} where the operands in {@code kept} stay the same from run to run until
   * the kernel is told otherwise: a kernel that keeps work derived from them (a matmul keeps its
   * packed B), or the ordinary kernel.
   */
  public static Kernel of(Node n, CpuPool pool, java.util.Set<dev.kiln.spi.ir.Value> kept) {
    if (Simd.ENABLED
        && n.op() instanceof dev.kiln.spi.ir.LinalgOp.MatMul m
        && n.output().dtype() == dev.kiln.spi.DType.FLOAT32
        && n.inputs().get(0).rank() == 2
        && n.inputs().get(1).rank() == 2
        && kept.contains(n.inputs().get(1))) {
      return VectorKernels.matmulKeepingB(m, n.inputs().get(0).type(), n.output().type(), pool);
    }
    return of(n, pool);
  }

  /**
   * Whether elementwise chains are fused: only with {@code -Dkiln.native.fusion=true}. Measured on
   * the MNIST MLP epoch (benchmarks/RESULTS.md) fusion gains nothing end to end once the GEMMs
   * dominate, so the default stays with the separately tested per-op kernels.
   */
  public static boolean fusionEnabled() {
    return Simd.ENABLED
        && "true".equalsIgnoreCase(System.getProperty("kiln.native.fusion", "false"));
  }

  /** Whether a node can join a fused elementwise chain (float32, big enough to pay off). */
  public static boolean fusable(Node n) {
    return Simd.ENABLED
        && FusedElementwise.fusable(n)
        && n.output().shape().size() >= FusedElementwise.TILE;
  }

  /** The fused kernel of a chain. */
  public static Kernel fused(
      java.util.List<Node> chain, java.util.List<dev.kiln.spi.ir.Value> inputs, CpuPool pool) {
    return new FusedElementwise(chain, inputs, pool);
  }

  /**
   * Whether composite {@code c} runs as a kernel of its own; the others are expanded into
   * primitives before lowering (see {@code Rewrites.expand}). The switch names every composite, so
   * a new one does not compile until this backend decides.
   */
  public static boolean hasDirectKernel(CompositeOp c) {
    return switch (c) {
      case CompositeOp.Softmax _,
          CompositeOp.LogSoftmax _,
          CompositeOp.AdamUpdate _,
          CompositeOp.BatchNormTraining _,
          CompositeOp.BatchNormTrainingGrad _ ->
          true;
      case CompositeOp.LogSumExp _,
          CompositeOp.SoftmaxCrossEntropy _,
          CompositeOp.SigmoidCrossEntropy _,
          CompositeOp.BatchNormInference _,
          CompositeOp.LayerNorm _,
          CompositeOp.Gelu _,
          CompositeOp.Silu _ ->
          false;
    };
  }

  /**
   * Whether {@code n}'s kernels, vector and scalar, read operand {@code k} at each position before
   * writing the result there, so the result may share the operand's buffer.
   */
  public static boolean inPlaceAllowed(Node n, int k) {
    return switch (n.op()) {
      case ElementwiseOp.Unary u -> true;
      case ElementwiseOp.Binary b -> true;
      case ElementwiseOp.Select s -> k > 0;
      case ElementwiseOp.Cast c -> true;
      case ShapeOp.Reshape r -> true;
      case IndexingOp.ScatterAdd s -> k == 0;
      case CompositeOp.Softmax s -> true;
      case CompositeOp.LogSoftmax s -> true;
      case CompositeOp.AdamUpdate a -> true;
      default -> false;
    };
  }
}
