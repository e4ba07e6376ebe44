package dev.kiln.engine.plan;

import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.ShapeOp;
import dev.kiln.spi.ir.SourceOp;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Assigns every computed value of a graph a buffer, reusing buffers whose values are dead and
 * running elementwise ops in place when an operand dies at them, so peak memory tracks the live
 * set. Values that the caller binds (inputs, variables), constants and values marked external
 * (fresh per run) get no planned buffer.
 */
public final class MemoryPlan {
  /** Nodes that must run, in order: those the outputs and updates depend on. */
  public final List<Node> live;

  /** The planned buffer of each value, or absent for bound, constant and external values. */
  public final Map<Value, Integer> bufferOf = new HashMap<>();

  /** The byte size of each planned buffer. */
  public final List<Long> bufferBytes = new ArrayList<>();

  /** How many of the planned values run in place on an operand's buffer. */
  public int inPlace;

  /**
   * Plans a graph.
   *
   * @param g the graph
   * @param external values that get their own memory per run (top-level outputs)
   * @param inPlaceOk whether a node may write its result over its operand {@code k}
   */
  public MemoryPlan(Graph g, Set<Value> external, InPlace inPlaceOk) {
    this(g, external, inPlaceOk, Map.of());
  }

  /**
   * Plans a graph in which some nodes run later than their place in the order: each node in {@code
   * runsWith} runs together with the node it maps to (a fused group runs at its last node), so the
   * values it reads stay alive until then.
   */
  public MemoryPlan(Graph g, Set<Value> external, InPlace inPlaceOk, Map<Node, Node> runsWith) {
    live = liveNodes(g);
    Map<Node, Integer> position = new HashMap<>();
    for (int i = 0; i < live.size(); i++) {
      position.put(live.get(i), i);
    }
    Map<Value, Integer> lastUse = new HashMap<>();
    for (int i = 0; i < live.size(); i++) {
      Node runsAt = runsWith.getOrDefault(live.get(i), live.get(i));
      int at = position.getOrDefault(runsAt, i);
      for (Value v : live.get(i).inputs()) {
        lastUse.merge(v, at, Math::max);
      }
    }
    for (Value v : g.outputs()) {
      lastUse.put(v, Integer.MAX_VALUE);
    }
    for (Value v : g.updates().values()) {
      lastUse.put(v, Integer.MAX_VALUE);
    }
    // A reshape's result shares its operand's buffer: the bytes are the same in the same order.
    // The operand then lives as long as the result, so its buffer is neither freed nor written in
    // place while either is alive.
    Map<Value, Value> aliasOf = new HashMap<>();
    for (int i = live.size() - 1; i >= 0; i--) {
      Node n = live.get(i);
      if (n.op() instanceof ShapeOp.Reshape
          && planned(n, n.output(), external)
          && planned(n.inputs().get(0).node(), n.inputs().get(0), external)
          && !runsWith.containsKey(n)
          && !runsWith.containsKey(n.inputs().get(0).node())) {
        Value in = n.inputs().get(0);
        aliasOf.put(n.output(), in);
        Integer outLast = lastUse.get(n.output());
        if (outLast != null) {
          lastUse.merge(in, outLast, Math::max);
        }
      }
    }
    // A node that runs later reads its operands there: their buffers free at that point.
    Map<Node, List<Value>> readLater = new HashMap<>();
    runsWith.forEach(
        (early, at) ->
            readLater.computeIfAbsent(at, x -> new ArrayList<>()).addAll(early.inputs()));
    // Free buffers by capacity: best fit keeps large buffers for large values.
    TreeMap<Long, List<Integer>> free = new TreeMap<>();
    for (int i = 0; i < live.size(); i++) {
      Node n = live.get(i);
      Set<Integer> claimed = new HashSet<>();
      for (Value out : n.outputs()) {
        if (!planned(n, out, external)) {
          continue;
        }
        Value aliased = aliasOf.get(out);
        if (aliased != null && bufferOf.containsKey(aliased)) {
          bufferOf.put(out, bufferOf.get(aliased));
          inPlace++;
          continue;
        }
        long bytes = bytes(out);
        Integer buf = null;
        for (int k = 0; k < n.inputs().size() && buf == null; k++) {
          Value in = n.inputs().get(k);
          Integer b = bufferOf.get(in);
          if (b != null
              && lastUse.getOrDefault(root(in, aliasOf), -1) == i
              && sharers(n, b) == 1
              && !claimed.contains(b)
              && in.shape().equals(out.shape())
              && bytes(in) == bytes
              && inPlaceOk.allowed(n, k)
              && n.inputs().indexOf(in) == n.inputs().lastIndexOf(in)) {
            buf = b;
            inPlace++;
          }
        }
        if (buf == null) {
          var e = free.ceilingEntry(bytes);
          if (e != null) {
            buf = e.getValue().remove(e.getValue().size() - 1);
            if (e.getValue().isEmpty()) {
              free.remove(e.getKey());
            }
          } else {
            buf = bufferBytes.size();
            bufferBytes.add(bytes);
          }
        }
        claimed.add(buf);
        bufferOf.put(out, buf);
      }
      Set<Integer> released = new HashSet<>();
      List<Value> read = new ArrayList<>(n.inputs());
      read.addAll(readLater.getOrDefault(n, List.of()));
      for (Value in : read) {
        Integer b = bufferOf.get(in);
        if (b != null
            && lastUse.getOrDefault(root(in, aliasOf), -1) == i
            && !claimed.contains(b)
            && released.add(b)) {
          free.computeIfAbsent(bufferBytes.get(b), x -> new ArrayList<>()).add(b);
        }
      }
      for (Value out : n.outputs()) {
        Integer b = bufferOf.get(out);
        if (b != null
            && !lastUse.containsKey(out)
            && !aliasOf.containsKey(out)
            && released.add(b)) {
          free.computeIfAbsent(bufferBytes.get(b), x -> new ArrayList<>()).add(b);
        }
      }
    }
  }

  /** The value whose buffer {@code v} shares, following reshapes back to the first. */
  private static Value root(Value v, Map<Value, Value> aliasOf) {
    Value r = v;
    while (aliasOf.containsKey(r)) {
      r = aliasOf.get(r);
    }
    return r;
  }

  /** How many of {@code n}'s operands are in buffer {@code b}. */
  private int sharers(Node n, int b) {
    int count = 0;
    for (Value in : n.inputs()) {
      if (Integer.valueOf(b).equals(bufferOf.get(in))) {
        count++;
      }
    }
    return count;
  }

  /** Decides whether a node may overwrite operand {@code k} with its result. */
  @FunctionalInterface
  public interface InPlace {
    /** True if the node's kernel reads operand {@code k} at each position before writing it. */
    boolean allowed(Node n, int k);
  }

  private static boolean planned(Node n, Value v, Set<Value> external) {
    return !(n.op() instanceof SourceOp.Parameter
        || n.op() instanceof SourceOp.VariableRead
        || n.op() instanceof SourceOp.Constant
        || external.contains(v));
  }

  /** The bytes a value occupies. */
  public static long bytes(Value v) {
    return v.shape().size() * v.dtype().byteSize();
  }

  /** The total planned bytes. */
  public long totalBytes() {
    long t = 0;
    for (long b : bufferBytes) {
      t += b;
    }
    return t;
  }

  /** The nodes that outputs and updates depend on, in order. */
  public static List<Node> liveNodes(Graph g) {
    Set<Value> needed = new HashSet<>(g.outputs());
    needed.addAll(g.updates().values());
    List<Node> nodes = g.nodes();
    boolean[] keep = new boolean[nodes.size()];
    for (int i = nodes.size() - 1; i >= 0; i--) {
      Node n = nodes.get(i);
      boolean used = n.op() instanceof SourceOp.Parameter;
      for (Value o : n.outputs()) {
        used |= needed.contains(o);
      }
      if (used) {
        keep[i] = true;
        needed.addAll(n.inputs());
      }
    }
    List<Node> out = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      if (keep[i]) {
        out.add(nodes.get(i));
      }
    }
    return out;
  }
}
