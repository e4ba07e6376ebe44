package dev.kiln.api.models;

import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.callbacks.Callback;
import dev.kiln.api.callbacks.ProgressBar;
import dev.kiln.api.data.Dataset;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.losses.Loss;
import dev.kiln.api.metrics.Metric;
import dev.kiln.api.metrics.Metrics;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.autodiff.Autodiff;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The training loop behind {@code fit}, {@code evaluate} and {@code predict}: traces the model into
 * one train-step graph (forward, loss, gradients, optimizer update, metric updates), one eval-step
 * graph and one predict graph per input signature, compiles each once and runs them batch after
 * batch.
 */
final class Trainer {
  private final Model model;
  private final Backend backend;
  private final Map<String, Step> cache = new HashMap<>();
  private final Metric lossTracker = new Metrics.Mean("loss");
  private SplittableRandom seeds;

  /** A compiled (or eager) step. */
  interface Step {
    List<HostTensor> run(List<HostTensor> inputs);
  }

  Trainer(Model model) {
    this.model = model;
    this.backend = Kiln.backend();
  }

  /** How many compiled steps are cached (one per mode and input signature). */
  int cacheSize() {
    return cache.size();
  }

  private int inputCount() {
    return model.inputs().size();
  }

  private int outputCount() {
    return model.outputs().size();
  }

  // ---------------------------------------------------------------- graphs

  private Step compile(Graph g) {
    if (model.runEagerly) {
      return new EagerStep(g, backend);
    }
    Executable ex;
    try {
      ex = backend.compile(g, CompileOptions.defaults());
    } catch (BackendException e) {
      throw new KilnException(
          "backend '"
              + backend.name()
              + "' cannot compile model \""
              + model.name()
              + "\": "
              + e.getMessage(),
          e);
    }
    return ex::runHost;
  }

  private Step trainStep(List<TensorType> xt, List<TensorType> yt) {
    String key = "train" + xt + yt;
    Step s = cache.get(key);
    if (s == null) {
      s = compile(trainGraph(xt, yt));
      cache.put(key, s);
    }
    return s;
  }

  private Graph trainGraph(List<TensorType> xt, List<TensorType> yt) {
    GraphBuilder b = new GraphBuilder();
    List<Value> xs = inputs(b, xt);
    List<Value> ys = inputs(b, yt);
    int batch = xt.get(0).shape().dim(0);
    Value sw = b.input(TensorType.of(DType.FLOAT32, batch));
    Value seed = b.input(TensorType.of(DType.INT64, 2));
    Ops ops = new Ops(b, true, seed);
    List<Value> preds = model.trace(ops, xs);
    Value total = totalLoss(ops, ys, preds, sw);
    List<Weight> trainable = model.trainableWeights();
    if (trainable.isEmpty()) {
      throw new KilnException(
          "model \"" + model.name() + "\" has no trainable weights; nothing to train");
    }
    List<Value> reads = new ArrayList<>();
    for (Weight w : trainable) {
      reads.add(ops.read(w));
    }
    List<Value> grads = Autodiff.gradients(b, total, reads);
    Map<Weight, Value> updated = model.optimizer.applyGradients(ops, trainable, grads);
    for (Map.Entry<Weight, Value> e : updated.entrySet()) {
      Value v = e.getValue();
      if (e.getKey().constraint() != null) {
        v = e.getKey().constraint().apply(ops, v);
      }
      ops.assign(e.getKey(), v);
    }
    updateMetrics(ops, ys, preds, total, batch);
    for (Map.Entry<Weight, Value> e : ops.assignments().entrySet()) {
      b.update(e.getKey().id(), e.getValue());
    }
    return b.output(total).build();
  }

  private Graph evalGraph(List<TensorType> xt, List<TensorType> yt) {
    GraphBuilder b = new GraphBuilder();
    List<Value> xs = inputs(b, xt);
    List<Value> ys = inputs(b, yt);
    int batch = xt.get(0).shape().dim(0);
    Value sw = b.input(TensorType.of(DType.FLOAT32, batch));
    Ops ops = new Ops(b, false, b.constant(HostTensor.of(Shape.of(2), new long[] {0, 0})));
    List<Value> preds = model.trace(ops, xs);
    Value total = totalLoss(ops, ys, preds, sw);
    updateMetrics(ops, ys, preds, total, batch);
    for (Map.Entry<Weight, Value> e : ops.assignments().entrySet()) {
      if (!e.getKey().trainable()) {
        b.update(e.getKey().id(), e.getValue());
      }
    }
    return b.output(total).build();
  }

  private Graph predictGraph(List<TensorType> xt) {
    GraphBuilder b = new GraphBuilder();
    List<Value> xs = inputs(b, xt);
    Ops ops = new Ops(b, false, b.constant(HostTensor.of(Shape.of(2), new long[] {0, 0})));
    List<Value> preds = model.trace(ops, xs);
    return b.output(preds.toArray(Value[]::new)).build();
  }

  private static List<Value> inputs(GraphBuilder b, List<TensorType> types) {
    List<Value> out = new ArrayList<>();
    for (TensorType t : types) {
      out.add(b.input(t));
    }
    return out;
  }

  private Value totalLoss(Ops ops, List<Value> ys, List<Value> preds, Value sw) {
    Value total = null;
    for (int j = 0; j < preds.size(); j++) {
      Loss loss = model.losses.get(j);
      Value l = loss.compute(ops, ys.get(j), preds.get(j), sw, ops.mask(preds.get(j)));
      if (l.rank() != 0) {
        l = ops.meanAll(l);
      }
      if (model.lossWeights != null) {
        l = ops.mul(l, model.lossWeights.get(j));
      }
      total = total == null ? l : ops.add(total, l);
    }
    for (Weight w : model.weights()) {
      if (w.regularizer() != null && w.trainable()) {
        total = ops.add(total, w.regularizer().penalty(ops, ops.read(w)));
      }
    }
    for (Value extra : ops.addedLosses()) {
      total = ops.add(total, extra);
    }
    return total;
  }

  private void updateMetrics(Ops ops, List<Value> ys, List<Value> preds, Value total, int batch) {
    lossTracker.update(ops, total, total, ops.scalar(batch));
    for (int j = 0; j < preds.size(); j++) {
      Value mask = ops.mask(preds.get(j));
      for (Metric m : model.metrics.get(j)) {
        m.update(ops, ys.get(j), preds.get(j), mask == null ? null : ops.toFloat(mask));
      }
    }
  }

  // ---------------------------------------------------------------- one batch

  private double runTrain(List<Tensor> xs, List<Tensor> ys, Tensor sw) {
    List<Tensor> x = castInputs(xs);
    List<Tensor> y = castTargets(ys);
    checkLabels(y);
    Step step = trainStep(types(x), types(y));
    List<HostTensor> in = hostInputs(x, y, sw);
    in.add(HostTensor.of(Shape.of(2), new long[] {seeds().nextLong(), 0}));
    model.optimizer.beforeStep();
    List<HostTensor> out = step.run(in);
    model.optimizer.afterStep();
    return out.get(0).getDouble(0);
  }

  private double runEval(List<Tensor> xs, List<Tensor> ys, Tensor sw) {
    List<Tensor> x = castInputs(xs);
    List<Tensor> y = castTargets(ys);
    checkLabels(y);
    String key = "eval" + types(x) + types(y);
    Step step = cache.get(key);
    if (step == null) {
      step = compile(evalGraph(types(x), types(y)));
      cache.put(key, step);
    }
    return step.run(hostInputs(x, y, sw)).get(0).getDouble(0);
  }

  /** The step inputs: features, targets, then the sample weights (ones when none are given). */
  private List<HostTensor> hostInputs(List<Tensor> x, List<Tensor> y, Tensor sw) {
    List<HostTensor> in = new ArrayList<>();
    for (Tensor t : x) {
      in.add(t.host());
    }
    for (Tensor t : y) {
      in.add(t.host());
    }
    in.add(weights(sw, x.get(0).length()));
    return in;
  }

  List<Tensor> predictBatch(List<Tensor> xs) {
    List<Tensor> x = castInputs(xs);
    String key = "predict" + types(x);
    Step step = cache.get(key);
    if (step == null) {
      step = compile(predictGraph(types(x)));
      cache.put(key, step);
    }
    List<HostTensor> in = new ArrayList<>();
    for (Tensor t : x) {
      in.add(t.host());
    }
    List<Tensor> out = new ArrayList<>();
    for (HostTensor h : step.run(in)) {
      out.add(Tensor.wrap(h));
    }
    return out;
  }

  private SplittableRandom seeds() {
    if (seeds == null) {
      seeds = Kiln.splitRandom();
    }
    return seeds;
  }

  private final Map<Integer, HostTensor> unitWeights = new HashMap<>();

  private HostTensor weights(Tensor sw, int batch) {
    if (sw == null) {
      // One tensor of ones per batch size, not one per step.
      return unitWeights.computeIfAbsent(
          batch,
          n -> {
            float[] ones = new float[n];
            java.util.Arrays.fill(ones, 1f);
            return HostTensor.of(Shape.of(n), ones);
          });
    }
    Tensor w = sw.cast(DType.FLOAT32);
    if (w.rank() != 1 || w.length() != batch) {
      throw new KilnException(
          "sample weights must have shape ("
              + batch
              + ",) for this batch, but have shape "
              + w.shape());
    }
    return w.host();
  }

  private static List<TensorType> types(List<Tensor> ts) {
    List<TensorType> out = new ArrayList<>();
    for (Tensor t : ts) {
      out.add(t.host().type());
    }
    return out;
  }

  private List<Tensor> castInputs(List<Tensor> xs) {
    if (xs.size() != inputCount()) {
      throw new KilnException(
          "Model \""
              + model.name()
              + "\" expects "
              + inputCount()
              + " input(s), but it received "
              + xs.size()
              + " input arrays");
    }
    List<Tensor> out = new ArrayList<>();
    for (int i = 0; i < xs.size(); i++) {
      Tensor t = xs.get(i);
      Shape expected = model.inputs().get(i).shape();
      int[] d = t.dims();
      boolean ok = d.length == expected.rank();
      for (int k = 1; ok && k < d.length; k++) {
        ok = expected.dim(k) == Shape.UNKNOWN || expected.dim(k) == d[k];
      }
      if (!ok) {
        int[] shown = d.clone();
        String got = Shape.of(shown).toString();
        throw new KilnException(
            "Input "
                + i
                + " of layer \""
                + model.name()
                + "\" is incompatible with the layer: expected shape="
                + expected
                + ", found shape="
                + got);
      }
      out.add(t.cast(model.inputs().get(i).dtype()));
    }
    return out;
  }

  private List<Tensor> castTargets(List<Tensor> ys) {
    if (ys.size() != outputCount()) {
      throw new KilnException(
          "Model \""
              + model.name()
              + "\" has "
              + outputCount()
              + " output(s) but "
              + ys.size()
              + " target arrays were given");
    }
    List<Tensor> out = new ArrayList<>();
    for (Tensor t : ys) {
      out.add(
          t.dtype() == DType.FLOAT64
                  || t.dtype() == DType.UINT8
                  || t.dtype() == DType.BOOL
                  || t.dtype() == DType.INT8
              ? t.cast(
                  t.dtype() == DType.UINT8 || t.dtype() == DType.INT8 ? DType.INT32 : DType.FLOAT32)
              : t);
    }
    return out;
  }

  /**
   * Class ids must lie in [0, classes) for sparse losses; a kernel would otherwise read garbage.
   */
  private void checkLabels(List<Tensor> ys) {
    for (int j = 0; j < ys.size(); j++) {
      Loss loss = model.losses.get(j);
      if (!loss.name().equals("sparse_categorical_crossentropy")) {
        continue;
      }
      Shape out = model.outputs().get(j).shape();
      int classes = out.dim(-1);
      Tensor y = ys.get(j);
      for (int i = 0; i < y.size(); i++) {
        double v = y.getDouble(i);
        if (v < 0 || v >= classes || v != Math.floor(v)) {
          throw new KilnException(
              "Received a label value of "
                  + (v == Math.floor(v) ? Long.toString((long) v) : Double.toString(v))
                  + " which is outside the valid range of [0, "
                  + classes
                  + ") for loss sparse_categorical_crossentropy on output "
                  + j
                  + " (shape "
                  + out
                  + "); label index "
                  + i);
        }
      }
    }
  }

  // ---------------------------------------------------------------- metrics

  private void resetMetrics() {
    lossTracker.reset();
    for (List<Metric> ms : model.metrics) {
      for (Metric m : ms) {
        m.reset();
      }
    }
  }

  private Map<String, Double> results() {
    Map<String, Double> logs = new LinkedHashMap<>();
    logs.put("loss", lossTracker.result());
    for (int j = 0; j < model.metrics.size(); j++) {
      for (Metric m : model.metrics.get(j)) {
        if (!m.built()) {
          continue;
        }
        String name =
            model.metrics.size() > 1
                ? model.outputs().get(j).layer().name() + "_" + m.name()
                : m.name();
        logs.put(name, m.result());
      }
    }
    return logs;
  }

  // ---------------------------------------------------------------- loops

  private record Parts(List<Tensor> x, List<Tensor> y, Tensor sw) {}

  private Parts split(List<Tensor> element) {
    int n = inputCount();
    int m = outputCount();
    if (element.size() != n + m && element.size() != n + m + 1) {
      throw new KilnException(
          "each dataset element must hold "
              + n
              + " input(s), "
              + m
              + " target(s) and optionally sample weights, but it holds "
              + element.size()
              + " tensors");
    }
    return new Parts(
        element.subList(0, n),
        element.subList(n, n + m),
        element.size() > n + m ? element.get(n + m) : null);
  }

  History fitArrays(List<Tensor> xs, List<Tensor> ys, FitOptions o) {
    int n = xs.get(0).length();
    Tensor sw = o.sampleWeight;
    if (o.classWeight != null) {
      sw = classWeights(ys.get(0), o.classWeight, sw);
    }
    List<Tensor> cols = new ArrayList<>(xs);
    cols.addAll(ys);
    if (sw != null) {
      cols.add(sw);
    }
    for (int i = 1; i < cols.size(); i++) {
      if (cols.get(i).length() != n) {
        throw new KilnException(
            "Data cardinality is ambiguous: x has "
                + n
                + " samples but array "
                + i
                + " has "
                + cols.get(i).length()
                + ". Make sure all arrays contain the same number of samples.");
      }
    }
    Dataset val = null;
    if (o.validationSplit > 0) {
      int at = (int) (n * (1 - o.validationSplit));
      List<Tensor> train = new ArrayList<>();
      List<Tensor> held = new ArrayList<>();
      for (Tensor c : cols) {
        train.add(c.slice(0, at));
        held.add(c.slice(at, n));
      }
      cols = train;
      val = Dataset.fromTensors(held.toArray(Tensor[]::new)).batch(o.batchSize);
    }
    if (o.validationArrays != null) {
      val = Dataset.fromTensors(o.validationArrays.toArray(Tensor[]::new)).batch(o.batchSize);
    }
    Dataset data = Dataset.fromTensors(cols.toArray(Tensor[]::new));
    if (o.shuffle) {
      data = data.shuffle(n, o.seed != null ? o.seed : Kiln.nextSeed());
    }
    data = data.batch(o.batchSize);
    if (val != null && o.validationData == null) {
      o.validationData = val;
    }
    return fit(data, o);
  }

  private static Tensor classWeights(Tensor y, Map<Integer, Double> cw, Tensor sw) {
    int[] ids = y.rank() >= 2 && y.shape().dim(-1) > 1 ? y.argmax() : y.toIntArray();
    float[] w = new float[ids.length];
    for (int i = 0; i < ids.length; i++) {
      w[i] =
          cw.getOrDefault(ids[i], 1.0).floatValue() * (sw == null ? 1f : (float) sw.getDouble(i));
    }
    return Tensor.of(w);
  }

  History fit(Dataset data, FitOptions o) {
    model.stopTraining = false;
    History history = new History();
    // As Keras orders them: the user's callbacks first (they may add to the logs), then the
    // progress bar, then History.
    List<Callback> cbs = new ArrayList<>(o.callbacks);
    ProgressBar bar = null;
    if (o.verbose > 0) {
      bar = new ProgressBar(o.verbose);
      cbs.add(bar);
    }
    cbs.add(history);
    boolean batchMetrics = false;
    for (Callback c : cbs) {
      c.setModel(model);
      batchMetrics |= c.needsBatchMetrics();
    }
    long steps = o.stepsPerEpoch > 0 ? o.stepsPerEpoch : data.cardinality();
    if (bar != null) {
      bar.setParams(o.epochs, steps);
    }
    Map<String, Double> logs = new LinkedHashMap<>();
    for (Callback c : cbs) {
      c.onTrainBegin(logs);
    }
    Iterator<List<Tensor>> carried = null;
    for (int epoch = o.initialEpoch; epoch < o.epochs && !model.stopTraining; epoch++) {
      resetMetrics();
      for (Callback c : cbs) {
        c.onEpochBegin(epoch, logs);
      }
      Iterator<List<Tensor>> it;
      if (o.stepsPerEpoch > 0) {
        if (carried == null || !carried.hasNext()) {
          carried = data.iterator();
        }
        it = carried;
      } else {
        it = data.iterator();
      }
      int step = 0;
      while ((o.stepsPerEpoch <= 0 || step < o.stepsPerEpoch) && it.hasNext()) {
        Parts p = split(it.next());
        if (step == 0 && epoch == o.initialEpoch) {
          List<Shape> shapes = new ArrayList<>();
          for (Tensor t : p.x()) {
            int[] d = t.dims();
            d[0] = Shape.UNKNOWN;
            shapes.add(Shape.of(d));
          }
          model.ensureBuilt(shapes);
        }
        for (Callback c : cbs) {
          c.onTrainBatchBegin(step, logs);
        }
        double loss = runTrain(p.x(), p.y(), p.sw());
        Map<String, Double> batchLogs;
        if (batchMetrics) {
          batchLogs = results();
        } else {
          batchLogs = new LinkedHashMap<>();
          batchLogs.put("loss", loss);
        }
        for (Callback c : cbs) {
          c.onTrainBatchEnd(step, batchLogs);
        }
        step++;
        if (model.stopTraining) {
          break;
        }
      }
      if (step == 0) {
        throw new KilnException(
            "the training data yielded no batches in epoch "
                + (epoch + 1)
                + (o.stepsPerEpoch > 0 ? "; it ran out: use repeat() with steps_per_epoch" : ""));
      }
      if (bar != null && steps <= 0) {
        bar.setParams(o.epochs, step);
      }
      logs = results();
      if (o.validationData != null) {
        Map<String, Double> val = evaluate(o.validationData, new FitOptions().verbose(0), false);
        for (Map.Entry<String, Double> e : val.entrySet()) {
          logs.put("val_" + e.getKey(), e.getValue());
        }
      }
      for (Callback c : cbs) {
        c.onEpochEnd(epoch, logs);
      }
    }
    for (Callback c : cbs) {
      c.onTrainEnd(logs);
    }
    return history;
  }

  Map<String, Double> evaluateArrays(List<Tensor> xs, List<Tensor> ys, FitOptions o) {
    List<Tensor> cols = new ArrayList<>(xs);
    cols.addAll(ys);
    if (o.sampleWeight != null) {
      cols.add(o.sampleWeight);
    }
    return evaluate(Dataset.fromTensors(cols.toArray(Tensor[]::new)).batch(o.batchSize), o, true);
  }

  Map<String, Double> evaluate(Dataset data, FitOptions o, boolean callbacks) {
    resetMetrics();
    ProgressBar bar = null;
    List<Callback> cbs = callbacks ? new ArrayList<>(o.callbacks) : List.of();
    if (callbacks && o.verbose > 0) {
      bar = new ProgressBar(o.verbose);
      bar.beginTest(data.cardinality());
      cbs = new ArrayList<>(cbs);
      cbs.add(bar);
    }
    Map<String, Double> logs = new LinkedHashMap<>();
    for (Callback c : cbs) {
      c.setModel(model);
      c.onTestBegin(logs);
    }
    int step = 0;
    for (List<Tensor> e : data) {
      Parts p = split(e);
      runEval(p.x(), p.y(), p.sw());
      for (Callback c : cbs) {
        c.onTestBatchEnd(step, logs);
      }
      step++;
    }
    logs = results();
    for (Callback c : cbs) {
      c.onTestEnd(logs);
    }
    return logs;
  }

  List<Tensor> predictArrays(List<Tensor> xs, FitOptions o) {
    Dataset data = Dataset.fromTensors(xs.toArray(Tensor[]::new)).batch(o.batchSize);
    List<List<Tensor>> parts = new ArrayList<>();
    for (List<Tensor> batch : data) {
      parts.add(predictBatch(batch));
    }
    List<Tensor> out = new ArrayList<>();
    if (parts.isEmpty()) {
      return out;
    }
    for (int j = 0; j < parts.get(0).size(); j++) {
      List<Tensor> col = new ArrayList<>();
      for (List<Tensor> p : parts) {
        col.add(p.get(j));
      }
      out.add(Tensor.concat(col));
    }
    return out;
  }

  Map<String, Double> trainOnBatch(List<Tensor> xs, List<Tensor> ys, Tensor sw) {
    double loss = runTrain(xs, ys, sw);
    Map<String, Double> logs = results();
    logs.put("loss", loss);
    return logs;
  }

  Map<String, Double> testOnBatch(List<Tensor> xs, List<Tensor> ys) {
    resetMetrics();
    runEval(xs, ys, null);
    return results();
  }
}
