package dev.kiln.spi.autodiff;

import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.ControlFlowOp;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The gradient of a scan is a scan in the opposite direction whose body is the vector-Jacobian
 * product of the forward body.
 *
 * <p>The reverse body needs the carry that entered each forward step. Rather than changing the
 * forward node, the rule emits a second forward scan whose body also returns its incoming carries
 * as per-step outputs: the forward pass runs twice, and nothing of the first is kept alive for the
 * backward pass.
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

    // 1. The carry entering every step, stacked: [T, ...carry].
    List<Value> history = carryHistory(b, s, operands);

    // 2. The reverse body.
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
    List<Value> outs = gb.inline(body, args);
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
    for (int i = 0; i < consts.size(); i++) {
      if (accIn.get(i) != null) {
        newAcc.add(gb.add(accIn.get(i), grads.get(gi++)));
      }
    }
    List<Value> bodyOut = new ArrayList<>(newDc);
    bodyOut.addAll(newAcc);
    bodyOut.addAll(dx);
    Graph reverseBody = gb.output(bodyOut.toArray(Value[]::new)).build();

    // 3. The reverse scan.
    List<Value> initCarries = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      if (carries.get(i).dtype().isFloating()) {
        Value gi0 = g.get(i);
        initCarries.add(gi0 != null ? gi0 : b.zerosLike(carries.get(i)));
      }
    }
    for (Value c : consts) {
      if (c.dtype().isFloating()) {
        initCarries.add(b.zerosLike(c));
      }
    }
    List<Value> sequences = new ArrayList<>(seqs);
    sequences.addAll(history);
    for (int i = 0; i < numY; i++) {
      Value y = n.outputs().get(k + i);
      if (y.dtype().isFloating()) {
        Value gy = g.get(k + i);
        sequences.add(gy != null ? gy : b.zerosLike(y));
      }
    }
    List<Value> r = b.scan(reverseBody, initCarries, sequences, consts, !s.reverse(), s.length());

    // 4. Route the results back to the operands.
    Value[] result = new Value[operands.size()];
    int ri = 0;
    for (int i = 0; i < k; i++) {
      if (carries.get(i).dtype().isFloating()) {
        result[i] = r.get(ri++);
      }
    }
    for (int i = 0; i < consts.size(); i++) {
      if (consts.get(i).dtype().isFloating()) {
        result[k + m + i] = r.get(ri++);
      }
    }
    for (int i = 0; i < m; i++) {
      if (seqs.get(i).dtype().isFloating()) {
        result[k + i] = r.get(ri++);
      }
    }
    return Arrays.asList(result);
  }

  /** The forward scan again, with each step's incoming carries as extra per-step outputs. */
  private static List<Value> carryHistory(
      GraphBuilder b, ControlFlowOp.Scan s, List<Value> operands) {
    int k = s.numCarries();
    if (k == 0) {
      return List.of();
    }
    Graph body = s.body();
    GraphBuilder hb = new GraphBuilder();
    List<Value> params = new ArrayList<>();
    for (Value p : body.inputs()) {
      params.add(hb.input(p.type()));
    }
    List<Value> outs = new ArrayList<>(hb.inline(body, params));
    outs.addAll(params.subList(0, k));
    Graph withHistory = hb.output(outs.toArray(Value[]::new)).build();
    List<Value> r =
        b.scan(
            withHistory,
            operands.subList(0, k),
            operands.subList(k, k + s.numSequences()),
            operands.subList(k + s.numSequences(), operands.size()),
            s.reverse(),
            s.length());
    return r.subList(r.size() - k, r.size());
  }

  private static TensorType step(TensorType t) {
    return new TensorType(t.dtype(), Shape.of(Arrays.copyOfRange(t.shape().dims(), 1, t.rank())));
  }
}
