package dev.kiln.spi.testkit;

import dev.kiln.spi.DType;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * One conformance case: a small graph over random inputs.
 *
 * @param name the case's name, as the skip file names it ({@code forward.add.float32.17})
 * @param inputs the graph's input types
 * @param domains where each input's values come from
 * @param body emits the ops under test and returns the outputs to compare
 * @param terms about how many values each output element sums (scales the tolerance)
 */
public record OpCase(
    String name,
    List<TensorType> inputs,
    List<Domain> domains,
    BiFunction<GraphBuilder, List<Value>, List<Value>> body,
    double terms) {

  /** Builds the case's graph. */
  public Graph graph() {
    GraphBuilder b = new GraphBuilder();
    List<Value> in = new ArrayList<>();
    for (TensorType t : inputs) {
      in.add(b.input(t));
    }
    return b.output(body.apply(b, in).toArray(Value[]::new)).build();
  }

  /** The case with a tolerance for sums of {@code k} terms. */
  public OpCase terms(double k) {
    return new OpCase(name, inputs, domains, body, k);
  }

  /** A short name for a dtype in case names. */
  static String dt(DType d) {
    return d.kerasName();
  }
}
