package dev.kiln.engine.cpu;

import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.Op;

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

  /** Composites with a kernel of their own; the rest run as their decomposition. */
  public static boolean hasDirectKernel(Op.Composite c) {
    return c instanceof Op.Softmax || c instanceof Op.LogSoftmax || c instanceof Op.AdamUpdate;
  }

  /**
   * Whether {@code n}'s kernels, vector and scalar, read operand {@code k} at each position before
   * writing the result there, so the result may share the operand's buffer.
   */
  public static boolean inPlaceAllowed(Node n, int k) {
    return switch (n.op()) {
      case Op.Unary u -> true;
      case Op.Binary b -> true;
      case Op.Select s -> k > 0;
      case Op.Cast c -> true;
      case Op.Reshape r -> true;
      case Op.ScatterAdd s -> k == 0;
      case Op.Softmax s -> true;
      case Op.LogSoftmax s -> true;
      case Op.AdamUpdate a -> true;
      default -> false;
    };
  }
}
