package dev.kiln.spi.ir;

import java.util.List;

/**
 * One op applied to its operands in a graph.
 *
 * @param id the node's number, unique in its graph and increasing in topological order
 * @param op the op and its attributes
 * @param inputs the operands
 * @param outputs the results
 */
public record Node(int id, Op op, List<Value> inputs, List<Value> outputs) {
  /** The single result of a one-result node. */
  public Value output() {
    if (outputs.size() != 1) {
      throw new IllegalStateException(op.name() + " has " + outputs.size() + " results");
    }
    return outputs.get(0);
  }
}
