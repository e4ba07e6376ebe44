package dev.kiln.api.layers;

import dev.kiln.api.DTypePolicy;
import dev.kiln.api.KerasTensor;
import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.constraints.Constraint;
import dev.kiln.api.initializers.Initializer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Args;
import dev.kiln.api.registry.ArgumentException;
import dev.kiln.api.registry.KerasObject;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.api.regularizers.Regularizer;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The base of every layer: a name, weights, and a {@code call} that emits ops.
 *
 * <p>A subclass checks its arguments in the constructor, creates its weights in {@link
 * #build(List)} with {@link #addWeight}, and computes in {@link #call(Ops, Value)} (one input) or
 * {@link #call(Ops, List)} (several). Calling the layer on {@link KerasTensor}s with {@link
 * #apply(KerasTensor...)} builds it on first use, checks the input against its {@link InputSpec}
 * and records the call, which is how Functional models are defined.
 *
 * {@snippet :
 * class Scale extends Layer {
 *   private Weight alpha;
 *
 *   protected void build(List<Shape> inputShapes) {
 *     alpha = addWeight("alpha", new int[] {inputShapes.get(0).dim(-1)}, Initializers.ones(), true);
 *   }
 *
 *   protected Value call(Ops ops, Value x) {
 *     return ops.mul(x, ops.read(alpha));
 *   }
 * }
 * }
 */
public abstract class Layer implements KerasObject {
  private static final AtomicInteger TENSORS = new AtomicInteger();

  private String name;
  private boolean trainable = true;
  private boolean built;
  private final List<Weight> weights = new ArrayList<>();
  private final List<LayerCall> calls = new ArrayList<>();
  private int[] batchInputShape;
  private DType inputDtype = DType.FLOAT32;
  private DTypePolicy policy = Kiln.dtypePolicy();
  private final Args args;

  /** The spec checked on every call, or null. Layers set it in the constructor or in build. */
  protected InputSpec inputSpec;

  /** Whether an input mask passes through to the output unchanged (elementwise layers). */
  protected boolean supportsMasking;

  // The prefix of the automatic name while the layer still has it; null once renamed.
  private String autoPrefix;

  // The path of the layer that owns this one as a Keras sublayer ("multi_head_attention/"), so its
  // weights are "multi_head_attention/query/kernel" as in Keras 3 and unique in a model.
  private String pathScope = "";

  /** A layer named by its class in snake case, made unique ({@code dense}, {@code dense_1}). */
  protected Layer() {
    String simple = getClass().getSimpleName();
    this.autoPrefix = simple.isEmpty() ? "layer" : Kiln.snakeCase(simple);
    this.name = Kiln.uniqueName(autoPrefix);
    this.args = Args.defaults(Registry.declarationOrBare(Kind.LAYER, getClass()), this::describe);
  }

  private String describe() {
    return "layer '" + name + "'";
  }

  /**
   * The values of this layer's declared Keras arguments: what its builder methods set, what {@link
   * #getConfig} writes and what {@code fromConfig} reads.
   */
  @Override
  public final Args args() {
    return args;
  }

  // ---------------------------------------------------------------- what subclasses write

  /**
   * Creates the weights for these input shapes (the batch axis is {@link Shape#UNKNOWN}). Runs
   * once, on the first call.
   */
  protected void build(List<Shape> inputShapes) {}

  /**
   * Computes the output of one input. Layers with one input override this.
   *
   * @throws UnsupportedOperationException if the layer takes several inputs
   */
  protected Value call(Ops ops, Value input) {
    throw new UnsupportedOperationException(
        "layer \"" + name + "\" (" + className() + ") must override call");
  }

  /** Computes the outputs; the default passes a single input to {@link #call(Ops, Value)}. */
  protected List<Value> call(Ops ops, List<Value> inputs) {
    if (inputs.size() != 1) {
      throw new KilnException(
          "Layer \""
              + name
              + "\" ("
              + className()
              + ") expects 1 input, but it received "
              + inputs.size()
              + " input tensors");
    }
    return List.of(call(ops, inputs.get(0)));
  }

  /**
   * The layer's configuration with Keras's keys: {@code name}, {@code trainable}, {@code dtype},
   * the declared input shape if any, then the declared arguments ({@code units}, {@code use_bias}).
   */
  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("name", name);
    c.put("trainable", trainable);
    c.put("dtype", policy.serialize());
    if (batchInputShape != null) {
      List<Object> s = new ArrayList<>();
      for (int d : batchInputShape) {
        s.add(d == Shape.UNKNOWN ? null : d);
      }
      c.put("batch_input_shape", s);
    }
    c.putAll(args.toConfig());
    return c;
  }

  /**
   * Reads {@code name}, {@code trainable}, {@code dtype} (a name or Keras 3's {@code DTypePolicy})
   * and the input shape ({@code batch_input_shape}, {@code batch_shape} or {@code input_shape}).
   *
   * @throws ArgumentException for a value of the wrong type, naming the layer and the key
   */
  @Override
  public void readCommonConfig(Map<String, Object> c) {
    Object n = c.get("name");
    if (n != null) {
      if (!(n instanceof String s)) {
        throw new ArgumentException(describe() + ": `name` must be a string, got " + n);
      }
      name(s);
    }
    Object t = c.get("trainable");
    if (t != null) {
      if (!(t instanceof Boolean b)) {
        throw new ArgumentException(
            describe()
                + ": `trainable` must be a boolean, got "
                + (t instanceof String ? "\"" + t + "\"" : t));
      }
      setTrainable(b);
    }
    if (c.get("dtype") != null) {
      dtypePolicy(DTypePolicy.fromConfig(c.get("dtype"), describe()));
    }
    String key = c.get("batch_input_shape") != null ? "batch_input_shape" : "batch_shape";
    Object shape = c.get(key);
    boolean withBatch = shape != null;
    if (shape == null) {
      key = "input_shape";
      shape = c.get(key);
    }
    if (shape != null) {
      if (!(shape instanceof List<?> list)) {
        throw new ArgumentException(
            describe() + ": `" + key + "` must be a list of sizes, got " + shape);
      }
      if (withBatch && list.isEmpty()) {
        throw new ArgumentException(
            describe() + ": `" + key + "` must hold the batch size (or null) first, got []");
      }
      int[] dims = new int[list.size() - (withBatch ? 1 : 0)];
      for (int i = 0; i < dims.length; i++) {
        Object d = list.get(i + (withBatch ? 1 : 0));
        // A size must fit an int and be non-negative: a long would wrap, and a negative size has
        // no meaning (null is Keras's unknown size).
        if (d != null
            && (!(d instanceof Integer || d instanceof Long)
                || ((Number) d).longValue() < 0
                || ((Number) d).longValue() > Integer.MAX_VALUE)) {
          throw new ArgumentException(
              describe()
                  + ": `"
                  + key
                  + "` sizes must be non-negative integers or null, got "
                  + shape);
        }
        dims[i] = d == null ? Shape.UNKNOWN : ((Number) d).intValue();
      }
      inputShape(dims);
    }
  }

  /**
   * The dtype of this layer's variables ({@code float32} by default), as Keras's {@code
   * layer.dtype}: under a mixed policy it differs from {@link #computeDtype()}.
   */
  public DType dtype() {
    return policy.variableDtype();
  }

  /** The dtype this layer computes in and returns, its policy's compute dtype. */
  public DType computeDtype() {
    return policy.computeDtype();
  }

  /** The dtype this layer creates its variables in, its policy's variable dtype. */
  public DType variableDtype() {
    return policy.variableDtype();
  }

  /** This layer's dtype policy: the global one ({@link Kiln#dtypePolicy()}) when it was made. */
  public DTypePolicy dtypePolicy() {
    return policy;
  }

  /**
   * Sets the dtype of the weights and computation (a plain policy); floating inputs are cast to it.
   * Set it before the layer is built.
   *
   * @throws ArgumentException for a dtype that is not floating
   */
  public Layer dtype(DType d) {
    if (!d.isFloating()) {
      throw new ArgumentException(describe() + ": `dtype` must be a floating dtype, got " + d);
    }
    return dtypePolicy(DTypePolicy.of(d));
  }

  /**
   * Sets the dtype policy, as Keras's {@code dtype=} argument: variables are created in its
   * variable dtype; in a call, floating inputs are cast to its compute dtype and floating weights
   * are read cast to it (Keras's autocast), so the outputs are in the compute dtype. Set it before
   * the layer is built.
   *
   * {@snippet :
   * Layer head = new Dense(10).dtypePolicy(DTypePolicy.MIXED_BFLOAT16);
   * }
   */
  public Layer dtypePolicy(DTypePolicy p) {
    if (p == null) {
      throw new ArgumentException(describe() + ": the dtype policy must not be null");
    }
    this.policy = p;
    return this;
  }

  /**
   * {@link #dtypePolicy(DTypePolicy)} by name: {@code "float32"}, {@code "mixed_float16"}, ...
   *
   * @throws ArgumentException for an unknown name, naming this layer and the valid names
   */
  public Layer dtypePolicy(String name) {
    return dtypePolicy(DTypePolicy.of(name, describe()));
  }

  /** Keras's class name for configs and summaries ({@code Dense}). */
  public String className() {
    String s = getClass().getSimpleName();
    return s.isEmpty() ? "Layer" : s;
  }

  // ---------------------------------------------------------------- weights

  /**
   * Adds a weight of the layer's variable dtype, initialized now.
   *
   * @param shape the weight's shape, fully known
   */
  protected Weight addWeight(String name, int[] shape, Initializer init, boolean trainable) {
    return addWeight(name, shape, init, trainable, null, null);
  }

  /**
   * Adds a weight of the layer's variable dtype with a regularizer and a constraint (either may be
   * null).
   */
  protected Weight addWeight(
      String name,
      int[] shape,
      Initializer init,
      boolean trainable,
      Regularizer regularizer,
      Constraint constraint) {
    Shape s = Shape.of(shape);
    if (!s.isFullyKnown()) {
      throw new KilnException(
          "layer \"" + this.name + "\": weight '" + name + "' needs a known shape, not " + s);
    }
    String path = pathScope + this.name + "/" + name;
    long elements = s.size();
    if (elements > MAX_ELEMENTS) {
      throw new KilnException(
          "layer \""
              + this.name
              + "\": weight '"
              + path
              + "' of shape "
              + s
              + " has "
              + elements
              + " elements, more than the "
              + MAX_ELEMENTS
              + " one tensor can hold; make the layer smaller");
    }
    Weight w;
    try {
      w =
          new Weight(
              name,
              path,
              init.initialize(s, policy.variableDtype()),
              trainable && this.trainable,
              regularizer,
              constraint);
    } catch (OutOfMemoryError e) {
      throw new KilnException(
          "layer \""
              + this.name
              + "\": out of Java heap creating weight '"
              + path
              + "' of shape "
              + s
              + " "
              + policy.variableDtype().kerasName()
              + " ("
              + bytes(elements * policy.variableDtype().byteSize())
              + "); the heap holds at most "
              + bytes(Runtime.getRuntime().maxMemory())
              + ": raise it with -Xmx or make the layer smaller",
          e);
    } catch (BackendException e) {
      throw new KilnException(
          "layer \""
              + this.name
              + "\": cannot create weight '"
              + path
              + "' of shape "
              + s
              + " in backend '"
              + Kiln.backend().name()
              + "': "
              + e.getMessage(),
          e);
    }
    weights.add(w);
    return w;
  }

  /** The most elements one tensor holds: Java arrays are indexed by int. */
  private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  private static String bytes(long n) {
    return n >= 1L << 30
        ? String.format(java.util.Locale.ROOT, "%.1f GiB", n / (double) (1L << 30))
        : String.format(java.util.Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
  }

  /** Every weight, trainable first, including those of nested layers. */
  public List<Weight> weights() {
    List<Weight> all = new ArrayList<>(trainableWeights());
    all.addAll(nonTrainableWeights());
    return all;
  }

  /** The weights the optimizer updates. */
  public List<Weight> trainableWeights() {
    List<Weight> out = new ArrayList<>();
    for (Weight w : ownAndNestedWeights()) {
      if (w.trainable() && !out.contains(w)) {
        out.add(w);
      }
    }
    return out;
  }

  /** The weights the optimizer leaves alone. */
  public List<Weight> nonTrainableWeights() {
    List<Weight> out = new ArrayList<>();
    for (Weight w : ownAndNestedWeights()) {
      if (!w.trainable() && !out.contains(w)) {
        out.add(w);
      }
    }
    return out;
  }

  /** This layer's own weights then those of the layers it contains, in creation order. */
  protected List<Weight> ownAndNestedWeights() {
    List<Weight> out = new ArrayList<>(weights);
    for (Layer l : nestedLayers()) {
      for (Weight w : l.ownAndNestedWeights()) {
        if (!out.contains(w)) {
          out.add(w);
        }
      }
    }
    return out;
  }

  /**
   * Layers this one holds (a model's layers, a wrapper's inner layer). By default, the layers in
   * this layer's non-static fields of a {@code Layer} type, or arrays or lists of layers, declared
   * in subclasses: superclass fields first, then declaration order. Their weights, training flag
   * and state follow this layer without any override.
   */
  protected List<Layer> nestedLayers() {
    return TrackedFields.layersOf(this);
  }

  /** The values of {@link #weights()}, in that order. */
  public List<Tensor> getWeights() {
    List<Tensor> out = new ArrayList<>();
    for (Weight w : weights()) {
      out.add(w.read());
    }
    return out;
  }

  /**
   * Sets the values of {@link #weights()}, in that order.
   *
   * @throws IllegalArgumentException if the count or a shape differs, naming the weight
   */
  public void setWeights(List<Tensor> values) {
    List<Weight> ws = weights();
    if (values.size() != ws.size()) {
      throw new IllegalArgumentException(
          "layer \""
              + name
              + "\" has "
              + ws.size()
              + " weights but "
              + values.size()
              + " values were given");
    }
    for (int i = 0; i < ws.size(); i++) {
      ws.get(i).assign(values.get(i));
    }
  }

  /** The number of scalars in all weights. */
  public long countParams() {
    long n = 0;
    for (Weight w : weights()) {
      n += w.size();
    }
    return n;
  }

  // ---------------------------------------------------------------- properties

  /** The layer's name. */
  public String name() {
    return name;
  }

  /** Renames the layer; do it before calling it. */
  public Layer name(String newName) {
    if (newName == null || newName.isEmpty() || newName.contains("/")) {
      throw new IllegalArgumentException(
          "a layer name must be non-empty and contain no '/'. Received: name=" + newName);
    }
    if (autoPrefix != null) {
      // Named by the caller, so, as in Keras, it does not count among the automatic names.
      Kiln.releaseName(autoPrefix, name);
      autoPrefix = null;
    }
    this.name = newName;
    return this;
  }

  /** Whether the optimizer updates this layer's weights. */
  public boolean trainable() {
    return trainable;
  }

  /** Freezes ({@code false}) or unfreezes this layer and every layer inside it. */
  public Layer setTrainable(boolean t) {
    this.trainable = t;
    for (Weight w : weights) {
      w.setTrainable(t);
    }
    for (Layer l : nestedLayers()) {
      l.setTrainable(t);
    }
    return this;
  }

  /** Whether {@link #build(List)} has run. */
  public boolean built() {
    return built;
  }

  /**
   * Declares the input shape without the batch axis, as Keras's {@code input_shape}: a Sequential
   * model whose first layer has one is built at once.
   */
  public Layer inputShape(int... shape) {
    int[] b = new int[shape.length + 1];
    b[0] = Shape.UNKNOWN;
    System.arraycopy(shape, 0, b, 1, shape.length);
    this.batchInputShape = b;
    return this;
  }

  /** The batch input shape declared with {@link #inputShape}, or null. */
  public int[] batchInputShape() {
    return batchInputShape == null ? null : batchInputShape.clone();
  }

  /** The dtype of the declared input. */
  public DType inputDtype() {
    return inputDtype;
  }

  /** Sets the dtype of the declared input (int32 for token ids). */
  public Layer inputDtype(DType dtype) {
    this.inputDtype = dtype;
    return this;
  }

  /** The calls on symbolic tensors so far. */
  public List<LayerCall> calls() {
    return Collections.unmodifiableList(calls);
  }

  /** The output of this layer's only call. */
  public KerasTensor output() {
    if (calls.size() != 1) {
      throw new KilnException(
          "layer \""
              + name
              + "\" has been called "
              + calls.size()
              + " times, so it has no single output; use calls()");
    }
    return calls.get(0).outputs().get(0);
  }

  // ---------------------------------------------------------------- calling

  /**
   * Calls the layer on symbolic tensors, recording the call; returns its single output.
   *
   * @throws KilnException if the inputs do not fit, naming the layer and the shapes
   */
  public KerasTensor apply(KerasTensor... inputs) {
    List<KerasTensor> out = applyAll(List.of(inputs));
    if (out.size() != 1) {
      throw new KilnException(
          "layer \"" + name + "\" has " + out.size() + " outputs; use applyAll to get them");
    }
    return out.get(0);
  }

  /**
   * Calls the layer on a symbolic tensor in a fixed mode, as Keras's {@code layer(x,
   * training=False)}: with {@code false} this call runs in inference mode in {@code fit} too
   * (BatchNormalization normalizes with its moving statistics and leaves them as they are, Dropout
   * passes its input through), with {@code true} in training mode in {@code predict} too. Configs
   * keep the flag as the node's {@code training} keyword.
   *
   * {@snippet :
   * KerasTensor features = base.apply(inputs, false); // the frozen base stays in inference mode
   * }
   *
   * @throws KilnException if the input does not fit, or the layer has several outputs
   */
  public KerasTensor apply(KerasTensor input, boolean training) {
    List<KerasTensor> out = applyAll(List.of(input), training);
    if (out.size() != 1) {
      throw new KilnException(
          "layer \"" + name + "\" has " + out.size() + " outputs; use applyAll to get them");
    }
    return out.get(0);
  }

  /** Calls the layer on a list of symbolic tensors (merging layers), returning all outputs. */
  public List<KerasTensor> applyAll(List<KerasTensor> inputs) {
    return applyAll(inputs, null);
  }

  /**
   * Calls the layer on a list of symbolic tensors, in training mode, in inference mode or (null) as
   * the step runs; see {@link #apply(KerasTensor, boolean)}.
   */
  public List<KerasTensor> applyAll(List<KerasTensor> inputs, Boolean training) {
    GraphBuilder b = new GraphBuilder();
    Ops ops = new Ops(b, training != null && training, null);
    List<Value> in = new ArrayList<>();
    for (KerasTensor x : inputs) {
      in.add(b.input(new TensorType(x.dtype(), x.shape())));
    }
    List<Value> out = trace(ops, in);
    List<KerasTensor> result = new ArrayList<>();
    int index = calls.size();
    for (int i = 0; i < out.size(); i++) {
      Value v = out.get(i);
      result.add(
          new KerasTensor(
              v.shape(), v.dtype(), "keras_tensor_" + TENSORS.getAndIncrement(), this, index, i));
    }
    calls.add(new LayerCall(this, List.copyOf(inputs), List.copyOf(result), training));
    return result;
  }

  /**
   * Checks, builds if needed, and emits the layer's ops for these inputs. Models call this while
   * tracing; a failure names the layer and the input shapes.
   */
  public final List<Value> trace(Ops ops, List<Value> inputs) {
    DType compute = policy.computeDtype();
    if (castsInputs()) {
      List<Value> cast = new ArrayList<>();
      for (Value v : inputs) {
        // A float32 layer leaves float64 inputs alone, as before policies; it widens 16-bit ones.
        if (v.dtype().isFloating()
            && v.dtype() != compute
            && (compute != DType.FLOAT32 || v.dtype().byteSize() == 2)) {
          Value c = ops.cast(v, compute);
          // The cast value carries the input's mask, as the input would have.
          if (ops.mask(v) != null) {
            ops.setMask(c, ops.mask(v));
          }
          cast.add(c);
        } else {
          cast.add(v);
        }
      }
      inputs = cast;
    }
    List<Shape> shapes = new ArrayList<>();
    for (Value v : inputs) {
      shapes.add(v.shape());
    }
    if (inputSpec != null) {
      for (int i = 0; i < shapes.size(); i++) {
        inputSpec.check(name, i, shapes.get(i));
      }
    }
    if (!built) {
      try {
        build(shapes);
      } catch (IllegalArgumentException e) {
        throw failure(shapes, e);
      }
      built = true;
      if (inputSpec != null) {
        for (int i = 0; i < shapes.size(); i++) {
          inputSpec.check(name, i, shapes.get(i));
        }
      }
    }
    List<Value> out;
    try {
      List<Value> in = inputs;
      out = ops.context().withAutocast(compute, () -> call(ops, in));
    } catch (IllegalArgumentException e) {
      throw failure(shapes, e);
    }
    if (supportsMasking && inputs.size() == 1 && out.size() == 1 && ops.mask(out.get(0)) == null) {
      Value m = ops.mask(inputs.get(0));
      if (m != null && out.get(0) != inputs.get(0)) {
        ops.setMask(out.get(0), m);
      }
    }
    return out;
  }

  /**
   * Whether {@link #trace(Ops, List)} casts floating inputs to the compute dtype before the call
   * (true, as Keras's layers do). A Functional model says false, as in Keras: each of its layers
   * casts its own inputs.
   */
  protected boolean castsInputs() {
    return true;
  }

  /**
   * Runs {@code body} on {@code x} in float32 when {@code x} is float16 or bfloat16, with this
   * layer's weights read as float32, and casts the result back to {@code x}'s dtype; otherwise runs
   * it on {@code x} as it is. Keras 3 computes BatchNormalization and LayerNormalization so under
   * mixed precision: their statistics overflow or lose too much in 16 bits.
   */
  protected static Value inFloat32(
      Ops ops, Value x, java.util.function.Function<Value, Value> body) {
    DType d = x.dtype();
    if (d != DType.FLOAT16 && d != DType.BFLOAT16) {
      return body.apply(x);
    }
    Value wide = ops.cast(x, DType.FLOAT32);
    if (ops.mask(x) != null) {
      ops.setMask(wide, ops.mask(x));
    }
    Value y = ops.context().withAutocast(DType.FLOAT32, () -> body.apply(wide));
    return ops.cast(y, d);
  }

  /**
   * Emits this layer's ops for one input and returns its one output: how a layer or subclassed
   * model calls the layers it holds, {@code out.trace(ops, hidden.trace(ops, x))}.
   *
   * @throws KilnException if the layer has several outputs
   */
  public final Value trace(Ops ops, Value input) {
    List<Value> out = trace(ops, List.of(input));
    if (out.size() != 1) {
      throw new KilnException(
          "layer \"" + name + "\" has " + out.size() + " outputs; use trace(ops, List)");
    }
    return out.get(0);
  }

  /**
   * Records a call with no inputs that produced a tensor of this shape: how an {@code InputLayer}
   * creates its symbolic tensor.
   */
  protected final KerasTensor recordSource(Shape shape, DType dtype) {
    KerasTensor t =
        new KerasTensor(
            shape, dtype, "keras_tensor_" + TENSORS.getAndIncrement(), this, calls.size(), 0);
    calls.add(new LayerCall(this, List.of(), List.of(t)));
    built = true;
    return t;
  }

  /**
   * Makes {@code child} a sublayer named within this layer, as Keras 3 scopes a sublayer such as
   * MultiHeadAttention's {@code query}: its weight paths start with this layer's path ({@code
   * multi_head_attention/query/kernel}), so two such layers in one model never share a path. Call
   * it before the child is built.
   */
  protected final <L extends Layer> L sublayer(L child) {
    ((Layer) child).pathScope = pathScope + name + "/";
    return child;
  }

  /**
   * Adds an activity penalty on each of {@code outputs} to the training loss, as Keras 3's {@code
   * Layer.__call__} does for a layer's {@code activity_regularizer}: {@code regularizer(y)} divided
   * by the batch size (the first axis) when {@code y} has one, so the strength does not depend on
   * the batch size. Nothing is added for a null regularizer or a symbolic trace.
   */
  protected static void addActivityPenalty(Ops ops, Regularizer regularizer, List<Value> outputs) {
    if (regularizer == null || ops.symbolic()) {
      return;
    }
    for (Value y : outputs) {
      Value penalty = regularizer.penalty(ops, y);
      // An empty batch has a zero penalty, so dividing by 1 there is Keras's divide_no_nan.
      ops.addLoss(
          y.rank() == 0 ? penalty : ops.div(penalty, (double) Math.max(1, y.shape().dim(0))));
    }
  }

  /** {@link #addActivityPenalty(Ops, Regularizer, List)} on one output. */
  protected static void addActivityPenalty(Ops ops, Regularizer regularizer, Value output) {
    addActivityPenalty(ops, regularizer, List.of(output));
  }

  /** Marks the layer built, for layers whose weights come from elsewhere. */
  protected void markBuilt() {
    built = true;
  }

  private KilnException failure(List<Shape> shapes, RuntimeException e) {
    if (e instanceof KilnException k) {
      return k;
    }
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < shapes.size(); i++) {
      s.append(i == 0 ? "" : ", ").append(shapes.get(i));
    }
    return new KilnException(
        "Exception encountered when calling "
            + className()
            + ".call() of layer \""
            + name
            + "\" on inputs of shape "
            + s
            + ": "
            + e.getMessage(),
        e);
  }

  @Override
  public String toString() {
    return "<" + className() + " name=" + name + ", built=" + built + ">";
  }
}
