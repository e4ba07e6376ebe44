package dev.kiln.engine;

import dev.kiln.engine.cpu.KeepingKernel;
import dev.kiln.engine.cpu.Kernel;
import dev.kiln.engine.cpu.Kernels;
import dev.kiln.engine.cpu.OffHeap;
import dev.kiln.engine.plan.MemoryPlan;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.ir.ControlFlowOp;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphPrinter;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.SourceOp;
import dev.kiln.spi.ir.Value;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A graph compiled for the CPU: one kernel per live node, operands and results resolved to slots,
 * planned buffers allocated once in the program's arena. Running it binds the inputs (and, at top
 * level, the external outputs), reads variables from the backend, and runs the kernels in order;
 * nothing is allocated per run.
 */
final class Program {
  private final Graph graph;
  private final NativeBackend backend;
  private final MemorySegment[] slots;
  private final Map<Value, Integer> slotOf = new HashMap<>();
  private final Step[] steps;
  private final int[] inputSlots;
  private final String[] variableIds;
  private final int[] variableSlots;
  private final MemoryPlan plan;
  private final Fusion fusion;
  private final Map<Value, String> inVariable;
  private final String[] updateIds;
  private final int[] updateSlots;
  private final Set<Value> kept;
  private final List<KeepingKernel> keeping = new ArrayList<>();

  private record Step(
      Node node,
      Kernel kernel,
      int[] in,
      int[] out,
      MemorySegment[] inSeg,
      MemorySegment[] outSeg) {}

  Program(Graph graph, NativeBackend backend, Arena arena, Set<Value> external) {
    this(graph, backend, arena, external, Set.of());
  }

  /**
   * A program whose values in {@code kept} (inputs bound once for many runs, as a scan binds its
   * constants) stay the same until {@link #keptInputsChanged()}.
   */
  Program(Graph graph, NativeBackend backend, Arena arena, Set<Value> external, Set<Value> kept) {
    this.graph = graph;
    this.kept = kept;
    this.backend = backend;
    this.fusion = Fusion.plan(graph, backend.pool());
    this.inVariable = updatesInVariables(graph, external, fusion.runsWith());
    Set<Value> unplanned = new HashSet<>(external);
    unplanned.addAll(inVariable.keySet());
    this.plan = new MemoryPlan(graph, unplanned, Kernels::inPlaceAllowed, fusion.runsWith());
    MemorySegment[] buffers = new MemorySegment[plan.bufferBytes.size()];
    for (int i = 0; i < buffers.length; i++) {
      try {
        buffers[i] = OffHeap.allocate(arena, plan.bufferBytes.get(i), NativeTensor.ALIGNMENT);
      } catch (OutOfMemoryError e) {
        throw outOfMemory(i, e);
      }
    }
    int count = 0;
    for (Node n : graph.nodes()) {
      for (Value v : n.outputs()) {
        slotOf.put(v, count++);
      }
    }
    slots = new MemorySegment[count];
    plan.bufferOf.forEach((v, b) -> slots[slotOf.get(v)] = buffers[b]);
    inputSlots = new int[graph.inputs().size()];
    for (int i = 0; i < inputSlots.length; i++) {
      inputSlots[i] = slotOf.get(graph.inputs().get(i));
    }
    List<Node> vars =
        graph.nodes().stream().filter(n -> n.op() instanceof SourceOp.VariableRead).toList();
    variableIds = new String[vars.size()];
    variableSlots = new int[vars.size()];
    for (int i = 0; i < vars.size(); i++) {
      variableIds[i] = ((SourceOp.VariableRead) vars.get(i).op()).id();
      variableSlots[i] = slotOf.get(vars.get(i).output());
    }
    updateIds = inVariable.values().toArray(String[]::new);
    updateSlots = inVariable.keySet().stream().mapToInt(slotOf::get).toArray();
    steps =
        plan.live.stream()
            .filter(
                n ->
                    !(n.op() instanceof SourceOp.Parameter
                        || n.op() instanceof SourceOp.VariableRead))
            .filter(n -> !fusion.runsWith().containsKey(n))
            .map(n -> step(n, arena))
            .filter(s -> s != null)
            .toArray(Step[]::new);
  }

  private Step step(Node n, Arena arena) {
    if (n.op() instanceof SourceOp.Constant c) {
      MemorySegment seg =
          OffHeap.allocate(arena, MemoryPlan.bytes(n.output()), NativeTensor.ALIGNMENT);
      NativeBackend.copyIn(c.value(), seg);
      slots[slotOf.get(n.output())] = seg;
      return null;
    }
    Kernel k;
    Fusion.Group group = fusion.groupEndingAt(n);
    if (group != null) {
      int[] in = group.inputs().stream().mapToInt(slotOf::get).toArray();
      int[] out = {slotOf.get(n.output())};
      return new Step(
          n, group.kernel(), in, out, new MemorySegment[in.length], new MemorySegment[1]);
    }
    if (n.op() instanceof ControlFlowOp.Scan s) {
      k = new ScanKernel(s, n, backend, arena);
    } else {
      k = Kernels.of(n, backend.pool(), kept);
      if (k instanceof KeepingKernel kk) {
        keeping.add(kk);
      }
    }
    if (k == null) {
      throw new BackendException(
          "native: no CPU kernel for op '"
              + n.op().name()
              + "' at node "
              + GraphPrinter.describe(n));
    }
    int[] in = n.inputs().stream().mapToInt(slotOf::get).toArray();
    int[] out = n.outputs().stream().mapToInt(slotOf::get).toArray();
    return new Step(n, k, in, out, new MemorySegment[in.length], new MemorySegment[out.length]);
  }

  /**
   * The variable updates whose node can write straight into the variable's memory, by value. The
   * node must be the last to read the variable's old value, reading it (if at all) only where its
   * kernel reads each element before writing it; the old value must not be a graph output or
   * another variable's new value, and the new value must not be a graph output. The others are
   * computed into planned buffers and copied after the run.
   */
  private static Map<Value, String> updatesInVariables(
      Graph g, Set<Value> external, Map<Node, Node> runsWith) {
    Map<Value, String> result = new LinkedHashMap<>();
    if (g.updates().isEmpty()
        || g.nodes().stream().anyMatch(n -> n.op() instanceof ControlFlowOp.Scan)) {
      // A scan body may read a variable where this analysis cannot see it.
      return result;
    }
    List<Node> order = MemoryPlan.liveNodes(g);
    Map<Node, Integer> position = new HashMap<>();
    for (int i = 0; i < order.size(); i++) {
      position.put(order.get(i), i);
    }
    Map<String, List<Value>> reads = new HashMap<>();
    for (Node n : order) {
      if (n.op() instanceof SourceOp.VariableRead r) {
        reads.computeIfAbsent(r.id(), k -> new ArrayList<>()).add(n.output());
      }
    }
    Map<Value, List<Node>> readers = new HashMap<>();
    for (Node n : order) {
      for (Value v : n.inputs()) {
        readers.computeIfAbsent(v, k -> new ArrayList<>()).add(n);
      }
    }
    Set<Value> updateValues = new HashSet<>(g.updates().values());
    for (Map.Entry<String, Value> e : g.updates().entrySet()) {
      Value u = e.getValue();
      Node writer = u.node();
      boolean ok =
          !(writer.op() instanceof SourceOp.VariableRead
                  || writer.op() instanceof SourceOp.Parameter
                  || writer.op() instanceof SourceOp.Constant)
              && !external.contains(u)
              && !g.outputs().contains(u)
              && g.updates().values().stream().filter(u::equals).count() == 1
              && !runsWith.containsKey(writer)
              && !runsWith.containsValue(writer)
              && position.containsKey(writer);
      for (Value r : reads.getOrDefault(e.getKey(), List.of())) {
        if (!ok) {
          break;
        }
        ok = !g.outputs().contains(r) && !updateValues.contains(r);
        for (Node reader : readers.getOrDefault(r, List.of())) {
          Node runsAt = runsWith.getOrDefault(reader, reader);
          if (reader == writer) {
            for (int k = 0; k < writer.inputs().size(); k++) {
              if (writer.inputs().get(k) == r) {
                ok &= r.shape().equals(u.shape()) && Kernels.inPlaceAllowed(writer, k);
              }
            }
          } else {
            ok &= position.getOrDefault(runsAt, Integer.MAX_VALUE) < position.get(writer);
          }
        }
      }
      if (ok) {
        result.put(u, e.getKey());
      }
    }
    return result;
  }

  /** The inputs in the kept set may have changed: kernels recompute what they derived. */
  void keptInputsChanged() {
    for (KeepingKernel k : keeping) {
      k.operandsChanged();
    }
  }

  /** Kernels that keep work across runs, for tests. */
  int keepingKernels() {
    return keeping.size();
  }

  /** Variable updates written in place, for tests. */
  int updatesInPlace() {
    return inVariable.size();
  }

  /** The slot of a value, for binding. */
  int slot(Value v) {
    return slotOf.get(v);
  }

  /** Binds graph input {@code i}. */
  void bindInput(int i, MemorySegment seg) {
    slots[inputSlots[i]] = seg;
  }

  /** Binds the memory of an external value. */
  void bind(Value v, MemorySegment seg) {
    slots[slotOf.get(v)] = seg;
  }

  /** The memory of a value after a run. */
  MemorySegment segment(Value v) {
    return slots[slotOf.get(v)];
  }

  /** The graph compiled. */
  Graph graph() {
    return graph;
  }

  /** Planned bytes, for tests and benchmarks. */
  long plannedBytes() {
    return plan.totalBytes();
  }

  /** Fused elementwise chains. */
  int fusedGroups() {
    return (int) plan.live.stream().filter(n -> fusion.groupEndingAt(n) != null).count();
  }

  /** Values computed in place. */
  int inPlaceCount() {
    return plan.inPlace;
  }

  void run() {
    for (int i = 0; i < variableIds.length; i++) {
      MemorySegment seg = backend.variableSegment(variableIds[i]);
      if (seg == null) {
        throw new BackendException(
            "native: the graph reads variable '"
                + variableIds[i]
                + "' but the backend has no variable of that id");
      }
      slots[variableSlots[i]] = seg;
    }
    for (int i = 0; i < updateIds.length; i++) {
      slots[updateSlots[i]] = backend.variableSegment(updateIds[i]);
    }
    for (Step s : steps) {
      for (int i = 0; i < s.in.length; i++) {
        s.inSeg[i] = slots[s.in[i]];
      }
      for (int i = 0; i < s.out.length; i++) {
        s.outSeg[i] = slots[s.out[i]];
      }
      if (Profile.ENABLED) {
        long t0 = System.nanoTime();
        s.kernel.run(s.inSeg, s.outSeg);
        Profile.record(s.node, System.nanoTime() - t0);
      } else {
        s.kernel.run(s.inSeg, s.outSeg);
      }
    }
  }

  /** The failure to allocate planned buffer {@code b}, naming the largest value it holds. */
  private BackendException outOfMemory(int b, OutOfMemoryError e) {
    Value largest = null;
    for (Map.Entry<Value, Integer> en : plan.bufferOf.entrySet()) {
      if (en.getValue() == b
          && (largest == null || MemoryPlan.bytes(en.getKey()) > MemoryPlan.bytes(largest))) {
        largest = en.getKey();
      }
    }
    long total = 0;
    for (long bytes : plan.bufferBytes) {
      total += bytes;
    }
    return new BackendException(
        "native: out of native memory allocating "
            + OffHeap.describeBytes(plan.bufferBytes.get(b))
            + (largest == null
                ? ""
                : " for the result of " + largest.node().op().name() + " (" + largest.type() + ")")
            + "; the step's intermediate values need "
            + OffHeap.describeBytes(total)
            + " in all. Native memory is bounded by the machine's or container's memory limit"
            + " (and `ulimit -v`), not by -Xmx; use a smaller batch size or model ("
            + e.getMessage()
            + ")",
        e);
  }
}
