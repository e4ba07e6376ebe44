package dev.kiln.spi.ir;

import dev.kiln.spi.TensorType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Graph-to-graph rewrites that backends share, so each backend's lowering sees only the ops it
 * implements.
 */
public final class Rewrites {
  /**
   * How deeply decompositions may nest (a composite whose decomposition uses a composite whose
   * ...). The composites today nest two deep; a chain this long means a decomposition that emits
   * itself.
   */
  static final int MAX_DEPTH = 16;

  private Rewrites() {}

  /**
   * The same graph with every composite op replaced by primitives, scan bodies included.
   *
   * @throws IllegalStateException if a decomposition does not terminate
   */
  public static Graph expandAll(Graph g) {
    return expand(g, c -> false);
  }

  /**
   * The same graph with every composite op that {@code keepWhole} rejects replaced by its
   * decomposition, to a fixed point: where a decomposition emits other composites, those are kept
   * or expanded by the same rule, so the result holds no composite that {@code keepWhole} rejects.
   * Scan bodies are rewritten too. A backend passes the composites it implements directly.
   *
   * {@snippet :
   * // The backend runs softmax as one kernel; every other composite becomes primitives.
   * Graph lowered = Rewrites.expand(graph, c -> c instanceof CompositeOp.Softmax);
   * }
   *
   * @param g the graph to rewrite; it is not changed
   * @param keepWhole the composites to leave in place
   * @return a new graph with the same inputs, outputs and variable updates
   * @throws IllegalStateException if a decomposition does not terminate (it emits, directly or
   *     through others, the composite being expanded); the message names the chain of ops
   */
  public static Graph expand(Graph g, Predicate<? super CompositeOp> keepWhole) {
    GraphBuilder b = new GraphBuilder();
    Map<Value, Value> map = replay(b, g, null, keepWhole, new ArrayDeque<>());
    for (Value o : g.outputs()) {
      b.output(map.get(o));
    }
    g.updates().forEach((id, v) -> b.update(id, map.get(v)));
    return b.build();
  }

  /**
   * The same graph with each scan that another scan repeats removed: where scan B has scan A's
   * operands and attributes and a body that computes A's body's outputs followed by more, A's
   * results are read from B and A is not run. The gradient of a scan emits such a B (the forward
   * loop again, also returning the carry that entered each step), so after this rewrite a training
   * step runs its forward loop once instead of twice.
   *
   * @param g the graph to rewrite; it is not changed
   * @return {@code g} itself when no scan repeats another, otherwise a new graph with the same
   *     inputs, outputs and variable updates
   */
  public static Graph shareScans(Graph g) {
    Map<Node, Node> replacedBy = new HashMap<>();
    List<Node> scans =
        g.nodes().stream().filter(n -> n.op() instanceof ControlFlowOp.Scan).toList();
    for (int i = 0; i < scans.size(); i++) {
      Node a = scans.get(i);
      if (replacedBy.containsKey(a)) {
        continue;
      }
      for (int j = 0; j < scans.size(); j++) {
        Node b = scans.get(j);
        if (b != a
            && !replacedBy.containsKey(b)
            && !replacedBy.containsValue(a)
            && extendsScan(b, a)) {
          replacedBy.put(a, b);
          break;
        }
      }
    }
    if (replacedBy.isEmpty()) {
      return g;
    }
    Map<Node, Node> wide = new HashMap<>();
    replacedBy.forEach((narrow, w) -> wide.put(w, narrow));
    GraphBuilder b = new GraphBuilder();
    Map<Value, Value> map = new HashMap<>();
    for (Node n : g.nodes()) {
      if (wide.containsKey(n)) {
        // Emitted where the scan it replaces stood; both take the same operands.
        continue;
      }
      Node emitted = replacedBy.getOrDefault(n, n);
      List<Value> operands = new ArrayList<>(n.inputs().size());
      for (Value v : n.inputs()) {
        operands.add(map.get(v));
      }
      List<Value> results =
          switch (n.op()) {
            case SourceOp.Parameter p -> List.of(b.input(p.type()));
            case SourceOp.VariableRead v -> List.of(b.variable(v.id(), v.type()));
            default -> b.emit(emitted.op(), operands);
          };
      for (int i = 0; i < results.size(); i++) {
        map.put(emitted.outputs().get(i), results.get(i));
        if (emitted != n && i < n.outputs().size()) {
          map.put(n.outputs().get(i), results.get(i));
        }
      }
    }
    for (Value o : g.outputs()) {
      b.output(map.get(o));
    }
    g.updates().forEach((id, v) -> b.update(id, map.get(v)));
    return b.build();
  }

  /**
   * True if scan node {@code wide} computes everything scan node {@code narrow} does: the same
   * operands and attributes, and a body whose leading outputs are {@code narrow}'s body's outputs,
   * node for node.
   */
  private static boolean extendsScan(Node wide, Node narrow) {
    ControlFlowOp.Scan w = (ControlFlowOp.Scan) wide.op();
    ControlFlowOp.Scan s = (ControlFlowOp.Scan) narrow.op();
    if (!wide.inputs().equals(narrow.inputs())
        || w.numCarries() != s.numCarries()
        || w.numSequences() != s.numSequences()
        || w.length() != s.length()
        || w.reverse() != s.reverse()
        || w.body().outputs().size() < s.body().outputs().size()) {
      return false;
    }
    Map<Value, Value> same = sameNodes(s.body(), w.body());
    if (same == null) {
      return false;
    }
    List<Value> so = s.body().outputs();
    for (int i = 0; i < so.size(); i++) {
      if (same.get(so.get(i)) != w.body().outputs().get(i)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Pairs the values of two graphs that compute the same thing: parameters by index, then every
   * other node in order, which must apply an equal op to paired operands. Null if {@code a}'s nodes
   * are not, in order, the leading non-parameter nodes of {@code b}.
   */
  private static Map<Value, Value> sameNodes(Graph a, Graph b) {
    if (a.inputs().size() != b.inputs().size()) {
      return null;
    }
    Map<Value, Value> same = new HashMap<>();
    for (int i = 0; i < a.inputs().size(); i++) {
      if (!a.inputs().get(i).type().equals(b.inputs().get(i).type())) {
        return null;
      }
      same.put(a.inputs().get(i), b.inputs().get(i));
    }
    List<Node> an =
        a.nodes().stream().filter(n -> !(n.op() instanceof SourceOp.Parameter)).toList();
    List<Node> bn =
        b.nodes().stream().filter(n -> !(n.op() instanceof SourceOp.Parameter)).toList();
    if (bn.size() < an.size()) {
      return null;
    }
    for (int i = 0; i < an.size(); i++) {
      Node x = an.get(i);
      Node y = bn.get(i);
      if (!x.op().equals(y.op())
          || x.inputs().size() != y.inputs().size()
          || x.outputs().size() != y.outputs().size()) {
        return null;
      }
      for (int j = 0; j < x.inputs().size(); j++) {
        if (same.get(x.inputs().get(j)) != y.inputs().get(j)) {
          return null;
        }
      }
      for (int j = 0; j < x.outputs().size(); j++) {
        same.put(x.outputs().get(j), y.outputs().get(j));
      }
    }
    return same;
  }

  /**
   * Emits {@code g}'s nodes into {@code b}, expanding composites on the way. With {@code args} null
   * the graph's parameters become inputs of {@code b}; otherwise they stand for {@code args}.
   *
   * @return where each value of {@code g} went in {@code b}
   */
  private static Map<Value, Value> replay(
      GraphBuilder b,
      Graph g,
      List<Value> args,
      Predicate<? super CompositeOp> keepWhole,
      Deque<CompositeOp> path) {
    Map<Value, Value> map = new HashMap<>();
    // Each broadcast_to result emitted so far, and what it broadcasts.
    Map<Value, Value> broadcastOf = new HashMap<>();
    for (Node n : g.nodes()) {
      List<Value> operands = new ArrayList<>(n.inputs().size());
      for (Value v : n.inputs()) {
        operands.add(map.get(v));
      }
      if (n.op() instanceof ElementwiseOp.Binary || n.op() instanceof ElementwiseOp.Compare) {
        operands = unbroadcast(n, operands, broadcastOf);
        Value sunk = sinkBroadcast(b, n, operands, broadcastOf);
        if (sunk != null) {
          map.put(n.outputs().get(0), sunk);
          continue;
        }
      }
      // Only ops that need more than a copy are named; every other op is emitted as it is.
      List<Value> results =
          switch (n.op()) {
            case SourceOp.Parameter p ->
                List.of(args == null ? b.input(p.type()) : args.get(p.index()));
            case SourceOp.VariableRead v -> List.of(b.variable(v.id(), v.type()));
            case ControlFlowOp.Scan s ->
                b.emit(
                    new ControlFlowOp.Scan(
                        expand(s.body(), keepWhole),
                        s.numCarries(),
                        s.numSequences(),
                        s.length(),
                        s.reverse()),
                    operands);
            case CompositeOp c when !keepWhole.test(c) ->
                expandOne(b, c, operands, keepWhole, path);
            default -> b.emit(n.op(), operands);
          };
      for (int i = 0; i < results.size(); i++) {
        map.put(n.outputs().get(i), results.get(i));
      }
      if (n.op() instanceof ShapeOp.BroadcastTo) {
        broadcastOf.put(results.get(0), operands.get(0));
      }
    }
    return map;
  }

  /**
   * Where every operand of elementwise node {@code n} that the op's result is as large as is a
   * {@code broadcast_to} (a reduction's gradient times a scalar), the op on what they broadcast,
   * then one broadcast of its result, which the consumers may in turn read small; else null.
   */
  private static Value sinkBroadcast(
      GraphBuilder b, Node n, List<Value> operands, Map<Value, Value> broadcastOf) {
    TensorType out = n.outputs().get(0).type();
    List<Value> small = new ArrayList<>(operands);
    boolean any = false;
    for (int i = 0; i < small.size(); i++) {
      Value source = broadcastOf.get(small.get(i));
      if (source != null) {
        small.set(i, source);
        any = true;
      } else if (small.get(i).shape().equals(out.shape())) {
        return null;
      }
    }
    if (!any) {
      return null;
    }
    TensorType t;
    try {
      t = n.op().infer(small.stream().map(Value::type).toList()).get(0);
    } catch (RuntimeException e) {
      return null;
    }
    if (t.shape().size() >= out.shape().size()) {
      return null;
    }
    Value wide = b.broadcastTo(b.emit(n.op(), small).get(0), out.shape());
    broadcastOf.put(wide, wide.node().inputs().get(0));
    return wide;
  }

  /**
   * The operands of elementwise node {@code n} with each {@code broadcast_to} operand replaced by
   * what it broadcasts, where the op's own broadcasting gives the same result shape: the kernel
   * then reads the small operand (a normalization's per-channel statistics, a reduction's gradient)
   * instead of a copy written out at full size, which is left dead.
   */
  private static List<Value> unbroadcast(
      Node n, List<Value> operands, Map<Value, Value> broadcastOf) {
    List<Value> result = operands;
    for (int i = 0; i < operands.size(); i++) {
      Value source = broadcastOf.get(result.get(i));
      if (source == null) {
        continue;
      }
      List<Value> trial = new ArrayList<>(result);
      trial.set(i, source);
      boolean same;
      try {
        same =
            n.op()
                .infer(trial.stream().map(Value::type).toList())
                .get(0)
                .equals(n.outputs().get(0).type());
      } catch (RuntimeException e) {
        same = false;
      }
      if (same) {
        result = trial;
      }
    }
    return result;
  }

  /**
   * Emits {@code c}'s decomposition on {@code operands} into {@code b}, expanding the composites
   * the decomposition itself emits. The decomposition is first built on its own so that its
   * composites can be expanded before anything reaches {@code b}.
   */
  private static List<Value> expandOne(
      GraphBuilder b,
      CompositeOp c,
      List<Value> operands,
      Predicate<? super CompositeOp> keepWhole,
      Deque<CompositeOp> path) {
    path.addLast(c);
    if (path.size() > MAX_DEPTH) {
      throw new IllegalStateException(
          "the decomposition of composite op '"
              + path.getFirst().name()
              + "' does not terminate: "
              + path.stream().map(Op::name).collect(Collectors.joining(" > ")));
    }
    GraphBuilder scratch = new GraphBuilder();
    List<Value> params = new ArrayList<>(operands.size());
    for (Value v : operands) {
      params.add(scratch.input(v.type()));
    }
    List<Value> results = c.decompose(scratch, params);
    Graph decomposition = scratch.output(results.toArray(Value[]::new)).build();
    Map<Value, Value> map = replay(b, decomposition, operands, keepWhole, path);
    path.removeLast();
    List<Value> out = new ArrayList<>(results.size());
    for (Value r : decomposition.outputs()) {
      out.add(map.get(r));
    }
    return out;
  }
}
