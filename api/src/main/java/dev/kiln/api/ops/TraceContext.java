package dev.kiln.api.ops;

import dev.kiln.api.layers.Weight;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The state of one trace: which weights it read, what it assigns to them, the masks carried with
 * its values, the losses layers added, the keys of its random ops, and whether it is a training
 * trace. {@link Ops} holds no state of its own and delegates here, so a layer writes {@code
 * ops.read(kernel)} and the trainer reads {@code ops.context().assignments()} after the trace.
 *
 * <p>A scan body has a context of its own, a child of the enclosing one: reading a weight there
 * captures the enclosing trace's read of it as a loop-invariant operand of the scan (so gradients
 * flow to the weight through the loop), random keys come from the enclosing trace, and the state
 * that only a whole step can hold (assignments, added losses) is refused.
 *
 * {@snippet :
 * GraphBuilder b = new GraphBuilder();
 * TraceContext ctx = new TraceContext(b, true, b.input(TensorType.of(DType.INT64, 2)));
 * Ops ops = new Ops(b, ctx);
 * Value y = layer.trace(ops, List.of(x)).get(0);
 * ctx.assignments().forEach((w, v) -> b.update(w.id(), v));
 * }
 */
public final class TraceContext {
  private static final long SEED_STRIDE = 0x9E3779B97F4A7C15L;

  private final GraphBuilder b;
  private boolean training;
  private final Value seed;
  private final TraceContext parent;
  private final Map<Weight, Value> reads = new IdentityHashMap<>();
  private final Map<Weight, Map<DType, Value>> castReads = new IdentityHashMap<>();
  private DType autocast;
  private final Map<Weight, Value> updates = new LinkedHashMap<>();
  private final Map<Value, Value> masks = new IdentityHashMap<>();
  private final List<Value> losses = new ArrayList<>();
  private final Map<Value, Value> captures = new IdentityHashMap<>();
  private final List<Value> capturedOperands = new ArrayList<>();
  private int randomOps;

  /**
   * The context of a trace into {@code builder}.
   *
   * @param training whether layers run in training mode (dropout active, batch statistics)
   * @param seed an int64 {@code (2,)} value of {@code builder} keying random ops, or null where
   *     nothing will run (shape inference), which makes the trace {@link #symbolic()}
   */
  public TraceContext(GraphBuilder builder, boolean training, Value seed) {
    this(builder, training, seed, null);
  }

  private TraceContext(GraphBuilder builder, boolean training, Value seed, TraceContext parent) {
    if (builder == null) {
      throw new IllegalArgumentException("a trace context needs a graph builder");
    }
    this.b = builder;
    this.training = training;
    this.seed = seed;
    this.parent = parent;
  }

  /** The context of a scan body traced into {@code body}, nested in this one. */
  TraceContext scanBody(GraphBuilder body) {
    TraceContext c = new TraceContext(body, training, null, this);
    c.autocast = autocast;
    return c;
  }

  /** The builder this context's values belong to. */
  GraphBuilder graph() {
    return b;
  }

  /** The enclosing values this scan body captured, in the order of its inputs after the slices. */
  List<Value> capturedOperands() {
    return Collections.unmodifiableList(capturedOperands);
  }

  /**
   * True where layers run in training mode: in a training trace, unless {@link #withTraining} says
   * otherwise for the layer call being traced.
   */
  public boolean training() {
    return training;
  }

  /**
   * Traces {@code body} with layers in training mode or not, whatever the trace is, then restores
   * the mode: how a call made with Keras's {@code training=False} keyword (a frozen base model in
   * fine-tuning) runs its BatchNormalization on the moving statistics, without updating them, and
   * its Dropout as the identity inside {@code fit}. Random ops forced on in an inference trace draw
   * from that trace's fixed key, so the same mask at every call.
   */
  public <T> T withTraining(boolean mode, java.util.function.Supplier<T> body) {
    boolean outer = training;
    training = mode;
    try {
      return body.get();
    } finally {
      training = outer;
    }
  }

  /** True when shapes are being inferred (batch size unknown, nothing will run). */
  public boolean symbolic() {
    return parent != null ? parent.symbolic() : seed == null;
  }

  /** True in the context of a scan body. */
  public boolean inScanBody() {
    return parent != null;
  }

  // ---------------------------------------------------------------- weights

  /**
   * The current value of a weight, cast to {@link #autocast()} where that is set and the weight is
   * floating; every read of one weight in one dtype in a trace gives the same value. In a scan body
   * it is a body input fed from the enclosing trace's read, so the weight's gradient accumulates
   * over the steps of the loop.
   */
  public Value read(Weight w) {
    DType want = autocast;
    if (want == null || !w.type().dtype().isFloating() || w.type().dtype() == want) {
      return rawRead(w);
    }
    Map<DType, Value> byType = castReads.computeIfAbsent(w, k -> new EnumMap<>(DType.class));
    Value v = byType.get(want);
    if (v == null) {
      // A scan body captures the enclosing trace's cast, so the loop does not cast at every step.
      v = parent != null ? capture(parent.readAs(w, want)) : b.cast(rawRead(w), want);
      byType.put(want, v);
    }
    return v;
  }

  private Value readAs(Weight w, DType dtype) {
    return withAutocast(dtype, () -> read(w));
  }

  private Value rawRead(Weight w) {
    Value v = reads.get(w);
    if (v == null) {
      v = parent != null ? capture(parent.rawRead(w)) : b.variable(w.id(), w.type());
      reads.put(w, v);
    }
    return v;
  }

  /**
   * The dtype floating weights are read in by {@link #read}, or null where they are read in their
   * own dtype: a layer's compute dtype while its call is traced (Keras's autocast scope).
   */
  public DType autocast() {
    return autocast;
  }

  /**
   * Traces {@code body} with floating weights read cast to {@code dtype} (null: read as they are),
   * then restores the enclosing setting: how a layer under a {@code mixed_float16} policy reads its
   * float32 kernel as float16, as in Keras's autocast scope. The gradient of such a read flows back
   * through the cast to the float32 variable.
   */
  public <T> T withAutocast(DType dtype, java.util.function.Supplier<T> body) {
    DType outer = autocast;
    autocast = dtype;
    try {
      return body.get();
    } finally {
      autocast = outer;
    }
  }

  /**
   * Sets the value a (non-trainable) weight holds after the step, as a moving average or a counter.
   * The value is cast to the weight's dtype and reshaped to its shape.
   *
   * @throws IllegalStateException in a scan body (assign from the scan's results instead)
   * @throws IllegalArgumentException if the value's size differs from the weight's
   */
  public void assign(Weight w, Value v) {
    if (parent != null) {
      throw new IllegalStateException(
          "cannot assign weight '"
              + w.path()
              + "' inside a scan body; return the value from the body and assign it after the"
              + " scan");
    }
    Value cast = b.cast(v, w.type().dtype());
    if (!cast.shape().equals(w.type().shape())) {
      if (cast.shape().size() != w.type().shape().size()) {
        throw new IllegalArgumentException(
            "cannot assign a value of shape "
                + v.shape()
                + " to weight '"
                + w.path()
                + "' of shape "
                + w.type().shape());
      }
      cast = b.reshape(cast, w.type().shape());
    }
    updates.put(w, cast);
  }

  /** The weight updates this trace has asked for, in the order they were first made. */
  public Map<Weight, Value> assignments() {
    return Collections.unmodifiableMap(updates);
  }

  // ---------------------------------------------------------------- losses and masks

  /**
   * Adds a scalar to the training loss (activity regularization, auxiliary losses).
   *
   * @throws IllegalStateException in a scan body (return the value and add it after the scan)
   */
  public void addLoss(Value scalar) {
    if (parent != null) {
      throw new IllegalStateException(
          "cannot add a loss inside a scan body; return it as a per-step output and add it after"
              + " the scan");
    }
    losses.add(scalar);
  }

  /** The losses added by {@link #addLoss}, in order. */
  public List<Value> addedLosses() {
    return Collections.unmodifiableList(losses);
  }

  /** The mask carried with {@code x} (bool, shape of {@code x} without its last axis), or null. */
  public Value mask(Value x) {
    return masks.get(x);
  }

  /** Attaches a mask to {@code x}; null removes it. */
  public void setMask(Value x, Value mask) {
    if (mask == null) {
      masks.remove(x);
    } else {
      masks.put(x, mask);
    }
  }

  // ---------------------------------------------------------------- randomness

  /**
   * A fresh int64 {@code (2,)} key for one random op: each op of a trace gets its own key, and each
   * step gets new ones from the step's seed input. In a scan body the key is drawn from the
   * enclosing trace and captured, so a random op there draws the same numbers at every step (as
   * Keras's recurrent dropout masks do); pass per-step noise in as a sequence to vary it.
   *
   * @throws IllegalStateException in a symbolic trace
   */
  public Value nextSeed() {
    if (parent != null) {
      return capture(parent.nextSeed());
    }
    if (seed == null) {
      throw new IllegalStateException("random ops need a seed; none in a symbolic trace");
    }
    long k = ++randomOps * SEED_STRIDE;
    Value offset = b.constant(HostTensor.of(Shape.of(2), new long[] {k, 0}));
    return b.add(seed, offset);
  }

  // ---------------------------------------------------------------- scan bodies

  /**
   * The body-side value of {@code outer}, a value of the enclosing trace: a body input fed with
   * {@code outer} at every step. Capturing one value twice gives the same input. Gradients flow
   * back to {@code outer}, summed over the steps.
   *
   * @throws IllegalStateException outside a scan body
   */
  public Value capture(Value outer) {
    if (parent == null) {
      throw new IllegalStateException(
          "capture is for values of an enclosing trace inside a scan body; this is no scan body");
    }
    Value in = captures.get(outer);
    if (in == null) {
      in = b.input(outer.type());
      captures.put(outer, in);
      capturedOperands.add(outer);
    }
    return in;
  }
}
