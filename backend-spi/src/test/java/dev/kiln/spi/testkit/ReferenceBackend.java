package dev.kiln.spi.testkit;

import dev.kiln.spi.HostTensor;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.Device;
import dev.kiln.spi.backend.DeviceTensor;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.backend.ExecutableSupport;
import dev.kiln.spi.backend.Variable;
import dev.kiln.spi.ir.Graph;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A backend that runs graphs with the {@link ReferenceEvaluator}: slow, exact, and the standard the
 * conformance kit holds real backends to. It is also what runs the IR demo until the native engine
 * lands.
 */
public final class ReferenceBackend implements Backend {
  /** The provider's name. */
  public static final String NAME = "reference";

  private final ReferenceEvaluator evaluator;
  private final Device device = new Device(NAME, "cpu", 0);
  private final Map<String, RefVariable> variables = new HashMap<>();
  private boolean closed;

  /** A backend over the true reference semantics. */
  public ReferenceBackend() {
    this(new ReferenceEvaluator());
  }

  /** A backend over a given evaluator (tests plant wrong kernels this way). */
  public ReferenceBackend(ReferenceEvaluator evaluator) {
    this.evaluator = evaluator;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Device> devices() {
    return List.of(device);
  }

  @Override
  public DeviceTensor upload(HostTensor tensor, Device target) {
    checkOpen();
    if (!target.equals(device)) {
      throw new BackendException(NAME + ": unknown device " + target);
    }
    return new RefTensor(tensor.copy(), device);
  }

  @Override
  public HostTensor download(DeviceTensor tensor) {
    checkOpen();
    if (!(tensor instanceof RefTensor t)) {
      throw new BackendException(NAME + ": tensor " + tensor + " belongs to another backend");
    }
    return t.host().copy();
  }

  @Override
  public Executable compile(Graph graph, CompileOptions options) {
    checkOpen();
    ExecutableSupport.checkCompilable(NAME, graph);
    return new RefExecutable(graph);
  }

  @Override
  public Variable createVariable(String id, HostTensor initial) {
    checkOpen();
    RefVariable v = new RefVariable(id, initial.type(), initial.copy());
    variables.put(id, v);
    return v;
  }

  @Override
  public Optional<Variable> variable(String id) {
    return Optional.ofNullable(variables.get(id));
  }

  @Override
  public void deleteVariable(String id) {
    variables.remove(id);
  }

  @Override
  public void close() {
    closed = true;
    variables.clear();
  }

  private void checkOpen() {
    if (closed) {
      throw new BackendException(NAME + ": the backend is closed");
    }
  }

  private static final class RefTensor implements DeviceTensor {
    private final Device device;
    private HostTensor host;

    RefTensor(HostTensor host, Device device) {
      this.host = host;
      this.device = device;
    }

    HostTensor host() {
      if (host == null) {
        throw new BackendException(NAME + ": use of a closed tensor");
      }
      return host;
    }

    @Override
    public TensorType type() {
      return host().type();
    }

    @Override
    public Device device() {
      return device;
    }

    @Override
    public void close() {
      host = null;
    }
  }

  private static final class RefVariable implements Variable {
    private final String id;
    private final TensorType type;
    private HostTensor value;

    RefVariable(String id, TensorType type, HostTensor value) {
      this.id = id;
      this.type = type;
      this.value = value;
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public TensorType type() {
      return type;
    }

    @Override
    public HostTensor read() {
      return value.copy();
    }

    @Override
    public void assign(HostTensor v) {
      if (!v.type().equals(type)) {
        throw new BackendException(
            NAME + ": variable '" + id + "' is " + type + "; cannot assign " + v.type());
      }
      value = v.copy();
    }
  }

  private final class RefExecutable implements Executable {
    private final Graph graph;

    RefExecutable(Graph graph) {
      this.graph = graph;
    }

    @Override
    public Graph graph() {
      return graph;
    }

    @Override
    public Backend backend() {
      return ReferenceBackend.this;
    }

    @Override
    public List<DeviceTensor> run(List<DeviceTensor> inputs) {
      checkOpen();
      ExecutableSupport.checkInputs(NAME, graph, inputs);
      ExecutableSupport.checkVariables(NAME, graph, ReferenceBackend.this);
      List<HostTensor> in = new ArrayList<>();
      for (DeviceTensor t : inputs) {
        in.add(download(t));
      }
      Map<String, HostTensor> vars = new LinkedHashMap<>();
      for (String id : graph.variables().keySet()) {
        vars.put(id, variables.get(id).value);
      }
      ReferenceEvaluator.Result r = evaluator.run(graph, in, vars);
      r.updates().forEach((id, v) -> variables.get(id).value = v);
      List<DeviceTensor> out = new ArrayList<>();
      for (HostTensor h : r.outputs()) {
        out.add(new RefTensor(h, device));
      }
      return out;
    }

    @Override
    public void close() {}
  }
}
