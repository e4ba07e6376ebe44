package dev.kiln.engine.cpu;

import java.lang.foreign.MemorySegment;

/**
 * One node's computation, with every shape-dependent decision made when it was built: at run time
 * it only reads its operands' memory and writes its results'.
 */
@FunctionalInterface
public interface Kernel {
  /**
   * Runs the node.
   *
   * @param in the operands' memory, in operand order
   * @param out the results' memory, in result order; may alias an operand where the planner decided
   *     the op runs in place
   */
  void run(MemorySegment[] in, MemorySegment[] out);
}
