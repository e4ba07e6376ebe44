package dev.kiln.spi.backend;

import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.ControlFlowOp;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphPrinter;
import dev.kiln.spi.ir.Node;
import java.util.List;

/** Checks every backend makes the same way, so errors read the same whichever backend runs. */
public final class ExecutableSupport {
  private ExecutableSupport() {}

  /**
   * Checks a graph before compilation: every shape known.
   *
   * @throws BackendException naming the first node with an unknown dimension
   */
  public static void checkCompilable(String backend, Graph graph) {
    for (Node n : graph.nodes()) {
      for (var v : n.outputs()) {
        if (!v.shape().isFullyKnown()) {
          throw new BackendException(
              backend
                  + ": cannot compile a graph with unknown dimensions; node "
                  + GraphPrinter.describe(n)
                  + " has "
                  + v.type()
                  + ". Trace the model with concrete input shapes.");
        }
      }
      if (n.op() instanceof ControlFlowOp.Scan s) {
        checkCompilable(backend, s.body());
      }
    }
  }

  /**
   * Checks run inputs against the graph's inputs.
   *
   * @throws BackendException naming the input and both types
   */
  public static void checkInputs(String backend, Graph graph, List<? extends DeviceTensor> inputs) {
    if (inputs.size() != graph.inputs().size()) {
      throw new BackendException(
          backend
              + ": the executable takes "
              + graph.inputs().size()
              + " inputs "
              + graph.inputTypes()
              + " but received "
              + inputs.size());
    }
    for (int i = 0; i < inputs.size(); i++) {
      TensorType expected = graph.inputs().get(i).type();
      TensorType actual = inputs.get(i).type();
      if (!expected.equals(actual)) {
        throw new BackendException(
            backend + ": input " + i + " must be " + expected + " but received " + actual);
      }
    }
  }

  /**
   * Looks up the variables a graph names.
   *
   * @throws BackendException naming a variable that is missing or has another type
   */
  public static void checkVariables(String backend, Graph graph, Backend owner) {
    graph
        .variables()
        .forEach(
            (id, type) -> {
              Variable v =
                  owner
                      .variable(id)
                      .orElseThrow(
                          () ->
                              new BackendException(
                                  backend
                                      + ": the graph reads variable '"
                                      + id
                                      + "' ("
                                      + type
                                      + ") but the backend has no variable of that id"));
              if (!v.type().equals(type)) {
                throw new BackendException(
                    backend
                        + ": variable '"
                        + id
                        + "' is "
                        + v.type()
                        + " but the graph uses it as "
                        + type);
              }
            });
  }
}
