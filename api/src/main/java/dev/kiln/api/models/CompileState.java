package dev.kiln.api.models;

import dev.kiln.api.KilnException;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.losses.Loss;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.metrics.Metric;
import dev.kiln.api.metrics.Metrics;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.optimizers.Optimizer;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code compile} configured, as Keras's {@code CompileLoss} and {@code CompileMetrics}: the
 * optimizer, one loss per output (null where an output has no loss), the loss weights, the metrics
 * of each output and the trackers behind the {@code loss} and {@code <output>_loss} logs.
 */
final class CompileState {
  final Optimizer optimizer;
  final List<String> outputNames;
  final List<Loss> losses;
  final List<Double> lossWeights;
  final List<List<Metric>> metrics;
  final Metric lossTracker = new Metrics.Mean("loss");
  private final List<Metric> outputLossTrackers;

  /**
   * @param metricSpecs per output, metric names or {@link Metric} objects; an object given for
   *     several outputs is used for the first and copied by name for the others
   */
  CompileState(
      Optimizer optimizer,
      List<String> outputNames,
      List<Loss> losses,
      List<Double> lossWeights,
      List<List<Object>> metricSpecs) {
    this.optimizer = optimizer;
    this.outputNames = List.copyOf(outputNames);
    this.losses = Collections.unmodifiableList(new ArrayList<>(losses));
    this.lossWeights = lossWeights == null ? null : List.copyOf(lossWeights);
    Set<Metric> used = Collections.newSetFromMap(new IdentityHashMap<>());
    List<List<Metric>> ms = new ArrayList<>();
    for (int o = 0; o < losses.size(); o++) {
      List<Metric> list = new ArrayList<>();
      for (Object m : metricSpecs.get(o)) {
        list.add(
            m instanceof Metric given && used.add(given)
                ? given
                : m instanceof Metric g ? copy(g) : Metrics.get(m.toString(), losses.get(o)));
      }
      ms.add(list);
    }
    this.metrics = ms;
    List<Metric> trackers = new ArrayList<>();
    for (int o = 0; o < losses.size(); o++) {
      // As Keras 3: one entry per output only when there are several.
      trackers.add(
          losses.size() > 1 && losses.get(o) != null
              ? new Metrics.Mean(outputNames.get(o) + "_loss")
              : null);
    }
    this.outputLossTrackers = trackers;
  }

  /**
   * Checks that there is one loss (and one loss weight, if any) per output; {@code outputs} 0 means
   * the model takes its output count from the losses (a subclassed model).
   */
  // A metric object given for several outputs is copied with its arguments for each further one.
  private static Metric copy(Metric m) {
    try {
      return Registry.fromConfig(Kind.METRIC, m.className(), m.getConfig());
    } catch (KilnException | IllegalArgumentException e) {
      throw new KilnException(
          "metric '"
              + m.name()
              + "' is given for several outputs but cannot be copied from its config ("
              + e.getMessage()
              + "); pass one metric object per output",
          e);
    }
  }

  static void checkCounts(String model, int outputs, List<Loss> losses, List<Double> lossWeights) {
    if (outputs > 0 && losses.size() != outputs) {
      throw new KilnException(
          "Model \""
              + model
              + "\" has "
              + outputs
              + " outputs but "
              + losses.size()
              + " losses were given; pass one loss per output");
    }
    if (lossWeights != null && lossWeights.size() != losses.size()) {
      throw new KilnException(
          "Model \""
              + model
              + "\" has "
              + losses.size()
              + " losses but "
              + lossWeights.size()
              + " loss weights were given; pass one weight per output");
    }
  }

  /**
   * The values of a dict keyed by output name, in output order, {@code missing} where an output has
   * no key.
   *
   * @throws KilnException if a key names no output, listing the output names
   */
  static <T> List<T> byOutput(
      String model, String what, Map<String, ? extends T> map, List<String> names, T missing) {
    for (String key : map.keySet()) {
      if (!names.contains(key)) {
        throw new KilnException(
            "compile: the "
                + what
                + " dict has key '"
                + key
                + "', which names no output of model \""
                + model
                + "\"; the outputs are "
                + names);
      }
    }
    List<T> out = new ArrayList<>();
    for (String n : names) {
      out.add(map.containsKey(n) ? map.get(n) : missing);
    }
    return out;
  }

  /** A metrics dict's lists in output order, empty for an output without a key or a null dict. */
  static List<List<Object>> metricsByOutput(
      String model, Map<String, ? extends List<?>> metrics, List<String> names) {
    List<List<Object>> out = new ArrayList<>();
    if (metrics == null) {
      names.forEach(n -> out.add(List.of()));
      return out;
    }
    for (List<?> ms : byOutput(model, "metrics", metrics, names, List.of())) {
      out.add(List.copyOf(ms));
    }
    return out;
  }

  /** A loss dict's values in output order: {@link Loss}es, names resolved, null for none. */
  static List<Loss> lossesByOutput(String model, Map<String, ?> losses, List<String> names) {
    List<Loss> out = new ArrayList<>();
    for (Object v : byOutput(model, "loss", losses, names, null)) {
      out.add(
          switch (v) {
            case null -> null;
            case Loss l -> l;
            case String id -> Losses.get(id);
            default ->
                throw new KilnException(
                    "compile: a loss of model \""
                        + model
                        + "\" must be a Loss or a loss name, not a "
                        + v.getClass().getSimpleName()
                        + " ("
                        + v
                        + ")");
          });
    }
    return out;
  }

  /**
   * The compiled losses of these predictions, each reduced to a scalar and multiplied by its loss
   * weight, summed; updates the per-output loss trackers. Null when no output has a loss.
   */
  Value compiledLoss(Ops ops, List<Value> y, List<Value> yPred, Value sampleWeight, String model) {
    if (yPred.size() != losses.size() || y.size() != losses.size()) {
      throw new KilnException(
          "Model \""
              + model
              + "\" was compiled with "
              + losses.size()
              + " loss(es) (outputs "
              + outputNames
              + ") but the step has "
              + yPred.size()
              + " prediction(s) and "
              + y.size()
              + " target(s)");
    }
    Value total = null;
    for (int j = 0; j < yPred.size(); j++) {
      Loss loss = losses.get(j);
      if (loss == null) {
        continue;
      }
      Value l = loss.compute(ops, y.get(j), yPred.get(j), sampleWeight, ops.mask(yPred.get(j)));
      if (l.rank() != 0) {
        l = ops.meanAll(l);
      }
      Metric tracker = outputLossTrackers.get(j);
      if (tracker != null) {
        // Keras tracks each output's loss before its loss weight.
        tracker.update(ops, l, l, ops.scalar(yPred.get(j).shape().dim(0)));
      }
      if (lossWeights != null) {
        l = ops.mul(l, lossWeights.get(j));
      }
      total = total == null ? l : ops.add(total, l);
    }
    return total;
  }

  /** Emits the update of every compiled metric (masked where a prediction carries a mask). */
  void updateMetrics(Ops ops, List<Value> y, List<Value> yPred) {
    for (int j = 0; j < yPred.size() && j < metrics.size(); j++) {
      Value mask = ops.mask(yPred.get(j));
      for (Metric m : metrics.get(j)) {
        m.update(ops, y.get(j), yPred.get(j), mask == null ? null : ops.toFloat(mask));
      }
    }
  }

  /** Zeroes every tracker and metric (each epoch, each evaluation). */
  void reset() {
    for (Metric m : allMetrics()) {
      m.reset();
    }
  }

  /** The logs: {@code loss}, each {@code <output>_loss}, then the metrics in compile order. */
  Map<String, Double> results() {
    Map<String, Double> logs = new LinkedHashMap<>();
    logs.put("loss", lossTracker.result());
    for (Metric t : outputLossTrackers) {
      if (t != null && t.built()) {
        logs.put(t.name(), t.result());
      }
    }
    for (int j = 0; j < metrics.size(); j++) {
      for (Metric m : metrics.get(j)) {
        if (m.built()) {
          logs.put(metrics.size() > 1 ? outputNames.get(j) + "_" + m.name() : m.name(), m.result());
        }
      }
    }
    return logs;
  }

  /** Every backend variable this configuration created: optimizer state, metric state. */
  List<Weight> variables() {
    List<Weight> out = new ArrayList<>(optimizer.variables());
    for (Metric m : allMetrics()) {
      out.addAll(m.state());
    }
    return out;
  }

  private List<Metric> allMetrics() {
    List<Metric> all = new ArrayList<>();
    all.add(lossTracker);
    for (Metric t : outputLossTrackers) {
      if (t != null) {
        all.add(t);
      }
    }
    for (List<Metric> ms : metrics) {
      all.addAll(ms);
    }
    return all;
  }
}
