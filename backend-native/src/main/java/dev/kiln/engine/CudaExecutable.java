package dev.kiln.engine;

import dev.kiln.engine.cuda.CudaLowering;
import dev.kiln.engine.cuda.CudaProgram;
import dev.kiln.engine.cuda.CudaRuntime;
import dev.kiln.engine.cuda.CudaTensor;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.backend.DeviceTensor;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.backend.ExecutableSupport;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.Rewrites;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A compiled graph on a CUDA device. Inputs and outputs are device tensors; variables stay on the
 * device, and a run's updates are copied into them on the device after the last kernel, so every
 * read in a run sees the values from before it (updates whose new value is another variable's old
 * value are staged first). The work is queued on the device's stream; downloading an output waits
 * for it. Not thread-safe: one run at a time.
 *
 * <p><b>CUDA graphs.</b> Where the device can capture work ({@link CudaRuntime#canCapture}), a step
 * is captured into a CUDA graph once two runs in a row found the variables at the same device
 * addresses, and from then on each run is one graph launch instead of a launch per kernel. The
 * first run therefore always runs launch by launch, which also loads the kernels' modules and warms
 * cuBLAS outside the capture. Every step of a {@link CudaProgram} (kernel launches, cuBLAS calls
 * and device copies, scans included) can be captured, and its shapes are fixed when it is compiled.
 * A graph bakes in every address, so the captured step reads its inputs from buffers of its own
 * (each run copies the caller's inputs there first) and writes its outputs to buffers of its own
 * (copied into the returned tensors after the launch). Variables' addresses are baked too: each run
 * checks them, and when one changed (a variable re-created elsewhere in memory) the graph is
 * dropped, the run goes launch by launch, and the next run with the same addresses captures anew.
 * {@code -Dkiln.cuda.graphs=false} (or {@code KILN_CUDA_GRAPHS=false}) turns capture off. When the
 * device refuses a capture, this executable logs a warning with the reason and runs launch by
 * launch from then on; the step itself never fails for it.
 *
 * <p>Without a graph, outputs computed by a node are written straight into the tensors returned.
 */
final class CudaExecutable implements Executable {
  private static final Logger LOG = LoggerFactory.getLogger(CudaExecutable.class);

  /**
   * For tests on a fake device: capture at the first run instead of the second, so that a suite
   * that runs each step once runs it captured. A real device needs the warm-up run first (modules,
   * cuBLAS's first use).
   */
  static volatile boolean captureAtFirstRun;

  private final NativeBackend backend;
  private final NativeBackend.CudaPlace place;
  private final Graph graph;
  private final Graph compiled;
  private final CudaProgram program;
  private final Set<Value> external = new HashSet<>();
  private final Map<String, Value> updates;
  private final Value[] staged;
  private final CudaTensor[] staging;
  private final Recorder variables = new Recorder();
  private final boolean graphs;
  private String[] lastIds;
  private long[] lastAddresses;
  private long captured;
  private boolean hasGraph;
  private String[] graphIds;
  private long[] graphAddresses;
  private CudaTensor[] fixedInputs;
  private Map<Value, CudaTensor> fixedOutputs;
  private String graphProblem;
  private int captures;
  private int graphLaunches;
  private boolean closed;

  CudaExecutable(NativeBackend backend, Graph graph, NativeBackend.CudaPlace place) {
    this.backend = backend;
    this.place = place;
    this.graph = graph;
    this.compiled = Rewrites.expand(Rewrites.shareScans(graph), CudaLowering::hasDirectKernel);
    external.addAll(NativeExecutable.externalOutputs(compiled));
    this.updates = new LinkedHashMap<>(compiled.updates());
    this.program = new CudaProgram(compiled, external, place.runtime(), place.allocator());
    this.staged = NativeExecutable.stagedUpdates(updates);
    this.staging = new CudaTensor[staged.length];
    try {
      for (int i = 0; i < staged.length; i++) {
        staging[i] = place.tensor(staged[i].type(), "a staged variable update");
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    // A program that launches nothing gains nothing from a graph.
    boolean work = !program.launches().isEmpty() || !program.scanBodies().isEmpty();
    this.graphs = work && graphsEnabled() && place.runtime().canCapture();
  }

  /**
   * Whether steps may be captured into CUDA graphs: {@code kiln.cuda.graphs} (or {@code
   * KILN_CUDA_GRAPHS}), true unless set to false.
   *
   * @throws IllegalArgumentException when the setting is neither true nor false
   */
  static boolean graphsEnabled() {
    String v = System.getProperty("kiln.cuda.graphs", System.getenv("KILN_CUDA_GRAPHS"));
    if (v == null || v.isBlank() || v.equalsIgnoreCase("true")) {
      return true;
    }
    if (v.equalsIgnoreCase("false")) {
      return false;
    }
    throw new IllegalArgumentException(
        "kiln.cuda.graphs (or KILN_CUDA_GRAPHS) must be true or false, got '" + v + "'");
  }

  @Override
  public Graph graph() {
    return graph;
  }

  @Override
  public Backend backend() {
    return backend;
  }

  /** The compiled program, for tests. */
  CudaProgram program() {
    return program;
  }

  /** How many times a step was captured into a graph, for tests. */
  synchronized int captures() {
    return captures;
  }

  /** How many runs were one graph launch, for tests. */
  synchronized int graphLaunches() {
    return graphLaunches;
  }

  /** Why this executable stopped capturing graphs, or null. */
  synchronized String graphProblem() {
    return graphProblem;
  }

  @Override
  public synchronized List<DeviceTensor> run(List<DeviceTensor> inputs) {
    backend.checkOpen();
    if (closed) {
      throw new BackendException("native (CUDA): the executable is closed");
    }
    ExecutableSupport.checkInputs(backend.name(), graph, inputs);
    ExecutableSupport.checkVariables(backend.name(), graph, backend);
    CudaTensor[] in = new CudaTensor[inputs.size()];
    for (int i = 0; i < inputs.size(); i++) {
      if (!(inputs.get(i) instanceof CudaTensor t) || !t.device().equals(place.device())) {
        throw new BackendException(
            "native (CUDA): input "
                + i
                + " is "
                + inputs.get(i)
                + "; this program runs on "
                + place.device()
                + ", so its inputs must be uploaded there (backend.upload(tensor, "
                + place.device()
                + "))");
      }
      in[i] = t;
    }
    List<DeviceTensor> out = new ArrayList<>(compiled.outputs().size());
    try {
      for (Value v : compiled.outputs()) {
        out.add(place.tensor(v.type(), "an output"));
      }
      if (graphs && graphProblem == null) {
        if (hasGraph && !sameAddresses(graphIds, graphAddresses)) {
          // A variable moved: the graph would write to where it was.
          dropGraph();
        } else if (!hasGraph
            && (captureAtFirstRun || lastIds != null && sameAddresses(lastIds, lastAddresses))) {
          capture();
        }
        if (hasGraph) {
          launchGraph(in, out);
          return out;
        }
      }
      runLaunches(in, out);
    } catch (RuntimeException e) {
      out.forEach(DeviceTensor::close);
      throw e;
    }
    return out;
  }

  /** Whether each variable {@code ids[i]} is still at {@code addresses[i]}. */
  private boolean sameAddresses(String[] ids, long[] addresses) {
    for (int i = 0; i < ids.length; i++) {
      if (backend.cudaVariable(ids[i], place).address() != addresses[i]) {
        return false;
      }
    }
    return true;
  }

  /** Queues the step launch by launch, the outputs computed into the returned tensors. */
  private void runLaunches(CudaTensor[] in, List<DeviceTensor> out) {
    for (int i = 0; i < in.length; i++) {
      program.bindInput(i, in[i].address());
    }
    long[] destinations = new long[out.size()];
    Set<Value> bound = new HashSet<>();
    for (int i = 0; i < out.size(); i++) {
      Value v = compiled.outputs().get(i);
      destinations[i] = ((CudaTensor) out.get(i)).address();
      if (external.contains(v) && bound.add(v)) {
        program.bind(v, destinations[i]);
      }
    }
    variables.start();
    queueStep(destinations);
    lastIds = variables.ids();
    lastAddresses = variables.addresses();
  }

  /**
   * Queues the program, the copies of the outputs it did not write in place into {@code
   * destinations} (before the updates, which may overwrite a variable that is also an output), and
   * the variable updates.
   */
  private void queueStep(long[] destinations) {
    CudaRuntime runtime = place.runtime();
    program.run(variables);
    for (int i = 0; i < destinations.length; i++) {
      Value v = compiled.outputs().get(i);
      long src = program.address(v);
      if (src != destinations[i]) {
        runtime.copyOnDevice(destinations[i], src, CudaTensor.bytes(v.type()));
      }
    }
    for (int i = 0; i < staged.length; i++) {
      runtime.copyOnDevice(
          staging[i].address(), program.address(staged[i]), CudaTensor.bytes(staged[i].type()));
    }
    for (Map.Entry<String, Value> u : updates.entrySet()) {
      int st = Arrays.asList(staged).indexOf(u.getValue());
      long src = st >= 0 ? staging[st].address() : program.address(u.getValue());
      runtime.copyOnDevice(
          variables.address(u.getKey()), src, CudaTensor.bytes(u.getValue().type()));
    }
  }

  /**
   * Captures the step into a graph over this executable's own input and output buffers. On a device
   * error, logs it and turns graphs off for this executable; the run then goes launch by launch.
   */
  private void capture() {
    long[] destinations;
    try {
      destinations = fixedBuffers();
    } catch (BackendException e) {
      giveUp("no device memory for the graph's input and output buffers: " + e.getMessage());
      return;
    }
    for (int i = 0; i < fixedInputs.length; i++) {
      program.bindInput(i, fixedInputs[i].address());
    }
    for (Value v : external) {
      program.bind(v, fixedOutputs.get(v).address());
    }
    variables.start();
    long g;
    try {
      g = place.runtime().capture(() -> queueStep(destinations));
    } catch (RuntimeException e) {
      // The driver's refusal (a CudaException) or the runtime's own, of a call that is illegal
      // under capture (an IllegalStateException): the capture queued nothing that runs, so the
      // step runs launch by launch.
      giveUp("capturing the step failed: " + e.getMessage());
      return;
    }
    captured = g;
    hasGraph = true;
    graphIds = variables.ids();
    graphAddresses = variables.addresses();
    captures++;
  }

  /** The graph's own input and output buffers, allocated on first use; the outputs' addresses. */
  private long[] fixedBuffers() {
    if (fixedInputs == null) {
      CudaTensor[] ins = new CudaTensor[compiled.inputs().size()];
      Map<Value, CudaTensor> outs = new LinkedHashMap<>();
      try {
        for (int i = 0; i < ins.length; i++) {
          ins[i] = place.tensor(compiled.inputs().get(i).type(), "a CUDA graph's input");
        }
        for (Value v : compiled.outputs()) {
          if (!outs.containsKey(v)) {
            outs.put(v, place.tensor(v.type(), "a CUDA graph's output"));
          }
        }
      } catch (RuntimeException e) {
        closeAll(Arrays.asList(ins));
        closeAll(outs.values());
        throw e;
      }
      fixedInputs = ins;
      fixedOutputs = outs;
    }
    long[] destinations = new long[compiled.outputs().size()];
    for (int i = 0; i < destinations.length; i++) {
      destinations[i] = fixedOutputs.get(compiled.outputs().get(i)).address();
    }
    return destinations;
  }

  /** Queues the inputs' copies, the graph, and the outputs' copies into {@code out}. */
  private void launchGraph(CudaTensor[] in, List<DeviceTensor> out) {
    CudaRuntime runtime = place.runtime();
    for (int i = 0; i < in.length; i++) {
      runtime.copyOnDevice(
          fixedInputs[i].address(), in[i].address(), CudaTensor.bytes(in[i].type()));
    }
    runtime.launchGraph(captured);
    graphLaunches++;
    for (int i = 0; i < out.size(); i++) {
      Value v = compiled.outputs().get(i);
      runtime.copyOnDevice(
          ((CudaTensor) out.get(i)).address(),
          fixedOutputs.get(v).address(),
          CudaTensor.bytes(v.type()));
    }
  }

  private void giveUp(String reason) {
    graphProblem = reason;
    LOG.warn(
        "CUDA graphs off for a compiled step on {}: {}; it runs launch by launch",
        place.device(),
        reason);
    dropGraph();
    releaseFixedBuffers();
  }

  private void dropGraph() {
    if (hasGraph) {
      hasGraph = false;
      place.runtime().destroyGraph(captured);
    }
  }

  private void releaseFixedBuffers() {
    if (fixedInputs != null) {
      closeAll(Arrays.asList(fixedInputs));
      closeAll(fixedOutputs.values());
      fixedInputs = null;
      fixedOutputs = null;
    }
  }

  private static void closeAll(Iterable<CudaTensor> tensors) {
    for (CudaTensor t : tensors) {
      if (t != null) {
        t.close();
      }
    }
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      dropGraph();
      releaseFixedBuffers();
      program.close();
      for (CudaTensor t : staging) {
        if (t != null) {
          t.close();
        }
      }
    }
  }

  /** The variables' addresses for a run, recording which it read or wrote and where they were. */
  private final class Recorder implements CudaProgram.Variables {
    private final Map<String, Long> seen = new LinkedHashMap<>();

    void start() {
      seen.clear();
    }

    @Override
    public long address(String id) {
      long a = backend.cudaVariable(id, place).address();
      seen.put(id, a);
      return a;
    }

    String[] ids() {
      return seen.keySet().toArray(String[]::new);
    }

    long[] addresses() {
      return seen.values().stream().mapToLong(Long::longValue).toArray();
    }
  }
}
