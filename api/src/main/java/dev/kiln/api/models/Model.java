package dev.kiln.api.models;

import dev.kiln.api.DTypePolicy;
import dev.kiln.api.KerasTensor;
import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.api.Releases;
import dev.kiln.api.Tensor;
import dev.kiln.api.data.Dataset;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.LayerCall;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.losses.Loss;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.metrics.Metric;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.optimizers.LossScaleOptimizer;
import dev.kiln.api.optimizers.Optimizer;
import dev.kiln.api.optimizers.Optimizers;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.api.saving.ModelFiles;
import dev.kiln.api.saving.WeightsFile;
import dev.kiln.api.saving.WeightsH5;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
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
 *
 * <p>A subclass that overrides {@code call} is a subclassed model, as in Keras: the layers it holds
 * in fields are tracked by themselves, and it takes its input count and shapes from the first data
 * it is given.
 *
 * {@snippet :
 * class TwoDense extends Model {
 *   final Dense a = new Dense(8, "relu");
 *   final Dense b = new Dense(3);
 *
 *   protected Value call(Ops ops, Value x) {
 *     return b.trace(ops, a.trace(ops, List.of(x))).get(0);
 *   }
 * }
 * }
 *
 * <p>{@code fit}, {@code evaluate} and {@code predict} run graphs traced from {@link #trainStep},
 * {@link #testStep} and {@link #predictStep}; override them, or just {@link #computeLoss}, to
 * change what a step does. A model holds compiled steps and backend memory: {@link #close()} frees
 * them.
 */
public class Model extends Layer implements AutoCloseable {
  private List<KerasTensor> inputs = List.of();
  private List<KerasTensor> outputs = List.of();
  private List<LayerCall> order = List.of();
  private List<Layer> layers = List.of();

  private CompileState compiled;
  private boolean runEagerly;
  boolean stopTraining;
  private Trainer trainer;
  private boolean closed;
  // Where the stream seeding training steps stands; null until the first training step.
  private Long randomState;
  // A subclassed model's input count, taken from the first data it runs on; -1 before.
  private int dataInputCount = -1;

  /** A Functional model from its inputs to its outputs. */
  protected Model(List<KerasTensor> inputs, List<KerasTensor> outputs, String name) {
    super();
    name(name == null ? Kiln.uniqueName("functional") : name);
    setGraph(inputs, outputs);
  }

  /**
   * For subclasses: subclassed models that override {@code call}, or models that set their graph
   * later ({@link Sequential}).
   */
  protected Model(String name) {
    super();
    name(name);
  }

  /** For subclassed models: named after the class in snake case, made unique. */
  protected Model() {
    super();
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
    LayerGraph g = LayerGraph.wire(ins, outs);
    this.inputs = g.inputs();
    this.outputs = g.outputs();
    this.order = g.order();
    this.layers = g.layers();
    markBuilt();
  }

  /** The symbolic inputs. */
  public List<KerasTensor> inputs() {
    return inputs;
  }

  /** The symbolic outputs. */
  public List<KerasTensor> outputs() {
    return outputs;
  }

  /**
   * The layers, in the order they are called (input layers first for Functional models); for a
   * subclassed model, the layers in its fields in declaration order.
   */
  public List<Layer> layers() {
    return isGraph() ? layers : super.nestedLayers();
  }

  /** Whether the model is a graph of layer calls (Functional, or a built Sequential). */
  private boolean isGraph() {
    return !inputs.isEmpty();
  }

  /** A Functional model leaves its inputs as they are: each of its layers casts its own. */
  @Override
  protected boolean castsInputs() {
    return !isGraph();
  }

  /** The layer calls in execution order. */
  protected List<LayerCall> callOrder() {
    return order;
  }

  /** The layers of {@link #layers()}, then any other layer held in a subclass's fields. */
  @Override
  protected List<Layer> nestedLayers() {
    List<Layer> out = new ArrayList<>(layers());
    Set<Layer> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    seen.addAll(out);
    for (Layer l : super.nestedLayers()) {
      if (seen.add(l)) {
        out.add(l);
      }
    }
    return out;
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

  /**
   * Runs the graph of layer calls. A subclassed model overrides this, or {@link #call(Ops, Value)}
   * for one input.
   */
  @Override
  protected List<Value> call(Ops ops, List<Value> in) {
    if (!isGraph()) {
      return super.call(ops, in);
    }
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
    for (int i = 0; i < in.size(); i++) {
      checkInputShape(i, in.get(i).shape());
    }
    return new LayerGraph(inputs, outputs, order, layers).run(ops, in);
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
   * <p>As Keras's {@code compile}, every form wraps the optimizer in a {@link LossScaleOptimizer}
   * when this model's dtype policy is {@code mixed_float16} (and it is not one already).
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

  // Each output gets its own loss object with the same arguments (from_logits, ...); a loss with
  // no declaration cannot be copied and is shared.
  private static Loss copyLoss(Loss l) {
    try {
      return Registry.fromConfig(Kind.LOSS, l.className(), l.getConfig());
    } catch (KilnException | IllegalArgumentException e) {
      return l;
    }
  }

  /**
   * Configures training of a model with several outputs: one loss per output, optional loss
   * weights, and metrics computed for every output (named {@code <output>_<metric>} when there are
   * several). A subclassed model has as many outputs as losses given here.
   *
   * @throws KilnException if the number of losses or loss weights differs from the number of
   *     outputs
   */
  public void compile(
      Optimizer optimizer, List<Loss> losses, List<Double> lossWeights, List<Object> metrics) {
    CompileState.checkCounts(name(), outputsCount(), losses, lossWeights);
    configure(optimizer, losses, lossWeights, Collections.nCopies(losses.size(), metrics));
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
    CompileState.checkCounts(name(), outputsCount(), losses, lossWeights);
    List<String> names = outputNames(losses.size());
    configure(
        optimizer,
        losses,
        lossWeights,
        CompileState.metricsByOutput(name(), metricsByOutput, names));
  }

  /**
   * Configures training with losses, loss weights and metrics keyed by output name (the name of the
   * layer that produces the output), as Keras's dict form. An output missing from {@code losses}
   * has no loss; one missing from {@code lossWeights} has weight 1. Either map but {@code losses}
   * may be null.
   *
   * {@snippet :
   * model.compile(
   *     new Adam(1e-3),
   *     Map.of("reg", "mse", "cls", "sparse_categorical_crossentropy"),
   *     Map.of("reg", 1.0, "cls", 0.5),
   *     Map.of("cls", List.of("accuracy")));
   * }
   *
   * @param losses a {@link Loss} or a loss name per output
   * @throws KilnException if a key names no output (listing the output names), a value is neither a
   *     {@code Loss} nor a name, or the model has no named outputs (a subclassed model: pass lists)
   */
  public void compile(
      Optimizer optimizer,
      Map<String, ?> losses,
      Map<String, Double> lossWeights,
      Map<String, ? extends List<?>> metrics) {
    List<String> names = namedOutputs();
    if (names.isEmpty()) {
      throw new KilnException(
          "Model \""
              + name()
              + "\" has no named outputs (it is a subclassed model), so losses cannot be keyed by"
              + " output name; pass a list with one loss per output");
    }
    configure(
        optimizer,
        CompileState.lossesByOutput(name(), losses, names),
        lossWeights == null
            ? null
            : CompileState.byOutput(name(), "loss_weights", lossWeights, names, 1.0),
        CompileState.metricsByOutput(name(), metrics, names));
  }

  private void configure(
      Optimizer optimizer,
      List<Loss> losses,
      List<Double> lossWeights,
      List<List<Object>> metrics) {
    checkOpen();
    if (optimizer == null) {
      throw new KilnException("compile: model \"" + name() + "\" needs an optimizer");
    }
    closeTrainer();
    if (dtypePolicy() == DTypePolicy.MIXED_FLOAT16 && !(optimizer instanceof LossScaleOptimizer)) {
      // As Keras's compile: float16 gradients underflow without loss scaling.
      optimizer = new LossScaleOptimizer(optimizer);
    }
    this.compiled =
        new CompileState(optimizer, outputNames(losses.size()), losses, lossWeights, metrics);
  }

  /** The number of outputs (0 before a Sequential model is built). */
  protected int outputsCount() {
    return outputs.size();
  }

  /** The names of the symbolic outputs: the layers producing them (none for subclassed models). */
  List<String> namedOutputs() {
    List<String> names = new ArrayList<>();
    for (KerasTensor t : outputs) {
      names.add(t.layer().name());
    }
    return names;
  }

  /** {@link #namedOutputs()}, padded with {@code output_<n>} (1-based) to {@code count} names. */
  private List<String> outputNames(int count) {
    List<String> names = namedOutputs();
    for (int j = names.size(); j < count; j++) {
      names.add("output_" + (j + 1));
    }
    return names;
  }

  /** Runs each op on its own, for debugging: errors then point at the op and layer. */
  public void setRunEagerly(boolean eager) {
    this.runEagerly = eager;
    closeTrainer();
  }

  /** Whether {@link #setRunEagerly} is on. */
  public boolean runEagerly() {
    return runEagerly;
  }

  /** Asks {@code fit} to stop after the current epoch (callbacks use this). */
  public void stopTraining() {
    this.stopTraining = true;
  }

  /**
   * The position of the stream that seeds each training step's random ops (Dropout masks, noise),
   * or null before the first training step. A {@code .keras} checkpoint saves it, so training
   * resumed from the checkpoint draws the masks an uninterrupted run would have drawn.
   */
  public Long randomState() {
    return randomState;
  }

  /**
   * Sets where the stream seeding training steps stands, as {@link #randomState()} returned it; the
   * next training step draws its seed from there. Loading a checkpoint calls it.
   */
  public void setRandomState(long state) {
    this.randomState = state;
  }

  /**
   * The seed of the next training step. The state is a counter advanced by an odd constant and
   * hashed (SplittableRandom's scheme), so one long is all there is to save; it starts from the
   * global stream ({@code Kiln.setRandomSeed}) at the first step.
   */
  long nextStepSeed() {
    if (randomState == null) {
      randomState = Kiln.splitRandom().nextLong();
    }
    long z = randomState += 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** The compiled optimizer, or null. */
  public Optimizer optimizer() {
    return compiled == null ? null : compiled.optimizer;
  }

  /** The compiled metrics of output 0. */
  public List<Metric> metrics() {
    return compiled == null ? List.of() : compiled.metrics.get(0);
  }

  /** What {@code compile} configured. */
  CompileState compiled() {
    if (compiled == null) {
      throw new KilnException(
          "You must call `compile()` before using the model for training or evaluation.");
    }
    return compiled;
  }

  Trainer trainer() {
    compiled();
    return inferenceTrainer();
  }

  Trainer inferenceTrainer() {
    checkOpen();
    if (trainer == null) {
      trainer = new Trainer(this);
    }
    return trainer;
  }

  private void closeTrainer() {
    if (trainer != null) {
      trainer.close();
      trainer = null;
    }
  }

  /** Builds a deferred model (a Sequential without an input shape) for these input shapes. */
  protected void ensureBuilt(List<Shape> inputShapes) {}

  /**
   * The number of inputs; -1 for a subclassed model that has not run on data yet (it takes the
   * count from its first data).
   */
  int inputCount() {
    return isGraph() ? inputs.size() : dataInputCount;
  }

  /** Builds the model for data of these arrays' shapes (the batch axis left unknown). */
  void buildFor(List<Tensor> xs) {
    checkOpen();
    if (!isGraph() && dataInputCount < 0) {
      dataInputCount = xs.size();
    }
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

  // ---------------------------------------------------------------- steps, traced once each

  /**
   * Emits one training step into the graph being traced, as Keras's {@code train_step}: the forward
   * pass, {@link #computeLoss}, the gradients and optimizer update ({@link #minimize}), then {@link
   * #computeMetrics}. It runs at trace time, once per input signature; the graph it emits is
   * compiled and run on every batch.
   *
   * {@snippet :
   * protected Value trainStep(Ops ops, List<Value> x, List<Value> y, Value sampleWeight) {
   *   List<Value> yPred = trace(ops, x);
   *   Value loss = computeLoss(ops, x, y, yPred, sampleWeight);
   *   minimize(ops, loss);
   *   computeMetrics(ops, x, y, yPred, sampleWeight);
   *   return loss;
   * }
   * }
   *
   * @param x the inputs of one batch
   * @param y the targets, one per compiled loss
   * @param sampleWeight per-sample weights, shape {@code (batch)}, ones when none were given
   * @return the scalar loss, which {@code fit} logs as {@code loss}
   */
  protected Value trainStep(Ops ops, List<Value> x, List<Value> y, Value sampleWeight) {
    List<Value> yPred = trace(ops, x);
    Value loss = computeLoss(ops, x, y, yPred, sampleWeight);
    minimize(ops, loss);
    computeMetrics(ops, x, y, yPred, sampleWeight);
    return loss;
  }

  /**
   * Emits one evaluation step, as Keras's {@code test_step}: the forward pass (not training), the
   * loss and the metric updates. Updates it makes to trainable weights are dropped.
   *
   * @return the scalar loss, which {@code evaluate} logs as {@code loss}
   */
  protected Value testStep(Ops ops, List<Value> x, List<Value> y, Value sampleWeight) {
    List<Value> yPred = trace(ops, x);
    Value loss = computeLoss(ops, x, y, yPred, sampleWeight);
    computeMetrics(ops, x, y, yPred, sampleWeight);
    return loss;
  }

  /** Emits one prediction step, as Keras's {@code predict_step}: the forward pass. */
  protected List<Value> predictStep(Ops ops, List<Value> x) {
    return trace(ops, x);
  }

  /**
   * The scalar loss of one batch, as Keras's {@code compute_loss}: each output's compiled loss
   * times its loss weight, plus the weights' regularization penalties and the losses layers added
   * during the forward pass ({@code ops.addLoss}). Override it to add a term; {@code fit} and
   * {@code evaluate} then use it.
   *
   * {@snippet :
   * protected Value computeLoss(
   *     Ops ops, List<Value> x, List<Value> y, List<Value> yPred, Value sampleWeight) {
   *   Value loss = super.computeLoss(ops, x, y, yPred, sampleWeight);
   *   return ops.add(loss, ops.mul(ops.meanAll(ops.square(yPred.get(0))), 0.01));
   * }
   * }
   *
   * @throws KilnException if the predictions or targets do not match the compiled losses, or there
   *     is no loss at all
   */
  protected Value computeLoss(
      Ops ops, List<Value> x, List<Value> y, List<Value> yPred, Value sampleWeight) {
    Value total = compiled().compiledLoss(ops, y, yPred, sampleWeight, name());
    for (Weight w : weights()) {
      if (w.regularizer() != null && w.trainable()) {
        Value p = w.regularizer().penalty(ops, ops.read(w));
        total = total == null ? p : ops.add(total, p);
      }
    }
    for (Value added : ops.addedLosses()) {
      // A penalty added by a layer computing in float16 joins the loss in float32.
      Value extra = ops.widenHalf(added);
      total = total == null ? extra : ops.add(total, extra);
    }
    if (total == null) {
      throw new KilnException(
          "Model \""
              + name()
              + "\" has no loss: no output has a compiled loss and no layer added one");
    }
    return total;
  }

  /** Emits the updates of the compiled metrics, as Keras's {@code compute_metrics}. */
  protected void computeMetrics(
      Ops ops, List<Value> x, List<Value> y, List<Value> yPred, Value sampleWeight) {
    compiled().updateMetrics(ops, y, yPred);
  }

  /**
   * Emits the gradients of {@code loss} with respect to every trainable weight and the compiled
   * optimizer's update of them (constraints applied after).
   *
   * @throws KilnException if the model has no trainable weights
   */
  protected final void minimize(Ops ops, Value loss) {
    List<Weight> trainable = trainableWeights();
    if (trainable.isEmpty()) {
      throw new KilnException(
          "model \"" + name() + "\" has no trainable weights; nothing to train");
    }
    minimize(ops, loss, trainable);
  }

  /** Emits the gradients of {@code loss} with respect to {@code weights} and their update. */
  protected final void minimize(Ops ops, Value loss, List<Weight> weights) {
    List<Value> reads = new ArrayList<>();
    for (Weight w : weights) {
      reads.add(ops.read(w));
    }
    Optimizer optimizer = compiled().optimizer;
    // A LossScaleOptimizer's scaled loss; the step still returns (and logs) the loss itself.
    List<Value> grads = ops.gradients(optimizer.scaleLoss(ops, loss, weights), reads);
    Map<Weight, Value> updated = optimizer.applyGradients(ops, weights, grads);
    for (Map.Entry<Weight, Value> e : updated.entrySet()) {
      Value v = e.getValue();
      if (e.getKey().constraint() != null) {
        v = e.getKey().constraint().apply(ops, v);
      }
      ops.assign(e.getKey(), v);
    }
  }

  // ---------------------------------------------------------------- fit, evaluate, predict

  /** Trains on arrays (one input, one output) with Keras's defaults: 1 epoch, batches of 32. */
  public History fit(Tensor x, Tensor y) {
    return fit(List.of(x), List.of(y), new FitOptions());
  }

  /** Trains on arrays (one input, one output). */
  public History fit(Tensor x, Tensor y, FitOptions options) {
    return fit(List.of(x), List.of(y), options);
  }

  /** Trains on arrays for {@code epochs} with {@code batchSize}. */
  public History fit(Tensor x, Tensor y, int epochs, int batchSize) {
    return fit(x, y, new FitOptions().epochs(epochs).batchSize(batchSize));
  }

  /** Trains on arrays, one per input and one per output, with Keras's defaults. */
  public History fit(List<Tensor> xs, List<Tensor> ys) {
    return fit(xs, ys, new FitOptions());
  }

  /**
   * Trains on arrays, one per input and one per output. {@code options} is only read.
   *
   * @throws KilnException if the model is not compiled or closed, or the arrays do not fit it
   */
  public History fit(List<Tensor> xs, List<Tensor> ys, FitOptions options) {
    Trainer t = trainer();
    buildFor(xs);
    return t.fit(DataAdapter.forArrays(xs, ys, options));
  }

  /**
   * Trains on a dataset of elements (inputs..., targets..., [sample weight]) already batched. A
   * subclassed model that has not run on data yet reads every tensor but the targets as an input;
   * it accepts sample weights in the elements once its input count is known.
   */
  public History fit(Dataset data, FitOptions options) {
    return trainer().fit(DataAdapter.forDataset(data, options));
  }

  /** Evaluates on arrays; returns {@code loss} and each metric. */
  public Map<String, Double> evaluate(Tensor x, Tensor y) {
    return evaluate(List.of(x), List.of(y), new FitOptions());
  }

  /** Evaluates on arrays with options (batch size, verbose, callbacks). */
  public Map<String, Double> evaluate(List<Tensor> xs, List<Tensor> ys, FitOptions options) {
    Trainer t = trainer();
    StepInputs.checkNotEmpty("evaluate", xs);
    buildFor(xs);
    return t.evaluate(
        DataAdapter.evaluationData(xs, ys, options), options.verbose, options.callbacks);
  }

  /** Evaluates on a batched dataset. */
  public Map<String, Double> evaluate(Dataset data, FitOptions options) {
    return trainer().evaluate(data, options.verbose, options.callbacks);
  }

  /** Predicts for one input array (batches of 32); returns output 0. */
  public Tensor predict(Tensor x) {
    return predict(List.of(x), new FitOptions().verbose(0)).get(0);
  }

  /** Predicts for arrays, one per input; returns one tensor per output. */
  public List<Tensor> predict(List<Tensor> xs, FitOptions options) {
    Trainer t = inferenceTrainer();
    StepInputs.checkNotEmpty("predict", xs);
    buildFor(xs);
    return t.predict(Dataset.fromTensors(xs.toArray(Tensor[]::new)).batch(options.batchSize));
  }

  /** One gradient step on one batch; returns {@code loss} and the running metrics. */
  public Map<String, Double> trainOnBatch(Tensor x, Tensor y) {
    Trainer t = trainer();
    StepInputs.checkNotEmpty("trainOnBatch", List.of(x));
    buildFor(List.of(x));
    return t.trainOnBatch(new DataAdapter.Batch(List.of(x), List.of(y), null));
  }

  /** Evaluates one batch (metrics reset first, as Keras). */
  public Map<String, Double> testOnBatch(Tensor x, Tensor y) {
    Trainer t = trainer();
    StepInputs.checkNotEmpty("testOnBatch", List.of(x));
    buildFor(List.of(x));
    return t.testOnBatch(new DataAdapter.Batch(List.of(x), List.of(y), null));
  }

  /** Predicts one batch. */
  public Tensor predictOnBatch(Tensor x) {
    Trainer t = inferenceTrainer();
    StepInputs.checkNotEmpty("predictOnBatch", List.of(x));
    buildFor(List.of(x));
    return t.steps().predict(List.of(x)).get(0);
  }

  // ---------------------------------------------------------------- closing

  /**
   * Frees what the model holds in the backend: its compiled steps, then the variables of its
   * weights, of the optimizer and of the metrics (and those of models nested in it). Idempotent. A
   * closed model cannot be used again, since its weights are gone: every later {@code fit}, {@code
   * predict}, {@code compile} or weight access fails naming the model; save the weights first to
   * keep them. Layers shared with another model lose their weights too, so close a model only when
   * every model sharing its layers is done.
   *
   * {@snippet :
   * try (Model model = Model.of(in, out)) {
   *   model.compile("adam", "mse");
   *   model.fit(x, y);
   * }
   * }
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closeTrainer();
    List<Weight> vars = new ArrayList<>(weights());
    if (compiled != null) {
      vars.addAll(compiled.variables());
    }
    for (Layer l : nestedLayers()) {
      if (l instanceof Model m) {
        m.close();
      }
    }
    closed = true;
    for (Weight w : vars) {
      w.free();
    }
    Releases.releaseDropped();
  }

  /** Whether {@link #close()} has run. */
  public boolean isClosed() {
    return closed;
  }

  private void checkOpen() {
    if (closed) {
      throw new KilnException(
          "Model \""
              + name()
              + "\" is closed: close() freed its compiled steps and its weights. Build the model"
              + " again (and load saved weights) to use it.");
    }
  }

  @Override
  public List<Tensor> getWeights() {
    checkOpen();
    return super.getWeights();
  }

  @Override
  public void setWeights(List<Tensor> values) {
    checkOpen();
    super.setWeights(values);
  }

  // ---------------------------------------------------------------- weights on disk

  /**
   * Writes every weight to {@code path} atomically (a temporary file renamed over the target), in
   * the format its suffix names: {@code .weights.h5} (or {@code .h5}) is Keras 3's HDF5 layout,
   * which Keras's {@code load_weights} reads ({@link WeightsH5}); {@code .npz} is a NumPy archive
   * keyed by weight path ({@link WeightsFile}).
   *
   * @throws KilnException if the suffix names no weights format, or (npz) if two weights share a
   *     path (two layers with one name)
   */
  public void saveWeights(Path path) throws IOException {
    checkOpen();
    if (ModelFiles.weightsFormat(path) == ModelFiles.WeightsFormat.H5) {
      WeightsH5.write(this, path);
      return;
    }
    Map<String, Tensor> m = new LinkedHashMap<>();
    for (Weight w : structuralWeights()) {
      if (m.put(w.path(), w.read()) != null) {
        throw new KilnException(
            "model \""
                + name()
                + "\" has two weights with path '"
                + w.path()
                + "'; give its layers unique names");
      }
    }
    WeightsFile.write(path, m);
  }

  /**
   * Reads weights into this model, in the format the file's suffix names: {@code .h5} (Keras 3's
   * {@code .weights.h5}, or Keras 2's HDF5 weights), {@code .keras} (the weights of a Keras
   * archive) or {@code .npz}. They are matched as Keras 3 matches them: by the model's structure,
   * so a model of the same architecture whose layers got other names (built again in the same
   * program) loads the file. An npz file whose names are exactly the model's weight paths is
   * matched by name.
   *
   * @throws KilnException if the suffix names no weights format, if the model is not built yet (it
   *     has no weights to load into), if the file holds more or fewer weights than the model
   *     (naming the extra or missing ones), or if a weight's shape differs (naming the weight, its
   *     layer, and both shapes)
   */
  public void loadWeights(Path path) throws IOException {
    checkOpen();
    ModelFiles.WeightsFormat format = ModelFiles.weightsFormat(path);
    if (format != ModelFiles.WeightsFormat.NPZ) {
      if (!isGraph() && !built()) {
        throw WeightsMatch.unbuilt(this, Map.of(), path);
      }
      ModelFiles.loadWeights(this, path);
      return;
    }
    Map<String, Tensor> m = WeightsFile.read(path);
    if (!isGraph() && !built()) {
      for (Layer l : layers()) {
        if (!l.built()) {
          throw WeightsMatch.unbuilt(this, m, path);
        }
      }
    }
    List<Weight> ws = structuralWeights();
    List<Tensor> values = WeightsMatch.pair(this, ws, m, path);
    for (int i = 0; i < ws.size(); i++) {
      ws.get(i).assign(values.get(i));
    }
  }

  /**
   * The weights in the order of the model's structure (each layer's own weights, then those of the
   * layers inside it), which, unlike {@link #weights()}, does not change when a layer is frozen.
   */
  private List<Weight> structuralWeights() {
    return ownAndNestedWeights();
  }

  /**
   * Saves the whole model, as Keras's {@code model.save}: a {@code .keras} archive (config,
   * metadata and weights, optimizer state included), or, for a path ending in {@code model.json} or
   * naming a folder, a TF.js layers model (model.json and weight shards) that TF.js loads. Every
   * file is written atomically.
   *
   * @throws KilnException if the path's suffix names no model format
   */
  public void save(Path path) throws IOException {
    checkOpen();
    ModelFiles.save(this, path);
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
    return Summary.rows(layers(), order);
  }

  /** Whether the summary has a "Connected to" column (Functional yes, Sequential no). */
  boolean summaryConnections() {
    return true;
  }

  /** {@code Functional} for a graph model, the class's name for a subclassed one. */
  @Override
  public String className() {
    return isGraph() ? "Functional" : super.className();
  }

  /**
   * Keras 3's config of a Functional model: {@code name}, {@code trainable}, {@code layers} (each
   * with its {@code inbound_nodes}), {@code input_layers} and {@code output_layers}. A subclassed
   * model has no graph to write: its config is a layer's ({@code name}, {@code trainable}, ...), as
   * in Keras, and a subclass that takes arguments adds them.
   */
  @Override
  public Map<String, Object> getConfig() {
    if (inputs().isEmpty()) {
      return super.getConfig();
    }
    return FunctionalConfig.write(this);
  }

  /**
   * Keras 3's JSON form of this model, as {@code model.to_json()}: {@code module}, {@code
   * class_name}, {@code config}, {@code registered_name}, {@code build_config} and {@code
   * compile_config} (empty when the model is not compiled). {@link Models#fromJson(String)} reads
   * it back.
   */
  public String toJson() {
    return toJson(false);
  }

  /** {@link #toJson()}, indented when {@code pretty}. */
  public String toJson(boolean pretty) {
    return dev.kiln.api.saving.configs.JsonText.write(Models.envelope(this), pretty);
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
