package dev.kiln.spi.ir;

import dev.kiln.spi.TensorType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable computation graph in SSA form: nodes in topological order, the inputs a caller
 * passes, the backend variables it reads, the outputs it returns and the variable updates it
 * applies after a run.
 *
 * <p>Variable updates take effect together once the run has computed every output, so every read in
 * a run sees the values from before it. Build one with {@link GraphBuilder}; print it with {@link
 * #toString()}.
 */
public final class Graph {
  private final List<Node> nodes;
  private final List<Value> inputs;
  private final List<Value> outputs;
  private final Map<String, Value> updates;
  private final Map<String, TensorType> variables;

  Graph(List<Node> nodes, List<Value> inputs, List<Value> outputs, Map<String, Value> updates) {
    this.nodes = List.copyOf(nodes);
    this.inputs = List.copyOf(inputs);
    this.outputs = List.copyOf(outputs);
    this.updates = Collections.unmodifiableMap(new LinkedHashMap<>(updates));
    Map<String, TensorType> vars = new LinkedHashMap<>();
    for (Node n : nodes) {
      if (n.op() instanceof SourceOp.VariableRead v) {
        vars.put(v.id(), v.type());
      }
    }
    for (Map.Entry<String, Value> u : updates.entrySet()) {
      vars.putIfAbsent(u.getKey(), u.getValue().type());
    }
    this.variables = Collections.unmodifiableMap(vars);
  }

  /** Every node, in an order where operands come before their users. */
  public List<Node> nodes() {
    return nodes;
  }

  /** The graph's inputs, in the order a caller passes them. */
  public List<Value> inputs() {
    return inputs;
  }

  /** The values a run returns. */
  public List<Value> outputs() {
    return outputs;
  }

  /** New values for backend variables, by variable id, applied after each run. */
  public Map<String, Value> updates() {
    return updates;
  }

  /** Every variable the graph reads or writes, by id, with its type. */
  public Map<String, TensorType> variables() {
    return variables;
  }

  /** The input types, in order. */
  public List<TensorType> inputTypes() {
    List<TensorType> t = new ArrayList<>();
    for (Value v : inputs) {
      t.add(v.type());
    }
    return t;
  }

  /** True if every value's shape is fully known, as a backend needs to compile it. */
  public boolean isStatic() {
    for (Node n : nodes) {
      for (Value v : n.outputs()) {
        if (!v.shape().isFullyKnown()) {
          return false;
        }
      }
    }
    return true;
  }

  /** A readable dump, one node per line; see {@link GraphPrinter}. */
  @Override
  public String toString() {
    return GraphPrinter.print(this);
  }
}
