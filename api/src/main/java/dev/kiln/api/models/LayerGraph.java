package dev.kiln.api.models;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.KilnException;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.LayerCall;
import dev.kiln.api.layers.core.InputLayer;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Functional model's graph: its inputs and outputs, the layer calls between them in execution
 * order, and the layers those calls belong to.
 */
record LayerGraph(
    List<KerasTensor> inputs,
    List<KerasTensor> outputs,
    List<LayerCall> order,
    List<Layer> layers) {

  /**
   * Orders the calls that lead from {@code ins} to {@code outs}.
   *
   * @throws KilnException for an input not made by {@code Input.of}, an output that the inputs do
   *     not reach ("Graph disconnected"), or two layers of one name
   */
  static LayerGraph wire(List<KerasTensor> ins, List<KerasTensor> outs) {
    for (KerasTensor t : ins) {
      if (!(t.layer() instanceof InputLayer)) {
        throw new KilnException(
            "All `inputs` values must be KerasTensors created by Input.of(). Received: "
                + t
                + " from layer \""
                + t.layer().name()
                + "\"");
      }
    }
    Set<KerasTensor> available = Collections.newSetFromMap(new IdentityHashMap<>());
    available.addAll(ins);
    List<LayerCall> sorted = new ArrayList<>();
    Set<LayerCall> done = Collections.newSetFromMap(new IdentityHashMap<>());
    List<String> visited = new ArrayList<>();
    for (KerasTensor out : outs) {
      visit(out, available, sorted, done, visited);
    }
    List<Layer> ls = new ArrayList<>();
    for (KerasTensor t : ins) {
      ls.add(t.layer());
    }
    for (LayerCall c : sorted) {
      if (!ls.contains(c.layer())) {
        ls.add(c.layer());
      }
    }
    Set<String> names = new HashSet<>();
    for (Layer l : ls) {
      if (!names.add(l.name())) {
        throw new KilnException(
            "The name \""
                + l.name()
                + "\" is used 2 times in the model. All operation names should be unique.");
      }
    }
    return new LayerGraph(List.copyOf(ins), List.copyOf(outs), sorted, ls);
  }

  private static void visit(
      KerasTensor t,
      Set<KerasTensor> available,
      List<LayerCall> sorted,
      Set<LayerCall> done,
      List<String> visited) {
    if (available.contains(t)) {
      return;
    }
    LayerCall call = t.layer().calls().get(t.callIndex());
    if (done.contains(call)) {
      return;
    }
    if (call.inputs().isEmpty()) {
      throw new KilnException(
          "Graph disconnected: cannot find parent for tensor "
              + t
              + " at layer \""
              + t.layer().name()
              + "\": it is an input that is not among the model's inputs. The following previous"
              + " layers were accessed without issue: "
              + visited);
    }
    for (KerasTensor in : call.inputs()) {
      visit(in, available, sorted, done, visited);
    }
    done.add(call);
    sorted.add(call);
    visited.add(call.layer().name());
  }

  /** Emits every call in order on these input values; returns the output values. */
  List<Value> run(Ops ops, List<Value> in) {
    Map<KerasTensor, Value> env = new IdentityHashMap<>();
    for (int i = 0; i < in.size(); i++) {
      env.put(inputs.get(i), in.get(i));
    }
    for (LayerCall c : order) {
      List<Value> args = new ArrayList<>();
      for (KerasTensor t : c.inputs()) {
        args.add(env.get(t));
      }
      List<Value> res =
          c.training() == null
              ? c.layer().trace(ops, args)
              : ops.context().withTraining(c.training(), () -> c.layer().trace(ops, args));
      for (int j = 0; j < res.size(); j++) {
        env.put(c.outputs().get(j), res.get(j));
      }
    }
    List<Value> out = new ArrayList<>();
    for (KerasTensor t : outputs) {
      out.add(env.get(t));
    }
    return out;
  }
}
