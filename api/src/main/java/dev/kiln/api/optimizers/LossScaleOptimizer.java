package dev.kiln.api.optimizers;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.optimizers.schedules.LearningRateSchedule;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.ArgumentException;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Dynamic loss scaling around another optimizer, as Keras 3's {@code LossScaleOptimizer}: the
 * training loss is multiplied by a scale before the gradients are taken, so that small float16
 * gradients do not underflow, and the gradients are divided by it again before the inner optimizer
 * updates the weights.
 *
 * <p>The scale starts at {@code initial_scale} ({@code 2^15}). A step whose gradients hold an
 * infinity or a NaN is skipped (the weights and the inner optimizer's state, its step count
 * included, keep their values) and the scale is halved. After {@code dynamic_growth_steps} (2000)
 * finite steps in a row the scale doubles. All of this is in the compiled train step, with {@code
 * select}s: nothing goes back to the host to decide a skip. The scale and the count of finite steps
 * are optimizer variables ({@code dynamic_scale}, {@code step_counter}), saved with the rest of the
 * optimizer's state, in Keras's order: this optimizer's {@code iteration}, {@code learning_rate}
 * (unused; the inner optimizer's counts), {@code step_counter}, {@code dynamic_scale}, then the
 * inner optimizer's variables.
 *
 * <p>{@code Model.compile} wraps the optimizer in one when the model's dtype policy is {@code
 * mixed_float16}, as Keras does; bfloat16 has float32's exponent range and needs none.
 *
 * {@snippet :
 * Optimizer opt = new LossScaleOptimizer(new Adam(1e-3)).dynamicGrowthSteps(1000);
 * }
 */
public final class LossScaleOptimizer extends Optimizer {
  /** The optimizer that applies the unscaled gradients. */
  public static final Arg<Optimizer> INNER_OPTIMIZER =
      Arg.object(Kind.OPTIMIZER, Optimizer.class, "inner_optimizer", null).required();

  /** The first loss scale (default {@code 2^15}). */
  public static final Arg<Double> INITIAL_SCALE = Arg.positive("initial_scale", 32768.0);

  /** How many finite steps in a row double the scale (default 2000). */
  public static final Arg<Integer> DYNAMIC_GROWTH_STEPS =
      Arg.integer("dynamic_growth_steps", 2000).checked("a positive integer", v -> v > 0);

  // Older Keras 3 files hold the common optimizer arguments at their defaults; Keras accepts them
  // so and refuses any other value (they belong to the inner optimizer), as readCommonConfig does.
  private static final Map<String, Object> COMMON_DEFAULTS = commonDefaults();

  /**
   * Keras's {@code LossScaleOptimizer}: {@code inner_optimizer}, {@code initial_scale}, {@code
   * dynamic_growth_steps}; none of the common optimizer arguments.
   */
  public static final KerasClass<LossScaleOptimizer> KERAS =
      KerasClass.of(
              Kind.OPTIMIZER,
              "LossScaleOptimizer",
              LossScaleOptimizer.class,
              a -> new LossScaleOptimizer(a.get(INNER_OPTIMIZER)),
              INNER_OPTIMIZER,
              INITIAL_SCALE,
              DYNAMIC_GROWTH_STEPS)
          .tolerating(COMMON_DEFAULTS.keySet().toArray(String[]::new))
          .tolerating("dynamic");

  private static Map<String, Object> commonDefaults() {
    Map<String, Object> m = new LinkedHashMap<>();
    for (String k :
        List.of(
            "weight_decay",
            "clipnorm",
            "global_clipnorm",
            "clipvalue",
            "ema_overwrite_frequency",
            "loss_scale_factor",
            "gradient_accumulation_steps")) {
      m.put(k, null);
    }
    m.put("use_ema", false);
    m.put("ema_momentum", 0.99);
    return m;
  }

  private Weight stepCounter;
  private Weight dynamicScale;

  /**
   * Loss scaling around {@code inner} with Keras's defaults.
   *
   * @throws ArgumentException for a null inner optimizer, or one that is itself a
   *     LossScaleOptimizer
   */
  public LossScaleOptimizer(Optimizer inner) {
    super("loss_scale_optimizer", KERAS, true);
    if (inner == null) {
      throw new ArgumentException(owner() + ": `inner_optimizer` must be an optimizer, got null");
    }
    if (inner instanceof LossScaleOptimizer) {
      throw new ArgumentException(
          owner() + ": `inner_optimizer` is already a LossScaleOptimizer; wrap the optimizer once");
    }
    args().set(INNER_OPTIMIZER, inner);
  }

  /**
   * Sets the first loss scale.
   *
   * @throws ArgumentException for a value that is not positive
   */
  public LossScaleOptimizer initialScale(double scale) {
    args().set(INITIAL_SCALE, scale);
    return this;
  }

  /**
   * Sets how many finite steps in a row double the scale.
   *
   * @throws ArgumentException for a value that is not positive
   */
  public LossScaleOptimizer dynamicGrowthSteps(int steps) {
    args().set(DYNAMIC_GROWTH_STEPS, steps);
    return this;
  }

  /** The optimizer that applies the unscaled gradients. */
  public Optimizer innerOptimizer() {
    return args().get(INNER_OPTIMIZER);
  }

  /**
   * The current loss scale: {@code initial_scale} before the first step, then the {@code
   * dynamic_scale} variable (read from the backend).
   */
  public double dynamicScale() {
    return dynamicScale == null ? args().get(INITIAL_SCALE) : dynamicScale.read().getDouble(0);
  }

  /**
   * Reads {@code name}, and refuses the common optimizer arguments at values other than their
   * defaults, and {@code dynamic=false}, as Keras does: they belong to the inner optimizer.
   *
   * @throws ArgumentException naming the argument and where to set it
   */
  @Override
  public void readCommonConfig(Map<String, Object> config) {
    readName(config);
    for (Map.Entry<String, Object> e : COMMON_DEFAULTS.entrySet()) {
      Object v = config.get(e.getKey());
      boolean isDefault =
          v == null
              || (v instanceof Number n && e.getValue() instanceof Number d
                  ? n.doubleValue() == d.doubleValue()
                  : v.equals(e.getValue()));
      if (!isDefault) {
        throw notHere(e.getKey());
      }
    }
    if (Boolean.FALSE.equals(config.get("dynamic"))) {
      throw new ArgumentException(
          owner()
              + " no longer supports `dynamic=False`; set `loss_scale_factor` on the"
              + " `inner_optimizer` for a fixed scale");
    }
  }

  private ArgumentException notHere(String key) {
    return new ArgumentException(
        owner() + " does not support `" + key + "`; set `" + key + "` on the `inner_optimizer`");
  }

  /**
   * Refused, as in Keras: clip the inner optimizer's gradients instead.
   *
   * @throws ArgumentException always, naming {@code clipnorm}
   */
  @Override
  public Optimizer clipnorm(double v) {
    throw notHere("clipnorm");
  }

  /**
   * Refused, as in Keras: clip the inner optimizer's gradients instead.
   *
   * @throws ArgumentException always, naming {@code clipvalue}
   */
  @Override
  public Optimizer clipvalue(double v) {
    throw notHere("clipvalue");
  }

  /**
   * Refused, as in Keras: clip the inner optimizer's gradients instead.
   *
   * @throws ArgumentException always, naming {@code global_clipnorm}
   */
  @Override
  public Optimizer globalClipnorm(double v) {
    throw notHere("global_clipnorm");
  }

  /**
   * Refused, as in Keras: set the inner optimizer's weight decay instead.
   *
   * @throws ArgumentException always, naming {@code weight_decay}
   */
  @Override
  public Optimizer weightDecay(double v) {
    throw notHere("weight_decay");
  }

  /** No decay of its own: the inner optimizer's applies. */
  @Override
  public double weightDecay() {
    return 0;
  }

  /** The inner optimizer's learning rate. */
  @Override
  public double learningRate() {
    return innerOptimizer().learningRate();
  }

  /** Sets the inner optimizer's learning rate. */
  @Override
  public void setLearningRate(double lr) {
    innerOptimizer().setLearningRate(lr);
  }

  /** Makes the inner optimizer's learning rate follow {@code schedule}. */
  @Override
  public void setLearningRate(LearningRateSchedule schedule) {
    innerOptimizer().setLearningRate(schedule);
  }

  /** The inner optimizer's schedule, or null. */
  @Override
  public LearningRateSchedule schedule() {
    return innerOptimizer().schedule();
  }

  /**
   * The updates the inner optimizer applied: skipped steps do not count, so this reads the inner
   * optimizer's {@code iteration} variable once it exists.
   */
  @Override
  public long iterations() {
    innerOptimizer().stateRestored();
    return innerOptimizer().iterations();
  }

  /** Every state variable, in Keras's order (see the class comment). */
  @Override
  public List<Weight> variables() {
    List<Weight> all = new ArrayList<>(super.variables());
    if (stepCounter != null) {
      all.add(stepCounter);
      all.add(dynamicScale);
    }
    all.addAll(innerOptimizer().variables());
    return all;
  }

  /** Creates the scale's variables and the inner optimizer's state for {@code vars}. */
  @Override
  public void build(List<Weight> vars) {
    super.build(vars);
    if (stepCounter == null) {
      stepCounter =
          new Weight(
              "step_counter",
              name() + "/step_counter",
              HostTensor.zeros(DType.INT64, Shape.scalar()),
              false,
              null,
              null);
      dynamicScale =
          new Weight(
              "dynamic_scale",
              name() + "/dynamic_scale",
              HostTensor.scalar((float) (double) args().get(INITIAL_SCALE)),
              false,
              null,
              null);
    }
    innerOptimizer().build(vars);
  }

  /** The loss times the current scale: what the train step differentiates. */
  @Override
  public Value scaleLoss(Ops ops, Value loss, List<Weight> vars) {
    build(vars);
    Value scale = ops.read(dynamicScale);
    return ops.mul(loss, loss.dtype() == scale.dtype() ? scale : ops.cast(scale, loss.dtype()));
  }

  /**
   * Emits the unscaling of the gradients, the inner optimizer's update, and the scale's update; on
   * a step with a non-finite gradient every update (the weights' and the inner optimizer's state)
   * selects the value the step began with, and the scale is halved.
   */
  @Override
  public Map<Weight, Value> applyGradients(Ops ops, List<Weight> vars, List<Value> grads) {
    build(vars);
    Value scale = ops.read(dynamicScale);
    Value counter = ops.read(stepCounter);
    Value finite = allFinite(ops, grads);
    List<Value> unscaled = new ArrayList<>();
    for (Value g : grads) {
      unscaled.add(ops.div(g, g.dtype() == scale.dtype() ? scale : ops.cast(scale, g.dtype())));
    }
    Map<Weight, Value> before = new IdentityHashMap<>(ops.assignments());
    Map<Weight, Value> updated = innerOptimizer().applyGradients(ops, vars, unscaled);
    for (Map.Entry<Weight, Value> e : new ArrayList<>(ops.assignments().entrySet())) {
      Weight w = e.getKey();
      if (before.get(w) != e.getValue()) {
        Value old = before.containsKey(w) ? before.get(w) : ops.read(w);
        ops.assign(w, ops.where(finite, e.getValue(), old));
      }
    }
    Map<Weight, Value> out = new LinkedHashMap<>();
    for (Map.Entry<Weight, Value> e : updated.entrySet()) {
      out.put(e.getKey(), ops.where(finite, e.getValue(), ops.read(e.getKey())));
    }
    int growth = args().get(DYNAMIC_GROWTH_STEPS);
    Value grow = ops.equal(counter, ops.scalarLike(growth - 1, counter));
    Value zero = ops.scalarLike(0, counter);
    ops.assign(stepCounter, ops.where(finite, ops.where(grow, zero, ops.add(counter, 1.0)), zero));
    ops.assign(
        dynamicScale,
        ops.where(finite, ops.where(grow, ops.mul(scale, 2.0), scale), ops.mul(scale, 0.5)));
    return out;
  }

  /**
   * A bool scalar: true when no gradient holds an infinity or a NaN. Counts the elements whose
   * magnitude is not at most the dtype's largest finite value (a NaN compares false), rather than
   * summing the gradients, whose finite values could overflow a sum.
   */
  private static Value allFinite(Ops ops, List<Value> grads) {
    Value bad = null;
    for (Value g : grads) {
      Value ok = ops.lessEqual(ops.abs(g), ops.scalarLike(largestFinite(g.dtype()), g));
      Value n = ops.sumAll(ops.toFloat(ops.logicalNot(ok)));
      bad = bad == null ? n : ops.add(bad, n);
    }
    return bad == null ? ops.equal(ops.scalar(0), ops.scalar(0)) : ops.equal(bad, ops.scalar(0));
  }

  private static double largestFinite(DType d) {
    return switch (d) {
      case FLOAT64 -> Double.MAX_VALUE;
      case FLOAT16 -> 65504.0;
      // bfloat16's largest finite value: 0x7F7F, float32's exponent with 7 mantissa bits.
      case BFLOAT16 -> Float.intBitsToFloat(0x7F7F0000);
      default -> Float.MAX_VALUE;
    };
  }

  /** Host side, before a step: the inner optimizer's schedule, from its own step count. */
  @Override
  public void beforeStep() {
    Optimizer inner = innerOptimizer();
    if (inner.schedule() != null) {
      // Skipped steps do not count, and only the backend knows which were skipped.
      inner.stateRestored();
    }
    inner.beforeStep();
  }

  /** Host side, after a step. */
  @Override
  public void afterStep() {
    innerOptimizer().afterStep();
  }

  /** Host side, after the variables were assigned from a file. */
  @Override
  public void stateRestored() {
    innerOptimizer().stateRestored();
  }

  @Override
  protected List<Weight> createSlots(Weight v) {
    return List.of();
  }

  @Override
  protected Value update(
      Ops ops, Value value, Value grad, Value lr, Value step, List<Weight> slots) {
    throw new IllegalStateException("the inner optimizer updates the variables");
  }
}
