package dev.kiln.spi.autodiff;

import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.ControlFlowOp;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.LinalgOp;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.SourceOp;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The gradient of a scan is a scan in the opposite direction whose body is the vector-Jacobian
 * product of the forward body.
 *
 * <p>The reverse body reads the forward body's intermediate values (a sigmoid's output, the
 * operands of a product) and the carry that entered each step. Rather than changing the forward
 * node, the rule emits a second forward scan whose body also returns these as per-step outputs;
 * backends merge the two with {@link dev.kiln.spi.ir.Rewrites#shareScans}, so the loop runs once
 * and the reverse loop recomputes nothing of it. (A graph that is differentiated but not rewritten
 * computes the same values, running the forward loop twice.)
 *
 * <p>A constant's gradient is a sum over steps. Where a step's term is a product {@code X^T Y} of
 * two per-step matrices, as for an RNN's recurrent kernel, the reverse loop emits {@code X} and
 * {@code Y} for every step and one multiplication after the loop sums all steps at once: a single
 * large, efficient product instead of one small product and one addition per step.
 */
final class ScanGradient {
  private ScanGradient() {}

  static List<Value> vjp(GraphBuilder b, Node n, ControlFlowOp.Scan s, List<Value> g) {
    Graph body = s.body();
    int k = s.numCarries();
    int m = s.numSequences();
    List<Value> operands = n.inputs();
    List<Value> carries = operands.subList(0, k);
    List<Value> seqs = operands.subList(k, k + m);
    List<Value> consts = operands.subList(k + m, operands.size());
    int numY = s.numStepOutputs();

    // 1. The reverse body as the forward body inlined, then its vector-Jacobian product.
    GraphBuilder gb = new GraphBuilder();
    List<Value> dcIn = new ArrayList<>();
    for (Value c : carries) {
      dcIn.add(c.dtype().isFloating() ? gb.input(c.type()) : null);
    }
    List<Value> accIn = new ArrayList<>();
    for (Value c : consts) {
      accIn.add(c.dtype().isFloating() ? gb.input(c.type()) : null);
    }
    List<Value> xT = new ArrayList<>();
    for (Value x : seqs) {
      xT.add(gb.input(step(x.type())));
    }
    List<Value> cT = new ArrayList<>();
    for (Value c : carries) {
      cT.add(gb.input(c.type()));
    }
    List<Value> dyT = new ArrayList<>();
    for (int i = 0; i < numY; i++) {
      Value y = n.outputs().get(k + i);
      dyT.add(y.dtype().isFloating() ? gb.input(step(y.type())) : null);
    }
    List<Value> constIn = new ArrayList<>();
    for (Value c : consts) {
      constIn.add(gb.input(c.type()));
    }
    List<Value> args = new ArrayList<>(cT);
    args.addAll(xT);
    args.addAll(constIn);
    int fwdStart = gb.nodes().size();
    List<Value> outs = gb.inline(body, args);
    int fwdEnd = gb.nodes().size();
    List<Value> cot = new ArrayList<>();
    for (int i = 0; i < outs.size(); i++) {
      cot.add(i < k ? dcIn.get(i) : dyT.get(i - k));
    }
    List<Value> wrt = new ArrayList<>();
    for (List<Value> group : List.of(cT, xT, constIn)) {
      for (Value v : group) {
        if (v.dtype().isFloating()) {
          wrt.add(v);
        }
      }
    }
    List<Value> grads = Autodiff.vjp(gb, outs, cot, wrt);
    int gi = 0;
    List<Value> newDc = new ArrayList<>();
    for (Value c : cT) {
      if (c.dtype().isFloating()) {
        newDc.add(grads.get(gi++));
      }
    }
    List<Value> dx = new ArrayList<>();
    for (Value x : xT) {
      if (x.dtype().isFloating()) {
        dx.add(grads.get(gi++));
      }
    }
    List<Value> newAcc = new ArrayList<>();
    List<Value> stepFactors = new ArrayList<>();
    Node[] hoisted = new Node[consts.size()];
    for (int i = 0; i < consts.size(); i++) {
      if (accIn.get(i) != null) {
        Value gc = grads.get(gi++);
        if (isStepProduct(gc, consts.get(i))) {
          hoisted[i] = gc.node();
          stepFactors.addAll(gc.node().inputs());
        } else {
          newAcc.add(gb.add(accIn.get(i), gc));
        }
      }
    }
    // A factor the loop already has stacked (an incoming carry, a sequence step, a saved forward
    // value, a sequence's gradient) is read from that stack; only the others become outputs.
    List<Value> factorOutputs = new ArrayList<>();
    for (Value f : stepFactors) {
      boolean forward =
          f.node().id() >= fwdStart && f.node().id() < fwdEnd && !f.node().inputs().isEmpty();
      if (!forward
          && !cT.contains(f)
          && !xT.contains(f)
          && !dx.contains(f)
          && !factorOutputs.contains(f)) {
        factorOutputs.add(f);
      }
    }
    List<Value> bodyOut = new ArrayList<>(newDc);
    bodyOut.addAll(newAcc);
    bodyOut.addAll(dx);
    bodyOut.addAll(factorOutputs);
    Graph recomputing = gb.output(bodyOut.toArray(Value[]::new)).build();

    // 2. What the product reads of the forward body, saved by the forward loop.
    List<Value> saved = savedValues(recomputing, fwdStart, fwdEnd);
    List<Value> history = forwardWithHistory(b, s, operands, saved, fwdStart);

    // 3. The reverse body reading the saved values instead of recomputing them.
    Set<Value> unusedAcc = new java.util.HashSet<>();
    for (int i = 0; i < consts.size(); i++) {
      if (hoisted[i] != null) {
        unusedAcc.add(accIn.get(i));
      }
    }
    Graph reverseBody =
        readingSaved(recomputing, saved, fwdStart, fwdEnd, consts.size(), unusedAcc);

    // 4. The reverse scan.
    List<Value> initCarries = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      if (carries.get(i).dtype().isFloating()) {
        Value gi0 = g.get(i);
        initCarries.add(gi0 != null ? gi0 : b.zerosLike(carries.get(i)));
      }
    }
    for (int i = 0; i < consts.size(); i++) {
      if (consts.get(i).dtype().isFloating() && hoisted[i] == null) {
        initCarries.add(b.zerosLike(consts.get(i)));
      }
    }
    List<Value> sequences = new ArrayList<>(seqs);
    sequences.addAll(history.subList(0, k));
    for (int i = 0; i < numY; i++) {
      Value y = n.outputs().get(k + i);
      if (y.dtype().isFloating()) {
        Value gy = g.get(k + i);
        sequences.add(gy != null ? gy : b.zerosLike(y));
      }
    }
    sequences.addAll(history.subList(k, history.size()));
    List<Value> r = b.scan(reverseBody, initCarries, sequences, consts, !s.reverse(), s.length());

    // 5. Route the results back to the operands.
    Value[] result = new Value[operands.size()];
    int ri = 0;
    for (int i = 0; i < k; i++) {
      if (carries.get(i).dtype().isFloating()) {
        result[i] = r.get(ri++);
      }
    }
    for (int i = 0; i < consts.size(); i++) {
      if (consts.get(i).dtype().isFloating() && hoisted[i] == null) {
        result[k + m + i] = r.get(ri++);
      }
    }
    int dxAt = ri;
    for (int i = 0; i < m; i++) {
      if (seqs.get(i).dtype().isFloating()) {
        result[k + i] = r.get(ri++);
      }
    }
    int factorsAt = ri;
    int fi = 0;
    for (int i = 0; i < consts.size(); i++) {
      if (hoisted[i] != null) {
        Value[] stacked = new Value[2];
        for (int j = 0; j < 2; j++) {
          Value f = stepFactors.get(fi++);
          if (cT.contains(f)) {
            stacked[j] = history.get(cT.indexOf(f));
          } else if (xT.contains(f)) {
            stacked[j] = seqs.get(xT.indexOf(f));
          } else if (dx.contains(f)) {
            stacked[j] = r.get(dxAt + dx.indexOf(f));
          } else if (saved.contains(f)) {
            stacked[j] = history.get(k + saved.indexOf(f));
          } else {
            stacked[j] = r.get(factorsAt + factorOutputs.indexOf(f));
          }
        }
        result[k + m + i] =
            b.matmul(flattenSteps(b, stacked[0]), flattenSteps(b, stacked[1]), true, false);
      }
    }
    return Arrays.asList(result);
  }

  /**
   * True if a constant's per-step gradient {@code gc} is {@code X^T Y} for matrices {@code X} and
   * {@code Y}: the sum over steps is then one product of the stacked factors.
   */
  private static boolean isStepProduct(Value gc, Value constant) {
    return gc.node().op() instanceof LinalgOp.MatMul mm
        && mm.transposeA()
        && !mm.transposeB()
        && gc.node().inputs().get(0).rank() == 2
        && gc.node().inputs().get(1).rank() == 2
        && gc.type().equals(constant.type());
  }

  /** {@code [T, a, b]} as {@code [T * a, b]}. */
  private static Value flattenSteps(GraphBuilder b, Value stacked) {
    int[] d = stacked.shape().dims();
    return b.reshape(stacked, Shape.of(d[0] * d[1], d[2]));
  }

  /**
   * The values of the inlined forward body (nodes {@code fwdStart} to {@code fwdEnd}) that the rest
   * of {@code g} reads, in node order. Nodes without operands (constants) are recomputed, not
   * saved.
   */
  private static List<Value> savedValues(Graph g, int fwdStart, int fwdEnd) {
    Set<Value> read = new LinkedHashSet<>();
    for (Node node : g.nodes()) {
      if (node.id() >= fwdEnd) {
        read.addAll(node.inputs());
      }
    }
    read.addAll(g.outputs());
    List<Value> saved = new ArrayList<>();
    for (Node node : g.nodes()) {
      if (node.id() >= fwdStart && node.id() < fwdEnd && !node.inputs().isEmpty()) {
        for (Value v : node.outputs()) {
          if (read.contains(v)) {
            saved.add(v);
          }
        }
      }
    }
    return saved;
  }

  /**
   * The forward scan again, whose body also returns the carries that entered each step and the
   * values in {@code saved} as per-step outputs.
   *
   * @return the stacked incoming carries, then the stacked saved values
   */
  private static List<Value> forwardWithHistory(
      GraphBuilder b, ControlFlowOp.Scan s, List<Value> operands, List<Value> saved, int fwdStart) {
    int k = s.numCarries();
    if (k == 0 && saved.isEmpty()) {
      return List.of();
    }
    Graph body = s.body();
    GraphBuilder hb = new GraphBuilder();
    List<Value> params = new ArrayList<>();
    for (Value p : body.inputs()) {
      params.add(hb.input(p.type()));
    }
    int start = hb.nodes().size();
    List<Value> outs = new ArrayList<>(hb.inline(body, params));
    outs.addAll(params.subList(0, k));
    List<Node> inlined = hb.nodes();
    for (Value v : saved) {
      // Inlining emits one node per non-parameter node, in order, so the node at the same offset
      // from the start of the inlined body computes the same value.
      Node same = inlined.get(start + v.node().id() - fwdStart);
      outs.add(same.outputs().get(v.index()));
    }
    Graph withHistory = hb.output(outs.toArray(Value[]::new)).build();
    List<Value> r =
        b.scan(
            withHistory,
            operands.subList(0, k),
            operands.subList(k, k + s.numSequences()),
            operands.subList(k + s.numSequences(), operands.size()),
            s.reverse(),
            s.length());
    return r.subList(r.size() - k - saved.size(), r.size());
  }

  /**
   * {@code g} with the values in {@code saved} taken as extra inputs, placed after the sequence
   * inputs (before the last {@code numConsts} inputs), and the inlined forward body dropped. Inputs
   * in {@code unused} are left out.
   */
  private static Graph readingSaved(
      Graph g, List<Value> saved, int fwdStart, int fwdEnd, int numConsts, Set<Value> unused) {
    GraphBuilder rb = new GraphBuilder();
    Map<Value, Value> map = new HashMap<>();
    List<Value> in = g.inputs();
    int constStart = in.size() - numConsts;
    for (int i = 0; i < constStart; i++) {
      if (!unused.contains(in.get(i))) {
        map.put(in.get(i), rb.input(in.get(i).type()));
      }
    }
    for (Value v : saved) {
      map.put(v, rb.input(v.type()));
    }
    for (int i = constStart; i < in.size(); i++) {
      map.put(in.get(i), rb.input(in.get(i).type()));
    }
    // Only what the outputs need: the recomputed forward body and the per-step products whose
    // sum moved out of the loop are left behind.
    Set<Value> needed = new java.util.HashSet<>(g.outputs());
    List<Node> nodes = g.nodes();
    Set<Node> live = new java.util.HashSet<>();
    for (int i = nodes.size() - 1; i >= 0; i--) {
      Node node = nodes.get(i);
      boolean forward = node.id() >= fwdStart && node.id() < fwdEnd && !node.inputs().isEmpty();
      if (!forward && node.outputs().stream().anyMatch(needed::contains)) {
        live.add(node);
        needed.addAll(node.inputs());
      }
    }
    for (Node node : nodes) {
      if (node.op() instanceof SourceOp.Parameter || !live.contains(node)) {
        continue;
      }
      List<Value> ops = new ArrayList<>();
      for (Value v : node.inputs()) {
        ops.add(map.get(v));
      }
      List<Value> results = rb.emit(node.op(), ops);
      for (int i = 0; i < results.size(); i++) {
        map.put(node.outputs().get(i), results.get(i));
      }
    }
    for (Value o : g.outputs()) {
      rb.output(map.get(o));
    }
    return rb.build();
  }

  private static TensorType step(TensorType t) {
    return new TensorType(t.dtype(), Shape.of(Arrays.copyOfRange(t.shape().dims(), 1, t.rank())));
  }
}
