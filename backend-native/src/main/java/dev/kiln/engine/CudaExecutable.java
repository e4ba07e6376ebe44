package dev.kiln.engine;

import dev.kiln.engine.cuda.CudaLowering;
import dev.kiln.engine.cuda.CudaProgram;
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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A compiled graph on a CUDA device. Inputs and outputs are device tensors; variables stay on the
 * device, and a run's updates are copied into them on the device after the last kernel, so every
 * read in a run sees the values from before it (updates whose new value is another variable's old
 * value are staged first). Outputs computed by a node are written straight into the tensors
 * returned. The work is queued on the device's stream; downloading an output waits for it. Not
 * thread-safe: one run at a time.
 */
final class CudaExecutable implements Executable {
  private final NativeBackend backend;
  private final NativeBackend.CudaPlace place;
  private final Graph graph;
  private final Graph compiled;
  private final CudaProgram program;
  private final Set<Value> external = new HashSet<>();
  private final Map<String, Value> updates;
  private final Value[] staged;
  private final CudaTensor[] staging;
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

  @Override
  public synchronized List<DeviceTensor> run(List<DeviceTensor> inputs) {
    backend.checkOpen();
    if (closed) {
      throw new BackendException("native (CUDA): the executable is closed");
    }
    ExecutableSupport.checkInputs(backend.name(), graph, inputs);
    ExecutableSupport.checkVariables(backend.name(), graph, backend);
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
      program.bindInput(i, t.address());
    }
    List<DeviceTensor> out = new ArrayList<>(compiled.outputs().size());
    Set<Value> bound = new HashSet<>();
    try {
      for (Value v : compiled.outputs()) {
        CudaTensor t = place.tensor(v.type(), "an output");
        out.add(t);
        if (external.contains(v) && bound.add(v)) {
          program.bind(v, t.address());
        }
      }
      program.run(id -> backend.cudaVariable(id, place).address());
      for (int i = 0; i < out.size(); i++) {
        long dst = ((CudaTensor) out.get(i)).address();
        long src = program.address(compiled.outputs().get(i));
        place.runtime().copyOnDevice(dst, src, CudaTensor.bytes(out.get(i).type()));
      }
      for (int i = 0; i < staged.length; i++) {
        place
            .runtime()
            .copyOnDevice(
                staging[i].address(),
                program.address(staged[i]),
                CudaTensor.bytes(staged[i].type()));
      }
      for (Map.Entry<String, Value> u : updates.entrySet()) {
        int st = java.util.Arrays.asList(staged).indexOf(u.getValue());
        long src = st >= 0 ? staging[st].address() : program.address(u.getValue());
        long dst = backend.cudaVariable(u.getKey(), place).address();
        place.runtime().copyOnDevice(dst, src, CudaTensor.bytes(u.getValue().type()));
      }
    } catch (RuntimeException e) {
      out.forEach(DeviceTensor::close);
      throw e;
    }
    return out;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      program.close();
      for (CudaTensor t : staging) {
        if (t != null) {
          t.close();
        }
      }
    }
  }
}
