package dev.kiln.api.models;

import dev.kiln.api.KilnException;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.SourceOp;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a step graph one op at a time ({@code runEagerly}): each node is compiled alone and run on
 * host tensors, so a failure names the op, the node and its operand types, and intermediate values
 * can be inspected in a debugger. Much slower than a compiled step.
 */
final class EagerStep implements StepCompiler.Step {
  private final Graph graph;
  private final Backend backend;
  private final Map<Node, Executable> compiled = new HashMap<>();

  EagerStep(Graph graph, Backend backend) {
    this.graph = graph;
    this.backend = backend;
  }

  @Override
  public List<HostTensor> run(List<HostTensor> inputs) {
    Map<Value, HostTensor> env = new HashMap<>();
    for (Node n : graph.nodes()) {
      if (n.op() instanceof SourceOp.Parameter p) {
        env.put(n.output(), inputs.get(p.index()));
        continue;
      }
      Executable ex = compiled.computeIfAbsent(n, this::single);
      List<HostTensor> args = new ArrayList<>();
      for (Value v : n.inputs()) {
        args.add(env.get(v));
      }
      List<HostTensor> out;
      try {
        out = ex.runHost(args);
      } catch (RuntimeException e) {
        throw new KilnException(
            "op "
                + n.op().name()
                + " (node "
                + n.id()
                + ") failed on "
                + args.stream().map(HostTensor::type).toList()
                + ": "
                + e.getMessage(),
            e);
      }
      for (int i = 0; i < out.size(); i++) {
        env.put(n.outputs().get(i), out.get(i));
      }
    }
    for (Map.Entry<String, Value> u : graph.updates().entrySet()) {
      backend.variable(u.getKey()).orElseThrow().assign(env.get(u.getValue()));
    }
    List<HostTensor> result = new ArrayList<>();
    for (Value v : graph.outputs()) {
      result.add(env.get(v));
    }
    return result;
  }

  @Override
  public List<Executable> executables() {
    return List.copyOf(compiled.values());
  }

  @Override
  public void close() {
    for (Executable e : compiled.values()) {
      e.close();
    }
    compiled.clear();
  }

  private Executable single(Node n) {
    GraphBuilder b = new GraphBuilder();
    List<Value> params = new ArrayList<>();
    for (Value v : n.inputs()) {
      params.add(b.input(v.type()));
    }
    List<Value> outs = b.emit(n.op(), params);
    return backend.compile(b.output(outs.toArray(Value[]::new)).build(), CompileOptions.defaults());
  }
}
