package dev.kiln.engine;

import dev.kiln.engine.cpu.CpuPool;
import dev.kiln.engine.cpu.Kernel;
import dev.kiln.engine.cpu.Kernels;
import dev.kiln.engine.plan.MemoryPlan;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds chains of elementwise nodes to run as one kernel. A node joins the chain that produced one
 * of its operands when that operand has no other use (and is not a graph output or update), so the
 * chain's intermediates never need to reach memory. The chain runs at its last node; the memory
 * planner keeps the chain's inputs alive until then.
 */
final class Fusion {
  /**
   * One fused chain.
   *
   * @param nodes the chain in order
   * @param inputs the values it reads from outside, in kernel operand order
   * @param kernel the fused kernel
   */
  record Group(List<Node> nodes, List<Value> inputs, Kernel kernel) {}

  private final Map<Node, Group> byLast = new HashMap<>();
  private final Map<Node, Node> runsWith = new HashMap<>();

  private Fusion() {}

  /** Chains no shorter than two nodes over tensors of at least {@code minElements}. */
  static Fusion plan(Graph g, CpuPool pool) {
    Fusion f = new Fusion();
    if (!Kernels.fusionEnabled()) {
      return f;
    }
    List<Node> live = MemoryPlan.liveNodes(g);
    Map<Value, Integer> uses = new HashMap<>();
    for (Node n : live) {
      for (Value v : n.inputs()) {
        uses.merge(v, 1, Integer::sum);
      }
    }
    Set<Value> pinned = new HashSet<>(g.outputs());
    pinned.addAll(g.updates().values());
    Map<Value, List<Node>> open = new HashMap<>();
    List<List<Node>> chains = new ArrayList<>();
    for (Node n : live) {
      if (!Kernels.fusable(n)) {
        continue;
      }
      List<Node> chain = null;
      for (Value v : n.inputs()) {
        List<Node> c = open.get(v);
        if (c != null && uses.getOrDefault(v, 0) == 1 && !pinned.contains(v)) {
          chain = c;
          open.remove(v);
          break;
        }
      }
      if (chain == null) {
        chain = new ArrayList<>();
        chains.add(chain);
      }
      chain.add(n);
      open.put(n.output(), chain);
    }
    for (List<Node> chain : chains) {
      if (chain.size() < 2) {
        continue;
      }
      Set<Value> inside = new HashSet<>();
      for (Node n : chain) {
        inside.add(n.output());
      }
      LinkedHashSet<Value> inputs = new LinkedHashSet<>();
      for (Node n : chain) {
        for (Value v : n.inputs()) {
          if (!inside.contains(v)) {
            inputs.add(v);
          }
        }
      }
      List<Value> in = List.copyOf(inputs);
      Node last = chain.get(chain.size() - 1);
      f.byLast.put(last, new Group(chain, in, Kernels.fused(chain, in, pool)));
      for (Node n : chain.subList(0, chain.size() - 1)) {
        f.runsWith.put(n, last);
      }
    }
    return f;
  }

  /** Each fused node that is not its chain's last, mapped to the last. */
  Map<Node, Node> runsWith() {
    return runsWith;
  }

  /** The chain that ends at {@code n}, or null. */
  Group groupEndingAt(Node n) {
    return byLast.get(n);
  }
}
