package dev.kiln.engine;

import dev.kiln.engine.cpu.OffHeap;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.DeviceTensor;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.backend.ExecutableSupport;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.Rewrites;
import dev.kiln.spi.ir.SourceOp;
import dev.kiln.spi.ir.Value;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A compiled graph on the CPU. Outputs computed by a node are written straight into the tensors
 * returned to the caller. Every read in a run sees the variables' values from before it: a variable
 * update is written straight into the variable when its node is the last reader of the old value
 * (an optimizer's final elementwise op), and is otherwise staged in a planned buffer and copied
 * into the variable after the last kernel. A run that fails part way can therefore leave some
 * variables updated. Not thread-safe: one run at a time.
 */
final class NativeExecutable implements Executable {
  private final NativeBackend backend;
  private final Graph graph;
  private final Graph compiled;
  private final Arena arena = Arena.ofShared();
  private final Program program;
  private final Set<Value> external = new HashSet<>();
  private final Map<String, Value> updates;
  private final Value[] staged;
  private final MemorySegment[] staging;
  private boolean closed;

  NativeExecutable(NativeBackend backend, Graph graph) {
    this.backend = backend;
    this.graph = graph;
    this.compiled =
        Rewrites.expand(Rewrites.shareScans(graph), dev.kiln.engine.cpu.Kernels::hasDirectKernel);
    external.addAll(externalOutputs(compiled));
    this.updates = new LinkedHashMap<>(compiled.updates());
    this.program = new Program(compiled, backend, arena, external);
    this.staged = stagedUpdates(updates);
    this.staging = new MemorySegment[staged.length];
    for (int i = 0; i < staged.length; i++) {
      staging[i] =
          OffHeap.allocate(arena, NativeTensor.bytes(staged[i].type()), NativeTensor.ALIGNMENT);
    }
  }

  /**
   * The outputs a node computes, other than variable updates: the caller's tensors are bound to
   * them, so the node writes its result straight there.
   */
  static Set<Value> externalOutputs(Graph compiled) {
    Set<Value> external = new HashSet<>();
    for (Value v : compiled.outputs()) {
      boolean computed =
          !(v.node().op() instanceof SourceOp.Parameter
              || v.node().op() instanceof SourceOp.VariableRead
              || v.node().op() instanceof SourceOp.Constant);
      if (computed && !compiled.updates().containsValue(v)) {
        external.add(v);
      }
    }
    return external;
  }

  /** The updates' new values that are variables read in the run: staged before any update. */
  static Value[] stagedUpdates(Map<String, Value> updates) {
    return updates.values().stream()
        .filter(v -> v.node().op() instanceof SourceOp.VariableRead)
        .distinct()
        .toArray(Value[]::new);
  }

  @Override
  public Graph graph() {
    return graph;
  }

  @Override
  public Backend backend() {
    return backend;
  }

  /** Fused elementwise chains in the compiled program. */
  int fusedGroups() {
    return program.fusedGroups();
  }

  /** Variable updates written straight into the variables. */
  int updatesInPlace() {
    return program.updatesInPlace();
  }

  /** Bytes of the planned intermediate buffers. */
  long plannedBytes() {
    return program.plannedBytes();
  }

  @Override
  public synchronized List<DeviceTensor> run(List<DeviceTensor> inputs) {
    if (!Profile.ENABLED) {
      return runUnprofiled(inputs);
    }
    long t0 = System.nanoTime();
    try {
      return runUnprofiled(inputs);
    } finally {
      Profile.recordRun(System.nanoTime() - t0);
    }
  }

  private List<DeviceTensor> runUnprofiled(List<DeviceTensor> inputs) {
    backend.checkOpen();
    if (closed) {
      throw new dev.kiln.spi.backend.BackendException("native: the executable is closed");
    }
    ExecutableSupport.checkInputs(backend.name(), graph, inputs);
    ExecutableSupport.checkVariables(backend.name(), graph, backend);
    for (int i = 0; i < inputs.size(); i++) {
      program.bindInput(i, ((NativeTensor) inputs.get(i)).segment());
    }
    List<DeviceTensor> out = new ArrayList<>(compiled.outputs().size());
    for (Value v : compiled.outputs()) {
      NativeTensor t = new NativeTensor(v.type(), backend.cpu());
      if (external.contains(v) && out.stream().noneMatch(o -> o == t)) {
        program.bind(v, t.segment());
      }
      out.add(t);
    }
    try {
      program.run();
    } catch (RuntimeException e) {
      out.forEach(DeviceTensor::close);
      throw e;
    }
    for (int i = 0; i < out.size(); i++) {
      Value v = compiled.outputs().get(i);
      MemorySegment dst = ((NativeTensor) out.get(i)).segment();
      MemorySegment src = program.segment(v);
      if (src.address() != dst.address()) {
        MemorySegment.copy(src, 0, dst, 0, NativeTensor.bytes(v.type()));
      }
    }
    // An update may take another variable's value read in this run; stage those first so the
    // copies below cannot see a variable that an earlier copy already changed.
    for (int i = 0; i < staged.length; i++) {
      MemorySegment.copy(
          program.segment(staged[i]), 0, staging[i], 0, NativeTensor.bytes(staged[i].type()));
    }
    for (Map.Entry<String, Value> u : updates.entrySet()) {
      int st = java.util.Arrays.asList(staged).indexOf(u.getValue());
      MemorySegment src = st >= 0 ? staging[st] : program.segment(u.getValue());
      MemorySegment dst = backend.variableSegment(u.getKey());
      if (src.address() != dst.address()) {
        MemorySegment.copy(src, 0, dst, 0, NativeTensor.bytes(u.getValue().type()));
      }
    }
    return out;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      arena.close();
    }
  }
}
