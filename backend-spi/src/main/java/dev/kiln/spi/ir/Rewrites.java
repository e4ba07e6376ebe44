package dev.kiln.spi.ir;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Graph-to-graph rewrites that backends share. */
public final class Rewrites {
  private Rewrites() {}

  /**
   * The same graph with every composite op that {@code expand} accepts replaced by its
   * decomposition, scan bodies included. A backend that implements only some composites directly
   * expands the rest before compiling.
   *
   * {@snippet :
   * Graph g = Rewrites.expandComposites(graph, c -> !(c instanceof Op.Softmax));
   * }
   */
  public static Graph expandComposites(Graph g, Predicate<Op.Composite> expand) {
    GraphBuilder b = new GraphBuilder();
    Map<Value, Value> map = new HashMap<>();
    for (Node n : g.nodes()) {
      List<Value> args = new ArrayList<>();
      for (Value v : n.inputs()) {
        args.add(map.get(v));
      }
      List<Value> out =
          switch (n.op()) {
            case Op.Parameter p -> List.of(b.input(p.type()));
            case Op.VariableRead v -> List.of(b.variable(v.id(), v.type()));
            case Op.Composite c when expand.test(c) -> c.decompose(b, args);
            case Op.Scan s ->
                b.emit(
                    new Op.Scan(
                        expandComposites(s.body(), expand),
                        s.numCarries(),
                        s.numSequences(),
                        s.length(),
                        s.reverse()),
                    args);
            default -> b.emit(n.op(), args);
          };
      for (int i = 0; i < out.size(); i++) {
        map.put(n.outputs().get(i), out.get(i));
      }
    }
    for (Value o : g.outputs()) {
      b.output(map.get(o));
    }
    g.updates().forEach((id, v) -> b.update(id, map.get(v)));
    return b.build();
  }
}
