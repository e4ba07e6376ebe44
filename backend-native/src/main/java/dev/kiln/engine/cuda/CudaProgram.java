package dev.kiln.engine.cuda;

import dev.kiln.engine.cpu.Kernels;
import dev.kiln.engine.cpu.OffHeap;
import dev.kiln.engine.plan.MemoryPlan;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.ir.ControlFlowOp;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.IndexingOp;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.ShapeOp;
import dev.kiln.spi.ir.SourceOp;
import dev.kiln.spi.ir.Value;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A graph compiled for a CUDA device: the CPU device's liveness memory plan, its buffers allocated
 * once on the device, and each live node lowered to its kernel launches. Running it binds the
 * inputs (and the caller's outputs), reads the variables' device addresses, and queues the launches
 * in order on the runtime's stream; nothing is allocated per run. A scan runs its body's program
 * once per step, the carries alternating between two buffer sets as on the CPU. When the runtime
 * compiles generated kernels, each chain of elementwise nodes ({@link FusedElementwise}) is one
 * launch at its last node.
 */
public final class CudaProgram implements AutoCloseable {
  /** Where the program finds the variables it reads. */
  @FunctionalInterface
  public interface Variables {
    /**
     * The device address of variable {@code id}.
     *
     * @throws BackendException when there is no such variable
     */
    long address(String id);
  }

  private sealed interface Step {}

  private record Launch(Node node, CudaLaunch launch, CudaLaunch.Ptr[] pointers, long[] at)
      implements Step {
    Launch(Node node, CudaLaunch launch) {
      this(
          node,
          launch,
          launch.pointers().toArray(CudaLaunch.Ptr[]::new),
          new long[launch.pointers().size()]);
    }
  }

  private record Scan(Node node, ScanRunner runner) implements Step {}

  private final Graph graph;
  private final CudaRuntime runtime;
  private final CudaAllocator allocator;
  private final MemoryPlan plan;
  private final Map<Value, Integer> slotOf = new HashMap<>();
  private final Map<Node, FusedElementwise.Kernel> fusedAt = new java.util.LinkedHashMap<>();
  private final long[] address;
  private final List<Step> steps = new ArrayList<>();
  private final List<Long> owned = new ArrayList<>();
  private final String[] variableIds;
  private final int[] variableSlots;
  private final int[] inputSlots;
  private long workspace;
  private long workspaceBytes;
  private boolean closed;

  /**
   * Compiles {@code graph} (already expanded for CUDA, see {@link CudaLowering#hasDirectKernel}).
   *
   * @param external values the caller binds per run (the outputs it reads), left unplanned
   * @throws BackendException when an op cannot be lowered (naming it) or memory runs out
   */
  public CudaProgram(
      Graph graph, Set<Value> external, CudaRuntime runtime, CudaAllocator allocator) {
    this.graph = graph;
    this.runtime = runtime;
    this.allocator = allocator;
    // A fused chain runs at its last node: its inputs stay alive until then, and its
    // intermediates, which stay in registers, get no memory.
    Map<Node, Node> runsWith = new HashMap<>();
    Set<Value> unplanned = new HashSet<>(external);
    for (FusedElementwise.Kernel k : fusedChains(graph, runtime)) {
      fusedAt.put(k.last(), k);
      for (Node n : k.nodes().subList(0, k.nodes().size() - 1)) {
        runsWith.put(n, k.last());
        unplanned.add(n.output());
      }
    }
    this.plan = new MemoryPlan(graph, unplanned, CudaProgram::inPlaceAllowed, runsWith);
    int count = 0;
    for (Node n : graph.nodes()) {
      for (Value v : n.outputs()) {
        slotOf.put(v, count++);
      }
    }
    address = new long[count];
    try {
      long[] buffers = new long[plan.bufferBytes.size()];
      for (int b = 0; b < buffers.length; b++) {
        int buffer = b;
        buffers[b] = own(plan.bufferBytes.get(b), () -> describeBuffer(buffer));
      }
      plan.bufferOf.forEach((v, b) -> address[slotOf.get(v)] = buffers[b]);
      CudaLowering lowering =
          new CudaLowering(
              slotOf::get, runtime.multiprocessors(), runtime.workspaceLimit(), runtime::cudnnPlan);
      for (Node n : plan.live) {
        if (runsWith.containsKey(n)) {
          continue;
        }
        FusedElementwise.Kernel fused = fusedAt.get(n);
        if (fused != null) {
          CudaLaunch l = fused.launch(slotOf::get);
          runtime.check(l.kernel());
          steps.add(new Launch(n, l));
          continue;
        }
        switch (n.op()) {
          case SourceOp.Parameter p -> {}
          case SourceOp.VariableRead r -> {}
          case SourceOp.Constant c -> {
            long at = own(MemoryPlan.bytes(n.output()), () -> "a constant " + n.output().type());
            MemorySegment host = OffHeap.heapSegment(c.value());
            runtime.copyToDevice(host, at, MemoryPlan.bytes(n.output()));
            address[slotOf.get(n.output())] = at;
          }
          case ControlFlowOp.Scan s -> steps.add(new Scan(n, new ScanRunner(s, n)));
          default -> {
            boolean aliased =
                (n.op() instanceof ShapeOp.Reshape || n.op() instanceof IndexingOp.ScatterAdd)
                    && plan.bufferOf.containsKey(n.output())
                    && plan.bufferOf.get(n.output()).equals(plan.bufferOf.get(n.inputs().get(0)));
            for (CudaLaunch l : lowering.lower(n, aliased)) {
              runtime.check(l.kernel());
              steps.add(new Launch(n, l));
            }
          }
        }
      }
      workspaceBytes = lowering.workspaceBytes();
      if (workspaceBytes > 0) {
        workspace = own(workspaceBytes, () -> "the convolutions' column matrices");
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    List<Node> vars =
        plan.live.stream().filter(n -> n.op() instanceof SourceOp.VariableRead).toList();
    variableIds = new String[vars.size()];
    variableSlots = new int[vars.size()];
    for (int i = 0; i < vars.size(); i++) {
      variableIds[i] = ((SourceOp.VariableRead) vars.get(i).op()).id();
      variableSlots[i] = slotOf.get(vars.get(i).output());
    }
    inputSlots = graph.inputs().stream().mapToInt(slotOf::get).toArray();
  }

  /**
   * The fused elementwise chains of {@code graph} that {@code runtime} compiled, or none when it
   * compiles no generated kernels.
   */
  private static List<FusedElementwise.Kernel> fusedChains(Graph graph, CudaRuntime runtime) {
    if (!runtime.canCompile()) {
      return List.of();
    }
    List<FusedElementwise.Kernel> chains = FusedElementwise.plan(graph);
    if (chains.isEmpty()) {
      return chains;
    }
    Set<String> compiled = runtime.compile(chains);
    return chains.stream().filter(k -> compiled.contains(k.name())).toList();
  }

  /** The fused chains this program launches, for tests. */
  public List<FusedElementwise.Kernel> fusedChains() {
    return List.copyOf(fusedAt.values());
  }

  /**
   * Whether node {@code n} may write its result over its operand {@code k}: the kernel reads each
   * element of that operand at the position it writes, before writing it.
   */
  static boolean inPlaceAllowed(Node n, int k) {
    // The CUDA kernels of these ops read an operand's element at the position they write, as the
    // CPU kernels do, so the CPU device's rule holds.
    return Kernels.inPlaceAllowed(n, k);
  }

  private long own(long bytes, java.util.function.Supplier<String> what) {
    long at = allocator.allocate(bytes, what);
    owned.add(at);
    return at;
  }

  private String describeBuffer(int b) {
    Value largest = null;
    for (Map.Entry<Value, Integer> e : plan.bufferOf.entrySet()) {
      if (e.getValue() == b
          && (largest == null || MemoryPlan.bytes(e.getKey()) > MemoryPlan.bytes(largest))) {
        largest = e.getKey();
      }
    }
    return (largest == null
            ? "a planned buffer"
            : "the result of " + largest.node().op().name() + " (" + largest.type() + ")")
        + "; the step's intermediate values need "
        + CudaAllocator.describe(plan.totalBytes())
        + " in all";
  }

  /** The graph compiled. */
  public Graph graph() {
    return graph;
  }

  /** The launches in order (a scan's body launches are its own program's), for tests. */
  public List<CudaLaunch> launches() {
    return steps.stream().filter(s -> s instanceof Launch).map(s -> ((Launch) s).launch()).toList();
  }

  /** The node each launch of {@link #launches()} computes, for tests. */
  public List<Node> launchNodes() {
    return steps.stream().filter(s -> s instanceof Launch).map(s -> ((Launch) s).node()).toList();
  }

  /** The body programs of the scans, in order, for tests. */
  public List<CudaProgram> scanBodies() {
    return steps.stream()
        .filter(s -> s instanceof Scan)
        .map(s -> ((Scan) s).runner().body)
        .toList();
  }

  /** Bytes of the planned buffers. */
  public long plannedBytes() {
    return plan.totalBytes();
  }

  /** Bytes of the workspace. */
  public long workspaceBytes() {
    return workspaceBytes;
  }

  /** The slot of value {@code v}. */
  public int slot(Value v) {
    return slotOf.get(v);
  }

  /** Binds graph input {@code i} to device memory. */
  public void bindInput(int i, long deviceAddress) {
    address[inputSlots[i]] = deviceAddress;
  }

  /** Binds an external value to device memory. */
  public void bind(Value v, long deviceAddress) {
    address[slotOf.get(v)] = deviceAddress;
  }

  /** The device address of value {@code v} (after binding, or a run for variables). */
  public long address(Value v) {
    return address[slotOf.get(v)];
  }

  /** The device address of a launch's pointer argument. */
  long resolve(CudaLaunch.Ptr p) {
    return (p.slot() == CudaLaunch.WORKSPACE ? workspace : address[p.slot()]) + p.byteOffset();
  }

  /** Queues the program's work on the runtime's stream. */
  public void run(Variables variables) {
    if (closed) {
      throw new BackendException("native (CUDA): the program is closed");
    }
    for (int i = 0; i < variableIds.length; i++) {
      address[variableSlots[i]] = variables.address(variableIds[i]);
    }
    for (Step s : steps) {
      switch (s) {
        case Launch l -> {
          for (int i = 0; i < l.at().length; i++) {
            l.at()[i] = resolve(l.pointers()[i]);
          }
          runtime.launch(l.launch(), l.at());
        }
        case Scan sc -> sc.runner().run(variables);
      }
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      for (Step s : steps) {
        if (s instanceof Scan sc) {
          sc.runner().close();
        }
      }
      for (long a : owned) {
        allocator.release(a);
      }
      owned.clear();
    }
  }

  /** A scan node of this program: its body's program and the carries' two buffer sets. */
  private final class ScanRunner implements AutoCloseable {
    private final ControlFlowOp.Scan scan;
    private final Node node;
    private final CudaProgram body;
    private final int k;
    private final int m;
    private final long[][] carries;

    ScanRunner(ControlFlowOp.Scan scan, Node node) {
      this.scan = scan;
      this.node = node;
      this.k = scan.numCarries();
      this.m = scan.numSequences();
      this.body = new CudaProgram(scan.body(), Set.of(), runtime, allocator);
      carries = new long[2][k];
      for (int set = 0; set < 2; set++) {
        for (int i = 0; i < k; i++) {
          Value c = scan.body().inputs().get(i);
          carries[set][i] = own(MemoryPlan.bytes(c), () -> "a scan carry " + c.type());
        }
      }
    }

    void run(Variables variables) {
      Graph g = scan.body();
      int cur = 0;
      for (int i = 0; i < k; i++) {
        runtime.copyOnDevice(
            carries[cur][i], address(node.inputs().get(i)), MemoryPlan.bytes(g.inputs().get(i)));
      }
      for (int c = k + m; c < g.inputs().size(); c++) {
        body.bindInput(c, address(node.inputs().get(c)));
      }
      for (int step = 0; step < scan.length(); step++) {
        int t = scan.reverse() ? scan.length() - 1 - step : step;
        for (int i = 0; i < k; i++) {
          body.bindInput(i, carries[cur][i]);
        }
        for (int i = 0; i < m; i++) {
          long stepBytes = MemoryPlan.bytes(g.inputs().get(k + i));
          body.bindInput(k + i, address(node.inputs().get(k + i)) + t * stepBytes);
        }
        body.run(variables);
        // Per-step outputs first: one may be an incoming carry, which the carry copy overwrites.
        for (int j = 0; j < scan.numStepOutputs(); j++) {
          Value y = g.outputs().get(k + j);
          long bytes = MemoryPlan.bytes(y);
          runtime.copyOnDevice(
              address(node.outputs().get(k + j)) + t * bytes, body.address(y), bytes);
        }
        int next = 1 - cur;
        for (int i = 0; i < k; i++) {
          Value c = g.outputs().get(i);
          runtime.copyOnDevice(carries[next][i], body.address(c), MemoryPlan.bytes(c));
        }
        cur = next;
      }
      for (int i = 0; i < k; i++) {
        runtime.copyOnDevice(
            address(node.outputs().get(i)), carries[cur][i], MemoryPlan.bytes(g.outputs().get(i)));
      }
    }

    @Override
    public void close() {
      body.close();
    }
  }
}
