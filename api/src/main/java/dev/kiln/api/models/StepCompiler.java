package dev.kiln.api.models;

import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.api.Releases;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.models.DataAdapter.Batch;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Traces the model's {@code trainStep}, {@code testStep} and {@code predictStep} into one graph
 * each per input signature, compiles each once, caches it, and runs it on one batch. It owns the
 * executables: {@link #close()} frees them, and so does the collector once the compiler is
 * unreachable.
 *
 * <p>The cache holds at most {@link #CAPACITY} steps and closes the least recently used one beyond
 * that, so a program that feeds ever new shapes does not grow without bound. Prediction pads a
 * batch with zero rows up to a batch size it has already compiled (or, past the first size, up to
 * the next power of two) and drops the padded rows from the outputs: each row of a prediction
 * depends on that row alone, so a stream of varying batch sizes reuses a handful of executables.
 * Training and evaluation compile each batch size they see, since padded rows would count in batch
 * statistics and in the loss's mean; a fit sees two (full batches and the last one).
 */
final class StepCompiler implements AutoCloseable {
  /** The most steps kept compiled at once, across modes and input signatures. */
  static final int CAPACITY = 16;

  private final Model model;
  private final Backend backend;
  private final Cache cache = new Cache();
  private final Runnable release;
  private final StepInputs inputs = new StepInputs();
  private final Map<String, List<Shape>> outputShapes = new HashMap<>();

  /** Predict batch sizes compiled, per input signature without the batch axis. */
  private final Map<String, TreeSet<Integer>> predictSizes = new HashMap<>();

  /** Input signatures whose outputs are not one row per input row, so never padded. */
  private final Set<String> unpaddable = new HashSet<>();

  /** Whether prediction moves state (a stateful RNN's), so it never pads. */
  private boolean statefulPredict;

  private boolean closed;

  /** The compiled steps, least recently used first; evicting one closes it. */
  private static final class Cache extends LinkedHashMap<String, Step> {
    Cache() {
      super(16, 0.75f, true);
    }

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Step> eldest) {
      if (size() > CAPACITY) {
        eldest.getValue().close();
        return true;
      }
      return false;
    }

    void closeAll() {
      for (Step s : values()) {
        s.close();
      }
      clear();
    }
  }

  /** A compiled (or eager) step. */
  interface Step extends AutoCloseable {
    List<HostTensor> run(List<HostTensor> inputs);

    /** The executables this step holds (one, or one per op when eager). */
    List<Executable> executables();

    @Override
    void close();
  }

  private record Compiled(Executable executable) implements Step {
    @Override
    public List<HostTensor> run(List<HostTensor> inputs) {
      return executable.runHost(inputs);
    }

    @Override
    public List<Executable> executables() {
      return List.of(executable);
    }

    @Override
    public void close() {
      executable.close();
    }
  }

  StepCompiler(Model model) {
    this.model = model;
    this.backend = Kiln.backend();
    Cache steps = cache;
    this.release = Releases.whenUnreachable(this, steps::closeAll);
  }

  /** How many steps are cached (one per mode and input signature). */
  int cacheSize() {
    return cache.size();
  }

  /** The executables of every cached step, for tests. */
  List<Executable> executables() {
    List<Executable> out = new ArrayList<>();
    for (Step s : cache.values()) {
      out.addAll(s.executables());
    }
    return out;
  }

  /** Runs one training step; returns the batch's loss. */
  double train(Batch batch) {
    List<Tensor> x = prepare(batch.x());
    List<Tensor> y = StepInputs.castTargets(model, batch.y());
    List<TensorType> xt = types(x);
    List<TensorType> yt = types(y);
    StepInputs.checkLabels(model, y, () -> outputShapes(xt));
    Step step = step("train" + xt + yt, () -> graph(xt, yt, true));
    List<HostTensor> in = inputs.host(x, y, batch.sampleWeight());
    in.add(HostTensor.of(Shape.of(2), new long[] {model.nextStepSeed(), 0}));
    model.compiled().optimizer.beforeStep();
    List<HostTensor> out = step.run(in);
    model.compiled().optimizer.afterStep();
    return out.get(0).getDouble(0);
  }

  /** Runs one evaluation step (metrics accumulate); returns the batch's loss. */
  double test(Batch batch) {
    List<Tensor> x = prepare(batch.x());
    List<Tensor> y = StepInputs.castTargets(model, batch.y());
    List<TensorType> xt = types(x);
    List<TensorType> yt = types(y);
    StepInputs.checkLabels(model, y, () -> outputShapes(xt));
    Step step = step("test" + xt + yt, () -> graph(xt, yt, false));
    return step.run(inputs.host(x, y, batch.sampleWeight())).get(0).getDouble(0);
  }

  /** Predicts one batch; returns one tensor per output. */
  List<Tensor> predict(List<Tensor> xs) {
    List<Tensor> x = prepare(xs);
    int rows = x.get(0).length();
    int padded = paddedRows(x, rows);
    List<Tensor> in = new ArrayList<>();
    for (Tensor t : x) {
      in.add(padded == rows ? t : StepInputs.padRows(t, padded));
    }
    List<Tensor> out = runPredict(in);
    if (padded == rows) {
      return out;
    }
    for (Tensor t : out) {
      if (t.rank() == 0 || t.length() != padded) {
        // Outputs not row by row (a subclassed model's): padding would change them.
        unpaddable.add(rowShapes(x));
        return runPredict(x);
      }
    }
    List<Tensor> cut = new ArrayList<>();
    for (Tensor t : out) {
      cut.add(t.slice(0, rows));
    }
    return cut;
  }

  private List<Tensor> runPredict(List<Tensor> x) {
    List<TensorType> xt = types(x);
    Step step = step("predict" + xt, () -> predictGraph(xt));
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

  /**
   * The batch size to run {@code rows} rows at: {@code rows} itself the first time or when
   * compiled; else the smallest larger size compiled, if it is at most twice {@code rows}; else the
   * next power of two.
   */
  private int paddedRows(List<Tensor> x, int rows) {
    for (Tensor t : x) {
      if (t.rank() == 0 || t.length() != rows) {
        return rows;
      }
    }
    String key = rowShapes(x);
    // Padded rows would move a stateful layer's states, so such a model runs exact batches.
    if (rows == 0 || statefulPredict || unpaddable.contains(key)) {
      return rows;
    }
    TreeSet<Integer> sizes = predictSizes.computeIfAbsent(key, k -> new TreeSet<>());
    sizes.removeIf(n -> !cache.containsKey("predict" + types(x, n)));
    Integer fit = sizes.ceiling(rows);
    // A compiled size more than twice the rows would run mostly padding: compile a closer one.
    if (fit != null && fit > 2L * rows) {
      fit = null;
    }
    int size =
        fit != null
            ? fit
            : sizes.isEmpty() ? rows : rows <= 1 ? 1 : Integer.highestOneBit(rows - 1) << 1;
    sizes.add(size);
    return size;
  }

  private static String rowShapes(List<Tensor> x) {
    StringBuilder sb = new StringBuilder();
    for (Tensor t : x) {
      int[] d = t.dims();
      sb.append(t.dtype()).append(Arrays.toString(Arrays.copyOfRange(d, 1, d.length))).append(';');
    }
    return sb.toString();
  }

  private static List<TensorType> types(List<Tensor> x, int rows) {
    List<TensorType> out = new ArrayList<>();
    for (Tensor t : x) {
      int[] d = t.dims();
      d[0] = rows;
      out.add(TensorType.of(t.dtype(), d));
    }
    return out;
  }

  private List<Tensor> prepare(List<Tensor> xs) {
    Releases.releaseDropped();
    if (closed) {
      throw new KilnException("the compiled steps of model \"" + model.name() + "\" are closed");
    }
    model.buildFor(xs);
    return StepInputs.castInputs(model, xs);
  }

  private Step step(String key, Supplier<Graph> graph) {
    Step s = cache.get(key);
    if (s == null) {
      s = compile(graph.get());
      cache.put(key, s);
    }
    return s;
  }

  private Step compile(Graph g) {
    if (model.runEagerly()) {
      return new EagerStep(g, backend);
    }
    try {
      return new Compiled(backend.compile(g, CompileOptions.defaults()));
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
  }

  /**
   * The train or test graph: inputs x..., y..., sample weights (and the seed when training); the
   * step hook emits the rest; output 0 is the loss; variable updates are the assignments made.
   */
  private Graph graph(List<TensorType> xt, List<TensorType> yt, boolean training) {
    GraphBuilder b = new GraphBuilder();
    List<Value> xs = inputs(b, xt);
    List<Value> ys = inputs(b, yt);
    int batch = xt.get(0).shape().dim(0);
    Value sw = b.input(TensorType.of(DType.FLOAT32, batch));
    Value seed =
        training
            ? b.input(TensorType.of(DType.INT64, 2))
            : b.constant(HostTensor.of(Shape.of(2), new long[] {0, 0}));
    Ops ops = new Ops(b, training, seed);
    Value loss = training ? model.trainStep(ops, xs, ys, sw) : model.testStep(ops, xs, ys, sw);
    String hook = training ? "trainStep" : "testStep";
    if (loss == null || loss.rank() != 0) {
      throw new KilnException(
          hook
              + " of model \""
              + model.name()
              + "\" must return the scalar loss, but returned "
              + (loss == null ? "null" : "a value of shape " + loss.shape()));
    }
    model.compiled().lossTracker.update(ops, loss, loss, ops.scalar(batch));
    for (Map.Entry<Weight, Value> e : ops.assignments().entrySet()) {
      // An evaluation may move state (metrics, moving statistics), never what training learns.
      if (training || !e.getKey().trainable()) {
        b.update(e.getKey().id(), e.getValue());
      }
    }
    return b.output(loss).build();
  }

  private Graph predictGraph(List<TensorType> xt) {
    GraphBuilder b = new GraphBuilder();
    Ops ops = new Ops(b, false, b.constant(HostTensor.of(Shape.of(2), new long[] {0, 0})));
    List<Value> preds = model.predictStep(ops, inputs(b, xt));
    for (Map.Entry<Weight, Value> e : ops.assignments().entrySet()) {
      // A prediction moves only state kept for the next call (a stateful RNN's states, as Keras's
      // predict does), never what training learns.
      if (!e.getKey().trainable()) {
        b.update(e.getKey().id(), e.getValue());
        statefulPredict = true;
      }
    }
    return b.output(preds.toArray(Value[]::new)).build();
  }

  /**
   * The prediction shapes: the symbolic outputs' or, for a subclassed model, those of a predict
   * trace for these inputs that is never compiled.
   */
  private List<Shape> outputShapes(List<TensorType> xt) {
    if (!model.outputs().isEmpty()) {
      return model.outputs().stream().map(t -> t.shape()).toList();
    }
    return outputShapes.computeIfAbsent(
        xt.toString(),
        k -> {
          List<Shape> out = new ArrayList<>();
          for (Value v : predictGraph(xt).outputs()) {
            out.add(v.shape());
          }
          return out;
        });
  }

  private static List<Value> inputs(GraphBuilder b, List<TensorType> types) {
    List<Value> out = new ArrayList<>();
    for (TensorType t : types) {
      out.add(b.input(t));
    }
    return out;
  }

  private static List<TensorType> types(List<Tensor> ts) {
    List<TensorType> out = new ArrayList<>();
    for (Tensor t : ts) {
      out.add(t.host().type());
    }
    return out;
  }

  /** Closes every cached executable; idempotent. Later steps fail, naming the model. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    release.run();
    Releases.releaseDropped();
  }
}
