package dev.kiln.api.models;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.data.Dataset;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.LayerCall;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.layers.core.InputLayer;
import dev.kiln.api.losses.Loss;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.metrics.Metric;
import dev.kiln.api.metrics.Metrics;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.optimizers.Optimizer;
import dev.kiln.api.optimizers.Optimizers;
import dev.kiln.api.saving.WeightsFile;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model: layers wired into a graph, trained with {@link #compile} and {@link #fit}. This class is
 * the Functional API's model ({@code Model.of(inputs, outputs)}); {@link Sequential} is a stack of
 * layers. A model is a layer too, so it can be called on symbolic tensors inside another model.
 *
 * {@snippet :
 * KerasTensor in = Input.of(784);
 * KerasTensor h = new Dense(64, "relu").apply(in);
 * Model model = Model.of(in, new Dense(10, "softmax").apply(h));
 * model.compile("adam", "sparse_categorical_crossentropy", "accuracy");
 * History h = model.fit(x, y, new FitOptions().epochs(5));
 * }
 */
public class Model extends Layer {
  private List<KerasTensor> inputs = List.of();
  private List<KerasTensor> outputs = List.of();
  private List<LayerCall> order = List.of();
  private List<Layer> layers = List.of();

  Optimizer optimizer;
  List<Loss> losses;
  List<Double> lossWeights;
  List<List<Metric>> metrics;
  boolean runEagerly;
  boolean stopTraining;
  Trainer trainer;

  /** A Functional model from its inputs to its outputs. */
  protected Model(List<KerasTensor> inputs, List<KerasTensor> outputs, String name) {
    super();
    name(name == null ? Kiln.uniqueName("functional") : name);
    setGraph(inputs, outputs);
  }

  /** For subclasses that set their graph later ({@link Sequential}). */
  protected Model(String name) {
    super();
    name(name);
  }

  /** A Functional model with one input and one output. */
  public static Model of(KerasTensor input, KerasTensor output) {
    return new Model(List.of(input), List.of(output), null);
  }

  /**
   * A Functional model with several inputs and outputs.
   *
   * @throws KilnException if an output cannot be computed from the inputs ("Graph disconnected")
   */
  public static Model of(List<KerasTensor> inputs, List<KerasTensor> outputs) {
    return new Model(inputs, outputs, null);
  }

  /** A named Functional model. */
  public static Model of(List<KerasTensor> inputs, List<KerasTensor> outputs, String name) {
    return new Model(inputs, outputs, name);
  }

  /** Wires the graph: orders the layer calls from the inputs to the outputs. */
  protected final void setGraph(List<KerasTensor> ins, List<KerasTensor> outs) {
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
    Set<KerasTensor> available = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    available.addAll(ins);
    List<LayerCall> sorted = new ArrayList<>();
    Set<LayerCall> done = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
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
    this.inputs = List.copyOf(ins);
    this.outputs = List.copyOf(outs);
    this.order = sorted;
    this.layers = ls;
    markBuilt();
  }

  private void visit(
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

  /** The symbolic inputs. */
  public List<KerasTensor> inputs() {
    return inputs;
  }

  /** The symbolic outputs. */
  public List<KerasTensor> outputs() {
    return outputs;
  }

  /** The layers, in the order they are called (input layers first for Functional models). */
  public List<Layer> layers() {
    return layers;
  }

  /** The layer calls in execution order. */
  protected List<LayerCall> callOrder() {
    return order;
  }

  @Override
  protected List<Layer> nestedLayers() {
    return layers();
  }

  /**
   * The layer named {@code name}.
   *
   * @throws KilnException if none has it, listing the names there are
   */
  public Layer getLayer(String name) {
    for (Layer l : layers()) {
      if (l.name().equals(name)) {
        return l;
      }
    }
    List<String> names = new ArrayList<>();
    for (Layer l : layers()) {
      names.add(l.name());
    }
    throw new KilnException("No such layer: " + name + ". Existing layers are: " + names + ".");
  }

  /** The layer at {@code index} of {@link #layers()}. */
  public Layer getLayer(int index) {
    if (index < 0 || index >= layers().size()) {
      throw new KilnException(
          "Was asked to retrieve layer at index "
              + index
              + " but model only has "
              + layers().size()
              + " layers.");
    }
    return layers().get(index);
  }

  @Override
  protected List<Value> call(Ops ops, List<Value> in) {
    if (in.size() != inputs.size()) {
      throw new KilnException(
          "Model \""
              + name()
              + "\" expects "
              + inputs.size()
              + " input(s), but it received "
              + in.size()
              + " input tensors");
    }
    Map<KerasTensor, Value> env = new IdentityHashMap<>();
    for (int i = 0; i < in.size(); i++) {
      checkInputShape(i, in.get(i).shape());
      env.put(inputs.get(i), in.get(i));
    }
    for (LayerCall c : order) {
      List<Value> args = new ArrayList<>();
      for (KerasTensor t : c.inputs()) {
        args.add(env.get(t));
      }
      List<Value> res = c.layer().trace(ops, args);
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

  /**
   * Checks a concrete input shape against input {@code i}.
   *
   * @throws KilnException in Keras's words when they differ
   */
  protected void checkInputShape(int i, Shape s) {
    Shape expected = inputs.get(i).shape();
    boolean ok = expected.rank() == s.rank();
    for (int d = 0; ok && d < s.rank(); d++) {
      int e = expected.dim(d);
      ok = e == Shape.UNKNOWN || s.dim(d) == Shape.UNKNOWN || e == s.dim(d);
    }
    if (!ok) {
      throw new KilnException(
          "Input "
              + i
              + " of layer \""
              + name()
              + "\" is incompatible with the layer: expected shape="
              + expected
              + ", found shape="
              + s);
    }
  }

  // ---------------------------------------------------------------- training configuration

  /**
   * Configures training with Keras names: {@code compile("adam", "sparse_categorical_crossentropy",
   * "accuracy")}.
   *
   * @throws KilnException for an unknown optimizer, loss or metric name
   */
  public void compile(String optimizer, String loss, String... metrics) {
    compile(Optimizers.get(optimizer), Losses.get(loss), metrics);
  }

  /** Configures training with objects; metrics may be names or {@link Metric}s. */
  public void compile(Optimizer optimizer, Loss loss, Object... metrics) {
    List<Loss> ls = new ArrayList<>();
    for (int i = 0; i < Math.max(1, outputsCount()); i++) {
      ls.add(i == 0 ? loss : copyLoss(loss));
    }
    compile(optimizer, ls, null, List.of(metrics));
  }

  private static Loss copyLoss(Loss l) {
    try {
      return Losses.get(l.name());
    } catch (KilnException e) {
      return l;
    }
  }

  /**
   * Configures training of a model with several outputs: one loss per output, optional loss
   * weights, and metrics computed for every output (named {@code <output>_<metric>} when there are
   * several).
   *
   * @throws KilnException if the number of losses differs from the number of outputs
   */
  public void compile(
      Optimizer optimizer, List<Loss> losses, List<Double> lossWeights, List<Object> metrics) {
    int n = outputsCount();
    if (n > 0 && losses.size() != n) {
      throw new KilnException(
          "Model \""
              + name()
              + "\" has "
              + n
              + " outputs but "
              + losses.size()
              + " losses were given; pass one loss per output");
    }
    this.optimizer = optimizer;
    this.losses = List.copyOf(losses);
    this.lossWeights = lossWeights;
    this.metrics = new ArrayList<>();
    for (int o = 0; o < Math.max(1, n); o++) {
      List<Metric> ms = new ArrayList<>();
      for (Object m : metrics) {
        Metric metric =
            m instanceof Metric given && o == 0
                ? given
                : Metrics.get(
                    m instanceof Metric given ? given.name() : m.toString(), losses.get(o));
        ms.add(metric);
      }
      this.metrics.add(ms);
    }
    this.trainer = null;
  }

  /**
   * Configures training of a model with several outputs, with metrics per output keyed by the name
   * of the layer that produces it (Keras's dict form).
   *
   * @throws KilnException if a key names no output, listing the output names
   */
  public void compile(
      Optimizer optimizer,
      List<Loss> losses,
      List<Double> lossWeights,
      Map<String, List<Object>> metricsByOutput) {
    compile(optimizer, losses, lossWeights, List.of());
    List<String> names = new ArrayList<>();
    for (KerasTensor t : outputs) {
      names.add(t.layer().name());
    }
    for (Map.Entry<String, List<Object>> e : metricsByOutput.entrySet()) {
      int j = names.indexOf(e.getKey());
      if (j < 0) {
        throw new KilnException(
            "metrics were given for output '" + e.getKey() + "' but the outputs are " + names);
      }
      for (Object m : e.getValue()) {
        metrics
            .get(j)
            .add(m instanceof Metric given ? given : Metrics.get(m.toString(), losses.get(j)));
      }
    }
  }

  /** The number of outputs (0 before a Sequential model is built). */
  protected int outputsCount() {
    return outputs.size();
  }

  /** Runs each op on its own, for debugging: errors then point at the op and layer. */
  public void setRunEagerly(boolean eager) {
    this.runEagerly = eager;
    this.trainer = null;
  }

  /** Whether {@link #setRunEagerly} is on. */
  public boolean runEagerly() {
    return runEagerly;
  }

  /** Asks {@code fit} to stop after the current epoch (callbacks use this). */
  public void stopTraining() {
    this.stopTraining = true;
  }

  /** The compiled optimizer, or null. */
  public Optimizer optimizer() {
    return optimizer;
  }

  /** The compiled metrics of output 0. */
  public List<Metric> metrics() {
    return metrics == null ? List.of() : metrics.get(0);
  }

  Trainer trainer() {
    if (optimizer == null) {
      throw new KilnException(
          "You must call `compile()` before using the model for training or evaluation.");
    }
    if (trainer == null) {
      trainer = new Trainer(this);
    }
    return trainer;
  }

  Trainer inferenceTrainer() {
    if (trainer == null) {
      trainer = new Trainer(this);
    }
    return trainer;
  }

  /** Builds a deferred model (a Sequential without an input shape) for these input shapes. */
  protected void ensureBuilt(List<Shape> inputShapes) {}

  // ---------------------------------------------------------------- fit, evaluate, predict

  /** Trains on arrays (one input, one output). */
  public History fit(Tensor x, Tensor y, FitOptions options) {
    return fit(List.of(x), List.of(y), options);
  }

  /** Trains on arrays for {@code epochs} with {@code batchSize}. */
  public History fit(Tensor x, Tensor y, int epochs, int batchSize) {
    return fit(x, y, new FitOptions().epochs(epochs).batchSize(batchSize));
  }

  /** Trains on arrays, one per input and one per output. */
  public History fit(List<Tensor> xs, List<Tensor> ys, FitOptions options) {
    return trainerFor(xs).fitArrays(xs, ys, options);
  }

  /** Trains on a dataset of elements (inputs..., targets..., [sample weight]) already batched. */
  public History fit(Dataset data, FitOptions options) {
    return trainer().fit(data, options);
  }

  /** Evaluates on arrays; returns {@code loss} and each metric. */
  public Map<String, Double> evaluate(Tensor x, Tensor y) {
    return evaluate(List.of(x), List.of(y), new FitOptions());
  }

  /** Evaluates on arrays with options (batch size, verbose, callbacks). */
  public Map<String, Double> evaluate(List<Tensor> xs, List<Tensor> ys, FitOptions options) {
    return trainerFor(xs).evaluateArrays(xs, ys, options);
  }

  /** Evaluates on a batched dataset. */
  public Map<String, Double> evaluate(Dataset data, FitOptions options) {
    return trainer().evaluate(data, options, true);
  }

  /** Predicts for one input array (batches of 32); returns output 0. */
  public Tensor predict(Tensor x) {
    return predict(List.of(x), new FitOptions().verbose(0)).get(0);
  }

  /** Predicts for arrays, one per input; returns one tensor per output. */
  public List<Tensor> predict(List<Tensor> xs, FitOptions options) {
    ensureBuiltFor(xs);
    return inferenceTrainer().predictArrays(xs, options);
  }

  /** One gradient step on one batch; returns {@code loss} and the running metrics. */
  public Map<String, Double> trainOnBatch(Tensor x, Tensor y) {
    return trainerFor(List.of(x)).trainOnBatch(List.of(x), List.of(y), null);
  }

  /** Evaluates one batch (metrics reset first, as Keras). */
  public Map<String, Double> testOnBatch(Tensor x, Tensor y) {
    return trainerFor(List.of(x)).testOnBatch(List.of(x), List.of(y));
  }

  /** Predicts one batch. */
  public Tensor predictOnBatch(Tensor x) {
    ensureBuiltFor(List.of(x));
    return inferenceTrainer().predictBatch(List.of(x)).get(0);
  }

  private Trainer trainerFor(List<Tensor> xs) {
    ensureBuiltFor(xs);
    return trainer();
  }

  private void ensureBuiltFor(List<Tensor> xs) {
    List<Shape> shapes = new ArrayList<>();
    for (Tensor t : xs) {
      int[] d = t.dims();
      if (d.length > 0) {
        d[0] = Shape.UNKNOWN;
      }
      shapes.add(Shape.of(d));
    }
    ensureBuilt(shapes);
  }

  // ---------------------------------------------------------------- weights on disk

  /**
   * Writes every weight to {@code path} (a NumPy {@code .npz} archive keyed by weight path),
   * atomically: a temporary file renamed over the target.
   */
  public void saveWeights(Path path) throws IOException {
    Map<String, Tensor> m = new LinkedHashMap<>();
    for (Weight w : weights()) {
      m.put(w.path(), w.read());
    }
    WeightsFile.write(path, m);
  }

  /**
   * Reads weights written by {@link #saveWeights}.
   *
   * @throws KilnException if a weight is missing or has another shape, naming it and the file
   */
  public void loadWeights(Path path) throws IOException {
    Map<String, Tensor> m = WeightsFile.read(path);
    List<Weight> ws = weights();
    for (Weight w : ws) {
      Tensor t = m.get(w.path());
      if (t == null) {
        throw new KilnException(
            "weights file " + path + " has no weight '" + w.path() + "'; it has " + m.keySet());
      }
      if (!t.shape().equals(w.type().shape())) {
        throw new KilnException(
            "weights file "
                + path
                + ": weight '"
                + w.path()
                + "' has shape "
                + t.shape()
                + " but the model's has "
                + w.type().shape());
      }
    }
    for (Weight w : ws) {
      w.assign(m.get(w.path()));
    }
  }

  // ---------------------------------------------------------------- summary

  /** Prints Keras's summary table to standard output. */
  public void summary() {
    summary(System.out);
  }

  /** Prints Keras's summary table. */
  public void summary(PrintStream out) {
    out.print(Summary.render(this));
  }

  /** Rows of the summary: layer, output shape, params, connected to. */
  List<String[]> summaryRows() {
    List<String[]> rows = new ArrayList<>();
    for (Layer l : layers()) {
      String shape = "?";
      List<String> connected = new ArrayList<>();
      for (LayerCall c : l.calls()) {
        if (order.contains(c) || c.inputs().isEmpty()) {
          shape = c.outputs().size() == 1 ? c.outputs().get(0).shape().toString() : outShapes(c);
          for (KerasTensor in : c.inputs()) {
            connected.add(in.layer().name() + "[" + in.callIndex() + "][" + in.tensorIndex() + "]");
          }
        }
      }
      rows.add(
          new String[] {
            l.name() + " (" + l.className() + ")",
            shape,
            String.format("%,d", l.countParams()),
            connected.isEmpty() ? "-" : String.join(", ", connected)
          });
    }
    return rows;
  }

  private static String outShapes(LayerCall c) {
    List<String> s = new ArrayList<>();
    for (KerasTensor t : c.outputs()) {
      s.add(t.shape().toString());
    }
    return String.join(", ", s);
  }

  /** Whether the summary has a "Connected to" column (Functional yes, Sequential no). */
  boolean summaryConnections() {
    return true;
  }

  @Override
  public String className() {
    return "Functional";
  }

  /**
   * Keras 3's config of a Functional model: {@code name}, {@code trainable}, {@code layers} (each
   * with its {@code inbound_nodes}), {@code input_layers} and {@code output_layers}.
   */
  @Override
  public Map<String, Object> getConfig() {
    return FunctionalConfig.write(this);
  }

  /**
   * Rebuilds a Functional model from its Keras config, shared layers and nested models included.
   * The new model has fresh weights; copy them with {@link #setWeights}.
   *
   * @throws KilnException naming the layer entry at fault
   */
  public static Model fromConfig(Map<String, Object> config) {
    return FunctionalConfig.read(config);
  }
}
