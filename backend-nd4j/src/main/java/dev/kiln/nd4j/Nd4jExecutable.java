package dev.kiln.nd4j;

import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.backend.DeviceTensor;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.backend.ExecutableSupport;
import dev.kiln.spi.ir.ControlFlowOp;
import dev.kiln.spi.ir.ConvolutionOp;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphPrinter;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.Rewrites;
import dev.kiln.spi.ir.SourceOp;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A graph interpreted node by node with ND4J arrays. Composites ND4J has an op for (softmax, log
 * softmax, batch normalization) run whole, the others through their decompositions; every
 * intermediate of a run is allocated in the executable's ND4J workspace, whose memory the next run
 * reuses, so memory does not grow from step to step.
 */
final class Nd4jExecutable implements Executable {
  private final Nd4jBackend backend;
  private final Graph original;
  private final Graph graph;
  private static final WorkspaceConfiguration WORKSPACE =
      WorkspaceConfiguration.builder()
          .policyAllocation(AllocationPolicy.OVERALLOCATE)
          .overallocationLimit(0.2)
          .policyLearning(LearningPolicy.FIRST_LOOP)
          .policySpill(SpillPolicy.REALLOCATE)
          .build();

  private final String workspaceId = "kiln-" + Integer.toHexString(System.identityHashCode(this));
  private boolean closed;

  Nd4jExecutable(Nd4jBackend backend, Graph graph) {
    this.backend = backend;
    this.original = graph;
    this.graph = Rewrites.expand(Rewrites.shareScans(graph), Nd4jOps::runsWhole);
  }

  @Override
  public Graph graph() {
    return original;
  }

  @Override
  public Backend backend() {
    return backend;
  }

  @Override
  public List<DeviceTensor> run(List<DeviceTensor> inputs) {
    if (closed) {
      throw new BackendException("nd4j: the executable is closed");
    }
    ExecutableSupport.checkInputs(backend.name(), original, inputs);
    List<INDArray> in = new ArrayList<>();
    for (DeviceTensor t : inputs) {
      if (!(t instanceof Nd4jTensor n)) {
        throw new BackendException("nd4j: an input belongs to another backend: " + t);
      }
      in.add(n.array());
    }
    List<DeviceTensor> out = new ArrayList<>();
    // Every intermediate of a run lives in this executable's workspace, whose memory the next run
    // reuses. Outputs are copied out before it closes; updates are copied into the variables' own
    // arrays, so a step allocates nothing that outlives it.
    try (MemoryWorkspace ws =
        Nd4j.getWorkspaceManager().getAndActivateWorkspace(WORKSPACE, workspaceId)) {
      Map<Value, INDArray> env = evaluate(graph, in, backend);
      for (Value v : graph.outputs()) {
        out.add(new Nd4jTensor(v.type(), backend.devices().get(0), own(env.get(v))));
      }
      Map<String, INDArray> staged = new HashMap<>();
      for (Map.Entry<String, Value> u : graph.updates().entrySet()) {
        INDArray v = env.get(u.getValue());
        // An array outside the workspace may be a variable's own (as in a swap of two variables):
        // copy it while every variable still holds its old value.
        staged.put(u.getKey(), graph.updates().size() > 1 && !v.isAttached() ? v.dup() : v);
      }
      staged.forEach((id, v) -> backend.nd4jVariable(id).value().assign(v));
    }
    return out;
  }

  /**
   * A copy the caller owns, outside the workspace: an input or variable passed straight through
   * must not share memory with what its owner may close.
   */
  private static INDArray own(INDArray a) {
    if (a.isAttached()) {
      return a.detach();
    }
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      return a.dup();
    }
  }

  /** Evaluates {@code g} on {@code inputs}, inside the caller's workspace. */
  static Map<Value, INDArray> evaluate(Graph g, List<INDArray> inputs, Nd4jBackend backend) {
    Map<Value, INDArray> env = new IdentityHashMap<>();
    Map<Node, Node> partners = convBackpropPairs(g);
    Map<Node, INDArray> pending = new IdentityHashMap<>();
    List<Node> nodes = g.nodes();
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      List<INDArray> args = new ArrayList<>();
      for (Value v : n.inputs()) {
        args.add(env.get(v));
      }
      List<INDArray> res;
      try {
        Node partner = partners.get(n);
        if (pending.containsKey(n)) {
          res = List.of(pending.remove(n));
        } else if (partner != null) {
          res = List.of(convBackpropBoth(n, partner, env, pending));
        } else {
          res =
              n.op() instanceof SourceOp.Parameter p
                  ? List.of(inputs.get(p.index()))
                  : n.op() instanceof SourceOp.VariableRead r
                      ? List.of(backend.nd4jVariable(r.id()).value())
                      : n.op() instanceof ControlFlowOp.Scan s
                          ? scan(s, args, backend)
                          : Nd4jOps.run(n, args);
        }
      } catch (BackendException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new BackendException(
            "nd4j: ND4J failed at node " + GraphPrinter.describe(n) + ": " + e, e);
      }
      for (int j = 0; j < res.size(); j++) {
        env.put(n.outputs().get(j), res.get(j));
      }
    }
    return env;
  }

  /**
   * The input and kernel gradients of one convolution, paired: ND4J's conv backprop computes both
   * at once, so the pair costs one call instead of two. Pairs share {@code dy} and the spec (one
   * group; grouped convolutions run per group).
   */
  private static Map<Node, Node> convBackpropPairs(Graph g) {
    Map<Value, Node> inputGrads = new IdentityHashMap<>();
    for (Node n : g.nodes()) {
      if (n.op() instanceof ConvolutionOp.ConvBackpropInput b && b.spec().groups() == 1) {
        inputGrads.put(n.inputs().get(0), n);
      }
    }
    Map<Node, Node> pairs = new IdentityHashMap<>();
    for (Node n : g.nodes()) {
      if (n.op() instanceof ConvolutionOp.ConvBackpropFilter f) {
        Node in = inputGrads.get(n.inputs().get(1));
        if (in != null
            && ((ConvolutionOp.ConvBackpropInput) in.op()).spec().equals(f.spec())
            && !pairs.containsKey(in)) {
          pairs.put(n, in);
          pairs.put(in, n);
        }
      }
    }
    return pairs;
  }

  /**
   * Runs the pair of {@code n} and {@code partner} once the operands of both are known: returns n's
   * result and leaves the partner's in {@code pending}.
   */
  private static INDArray convBackpropBoth(
      Node n, Node partner, Map<Value, INDArray> env, Map<Node, INDArray> pending) {
    Node input = n.op() instanceof ConvolutionOp.ConvBackpropInput ? n : partner;
    Node filter = input == n ? partner : n;
    INDArray x = env.get(filter.inputs().get(0));
    INDArray dy = env.get(filter.inputs().get(1));
    INDArray w = env.get(input.inputs().get(1));
    if (x == null || w == null) {
      // An operand comes later in the order: run this one alone.
      return Nd4jOps.run(n, n.inputs().stream().map(env::get).toList()).get(0);
    }
    INDArray[] both =
        Nd4jConv.convBackpropBoth(
            ((ConvolutionOp.ConvBackpropFilter) filter.op()).spec(),
            x,
            w,
            dy,
            input.outputs().get(0).type(),
            filter.outputs().get(0).type());
    pending.put(partner, input == n ? both[1] : both[0]);
    return input == n ? both[0] : both[1];
  }

  private static List<INDArray> scan(
      ControlFlowOp.Scan s, List<INDArray> args, Nd4jBackend backend) {
    // The body was expanded with the graph that holds the scan.
    Graph body = s.body();
    int k = s.numCarries();
    int m = s.numSequences();
    List<INDArray> carries = new ArrayList<>(args.subList(0, k));
    List<INDArray> consts = args.subList(k + m, args.size());
    int ny = s.numStepOutputs();
    List<INDArray[]> ys = new ArrayList<>();
    for (int j = 0; j < ny; j++) {
      ys.add(new INDArray[s.length()]);
    }
    for (int step = 0; step < s.length(); step++) {
      int t = s.reverse() ? s.length() - 1 - step : step;
      List<INDArray> in = new ArrayList<>(carries);
      for (int i = 0; i < m; i++) {
        in.add(Nd4jOps.row(args.get(k + i), t));
      }
      in.addAll(consts);
      Map<Value, INDArray> env = evaluate(body, in, backend);
      List<INDArray> next = new ArrayList<>();
      for (int i = 0; i < k; i++) {
        next.add(env.get(body.outputs().get(i)).dup());
      }
      for (int j = 0; j < ny; j++) {
        ys.get(j)[t] = env.get(body.outputs().get(k + j)).dup();
      }
      carries = next;
    }
    List<INDArray> out = new ArrayList<>(carries);
    for (int j = 0; j < ny; j++) {
      out.add(Nd4jOps.stack(ys.get(j), body.outputs().get(k + j).type()));
    }
    return out;
  }

  /**
   * Frees the executable's workspace. ND4J keeps a workspace per thread: the one on the closing
   * thread (the thread that trained, as a rule) is destroyed now; one made by another thread goes
   * with that thread.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (Nd4j.getWorkspaceManager().checkIfWorkspaceExists(workspaceId)) {
      Nd4j.getWorkspaceManager()
          .destroyWorkspace(Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(workspaceId));
    }
  }
}
