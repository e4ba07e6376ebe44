package dev.kiln.api.optimizers;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.optimizers.schedules.LearningRateSchedule;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.Args;
import dev.kiln.api.registry.ArgumentException;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.KerasObject;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The base of the optimizers. The update is emitted into the train-step graph ({@link
 * #applyGradients}); its state (the step count, the learning rate, slots such as Adam's moments)
 * lives in backend variables. Gradient clipping ({@code clipnorm}, {@code clipvalue}, {@code
 * globalClipnorm}) and decoupled weight decay apply to every optimizer, as in Keras 3.
 *
 * <p>Every optimizer takes Keras 3's common arguments ({@link #LEARNING_RATE}, {@link
 * #WEIGHT_DECAY}, the clipping ones, the EMA ones, ...) before its own; a class declares them all
 * with {@link #declare}, and its config is written from and read back through that declaration.
 *
 * {@snippet :
 * Optimizer a = new Adam(1e-3).clipnorm(1.0);
 * Optimizer b = Optimizers.fromConfig("adamw", Map.of("learning_rate", 0.01, "weight_decay", 0.01));
 * }
 */
public abstract class Optimizer implements KerasObject {
  /**
   * The learning rate: a number {@code >= 0} or a schedule (in a config, a serialized one). Each
   * class declares its own default with {@link #declare}.
   */
  public static final Arg<Object> LEARNING_RATE = learningRate(0.001);

  /** Decoupled weight decay: {@code w -= w * weight_decay * lr} before each update; null: none. */
  public static final Arg<Double> WEIGHT_DECAY = Arg.nonNegative("weight_decay", null);

  /** Each gradient's L2 norm is clipped to this; null: no clipping. */
  public static final Arg<Double> CLIPNORM = Arg.nonNegative("clipnorm", null);

  /** The joint L2 norm of all gradients is clipped to this; null: no clipping. */
  public static final Arg<Double> GLOBAL_CLIPNORM = Arg.nonNegative("global_clipnorm", null);

  /** Each gradient element is clipped into {@code [-v, v]}; null: no clipping. */
  public static final Arg<Double> CLIPVALUE = Arg.nonNegative("clipvalue", null);

  /** Only false: moving averages of the weights are not kept. */
  public static final Arg<Boolean> USE_EMA =
      Arg.bool("use_ema", false)
          .checked("false (moving averages of the weights are not supported)", v -> !v);

  /** The moving average's momentum (unused, as {@code use_ema} is false). */
  public static final Arg<Double> EMA_MOMENTUM = Arg.fraction("ema_momentum", 0.99);

  /** How often the moving average overwrites the weights (unused, as {@code use_ema} is false). */
  public static final Arg<Integer> EMA_OVERWRITE_FREQUENCY =
      Arg.integer("ema_overwrite_frequency", null)
          .checked("a positive integer or null", v -> v > 0);

  /**
   * Keras scales the loss by this and the gradients back by its inverse, against float16 underflow;
   * Kiln reads and writes it back but does not apply it: float16 training scales its loss with a
   * {@link LossScaleOptimizer}, which {@code compile} adds under the {@code mixed_float16} policy.
   */
  public static final Arg<Double> LOSS_SCALE_FACTOR = Arg.positive("loss_scale_factor", null);

  /** Only null: gradients are applied every step. */
  public static final Arg<Integer> GRADIENT_ACCUMULATION_STEPS =
      Arg.integer("gradient_accumulation_steps", null)
          .checked("null (gradient accumulation is not supported)", v -> false);

  private static final Arg<String> NAME = Arg.string("name", null);

  private String name;
  private final Args args;
  private final Arg<Object> learningRateArg;
  private final Arg<Double> weightDecayArg;
  private Weight lrVariable;
  private Weight iterationsVariable;
  private long iterations;
  private final Map<Weight, List<Weight>> slots = new IdentityHashMap<>();
  private final List<Weight> slotOrder = new ArrayList<>();

  /**
   * A declaration of an optimizer class: Keras's common arguments, with this class's default
   * learning rate and weight decay, then the class's own arguments; Keras 2's {@code decay} key is
   * read and ignored, as Keras 3 does.
   *
   * @param weightDecay the default weight decay, or null for none
   */
  protected static <T extends Optimizer> KerasClass<T> declare(
      String className,
      Class<T> type,
      Function<Args, T> factory,
      double learningRate,
      Double weightDecay,
      Arg<?>... own) {
    return KerasClass.of(
            Kind.OPTIMIZER,
            className,
            type,
            factory,
            LEARNING_RATE.defaultTo(learningRate),
            weightDecay == null ? WEIGHT_DECAY : WEIGHT_DECAY.defaultTo(weightDecay),
            CLIPNORM,
            GLOBAL_CLIPNORM,
            CLIPVALUE,
            USE_EMA,
            EMA_MOMENTUM,
            EMA_OVERWRITE_FREQUENCY,
            LOSS_SCALE_FACTOR,
            GRADIENT_ACCUMULATION_STEPS)
        .with(own)
        // Keras 3 still accepts, warns about and drops Keras 2's `decay`.
        .tolerating("decay");
  }

  /**
   * An optimizer named {@code name} with the declared arguments of {@code keras} at their defaults;
   * a null {@code keras} means the declaration of this object's class (its {@code KERAS} field, or
   * the nearest superclass's), or, if there is none, one that configs cannot rebuild.
   *
   * @throws IllegalStateException if {@code keras} was not made by {@link #declare}
   */
  protected Optimizer(String name, KerasClass<? extends Optimizer> keras) {
    this(name, keras, false);
  }

  /**
   * As {@link #Optimizer(String, KerasClass)}; a {@code wrapper} (a {@link LossScaleOptimizer}) may
   * lack the common arguments, which belong to the optimizer it wraps.
   */
  @SuppressWarnings("unchecked")
  Optimizer(String name, KerasClass<? extends Optimizer> keras, boolean wrapper) {
    KerasClass<?> d = keras != null ? keras : declarationOf(getClass());
    this.name = name;
    this.args = Args.defaults(d, this::owner);
    this.learningRateArg = (Arg<Object>) d.arg("learning_rate");
    this.weightDecayArg = (Arg<Double>) d.arg("weight_decay");
    if (!wrapper && (learningRateArg == null || weightDecayArg == null)) {
      throw new IllegalStateException(
          d + " lacks the common optimizer arguments; declare it with Optimizer.declare");
    }
  }

  /**
   * An optimizer named {@code name} with a fixed learning rate, declared by its class's {@code
   * KERAS} field if it has one.
   *
   * @throws IllegalArgumentException for a negative learning rate
   */
  protected Optimizer(String name, double learningRate) {
    this(name, (KerasClass<? extends Optimizer>) null);
    args.set(learningRateArg, learningRate);
  }

  /** An optimizer whose learning rate follows a schedule. */
  protected Optimizer(String name, LearningRateSchedule schedule) {
    this(name, (KerasClass<? extends Optimizer>) null);
    args.set(learningRateArg, schedule);
  }

  @SuppressWarnings("unchecked")
  private static KerasClass<?> declarationOf(Class<?> c) {
    KerasClass<?> d = Registry.declarationOf(c);
    if (d != null) {
      return d;
    }
    String n = c.getSimpleName().isEmpty() ? "Optimizer" : c.getSimpleName();
    return declare(
        n,
        (Class<Optimizer>) c,
        a -> {
          throw new KilnException(
              "optimizer class "
                  + c.getName()
                  + " declares no KerasClass; declare one with Optimizer.declare and"
                  + " Registry.register it to read its configs");
        },
        0.001,
        null);
  }

  private static Arg<Object> learningRate(double defaultValue) {
    String expected = "a number >= 0 or a learning rate schedule";
    return Arg.<Object>of(
            "learning_rate",
            expected,
            defaultValue,
            v -> {
              if (v instanceof Number n && !(v instanceof Boolean)) {
                return n.doubleValue();
              }
              if (v instanceof LearningRateSchedule || v instanceof Map) {
                return Registry.deserialize(Kind.SCHEDULE, v);
              }
              return null;
            },
            v -> v instanceof LearningRateSchedule s ? Registry.write(Kind.SCHEDULE, s) : v)
        .checked(expected, v -> v instanceof LearningRateSchedule || (Double) v >= 0)
        // if/then/else rather than anyOf: a wrong number gets one error, not one per branch.
        .schema(
            Map.of(
                "if",
                Map.of("type", "number"),
                "then",
                Map.of("minimum", 0),
                "else",
                dev.kiln.api.registry.Schemas.ref(Kind.SCHEDULE)));
  }

  /** The object in messages: {@code optimizer 'adam'}. */
  protected String owner() {
    return "optimizer '" + name + "'";
  }

  /** The name ({@code adam}). */
  public String name() {
    return name;
  }

  @Override
  public Args args() {
    return args;
  }

  @Override
  public String className() {
    return args.declaration().className();
  }

  /**
   * Rescales each gradient whose L2 norm exceeds {@code v} to norm {@code v}.
   *
   * @throws IllegalArgumentException for v < 0, or if {@code global_clipnorm} is set
   */
  public Optimizer clipnorm(double v) {
    if (args.get(GLOBAL_CLIPNORM) != null) {
      throw new ArgumentException(
          owner() + ": only one of `clipnorm` and `global_clipnorm` can be set");
    }
    args.set(CLIPNORM, v);
    return this;
  }

  /**
   * Clips each gradient element into {@code [-v, v]}.
   *
   * @throws IllegalArgumentException for v < 0
   */
  public Optimizer clipvalue(double v) {
    args.set(CLIPVALUE, v);
    return this;
  }

  /**
   * Rescales all gradients together when their joint L2 norm exceeds {@code v}.
   *
   * @throws IllegalArgumentException for v < 0, or if {@code clipnorm} is set
   */
  public Optimizer globalClipnorm(double v) {
    if (args.get(CLIPNORM) != null) {
      throw new ArgumentException(
          owner() + ": only one of `clipnorm` and `global_clipnorm` can be set");
    }
    args.set(GLOBAL_CLIPNORM, v);
    return this;
  }

  /**
   * Decoupled weight decay: {@code w -= w * weightDecay * lr} before each update.
   *
   * @throws IllegalArgumentException for v < 0
   */
  public Optimizer weightDecay(double v) {
    args.set(weightDecayArg, v);
    return this;
  }

  /** The weight decay factor (0 when none). */
  public double weightDecay() {
    Double v = args.get(weightDecayArg);
    return v == null ? 0 : v;
  }

  /** The learning rate the next step uses. */
  public double learningRate() {
    Object v = args.get(learningRateArg);
    return v instanceof LearningRateSchedule s ? s.at(iterations) : (Double) v;
  }

  /**
   * Sets a fixed learning rate (callbacks such as ReduceLROnPlateau use this).
   *
   * @throws KilnException if the learning rate follows a schedule
   * @throws IllegalArgumentException for a negative rate
   */
  public void setLearningRate(double lr) {
    if (schedule() != null) {
      throw new KilnException(
          "This optimizer was created with a `LearningRateSchedule` object as its"
              + " `learning_rate` constructor argument, hence its learning rate is not settable.");
    }
    args.set(learningRateArg, lr);
    if (lrVariable != null) {
      lrVariable.assign(Tensor.scalar((float) lr));
    }
  }

  /**
   * Makes the learning rate follow {@code schedule} from the next step on.
   *
   * @throws IllegalArgumentException for a null schedule
   */
  public void setLearningRate(LearningRateSchedule schedule) {
    if (schedule == null) {
      throw new ArgumentException(owner() + ": the learning rate schedule must not be null");
    }
    args.set(learningRateArg, schedule);
  }

  /** The schedule, or null. */
  public LearningRateSchedule schedule() {
    return args.get(learningRateArg) instanceof LearningRateSchedule s ? s : null;
  }

  /** Keras's config: {@code name}, then the declared arguments. */
  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("name", name);
    c.putAll(args.toConfig());
    return c;
  }

  /**
   * Reads {@code name} and checks the arguments against each other.
   *
   * @throws ArgumentException for a name that is no string, or both clipping norms set
   */
  @Override
  public void readCommonConfig(Map<String, Object> config) {
    readName(config);
    if (args.get(CLIPNORM) != null && args.get(GLOBAL_CLIPNORM) != null) {
      throw new ArgumentException(
          owner() + ": only one of `clipnorm` and `global_clipnorm` can be set");
    }
  }

  /** Reads {@code name} from a config, if it has one. */
  final void readName(Map<String, Object> config) {
    if (config.get("name") != null) {
      name = NAME.read(config.get("name"), owner());
    }
  }

  @Override
  public String toString() {
    return className() + getConfig();
  }

  /** The number of updates applied so far. */
  public long iterations() {
    return iterations;
  }

  /** Every state variable: step count, learning rate, then the slots. */
  public List<Weight> variables() {
    List<Weight> all = new ArrayList<>();
    if (iterationsVariable != null) {
      all.add(iterationsVariable);
      all.add(lrVariable);
    }
    all.addAll(slotOrder);
    return all;
  }

  /** Creates the state for {@code vars}; later calls add slots for new variables only. */
  public void build(List<Weight> vars) {
    if (iterationsVariable == null) {
      iterationsVariable =
          new Weight(
              "iteration",
              name + "/iteration",
              HostTensor.zeros(DType.INT64, Shape.scalar()),
              false,
              null,
              null);
      lrVariable =
          new Weight(
              "learning_rate",
              name + "/learning_rate",
              HostTensor.scalar((float) learningRate()),
              false,
              null,
              null);
    }
    for (Weight v : vars) {
      if (!slots.containsKey(v)) {
        List<Weight> s = createSlots(v);
        slots.put(v, s);
        slotOrder.addAll(s);
      }
    }
  }

  /** The slots of one variable (momentum, moments...), each from {@link #slot}. */
  protected abstract List<Weight> createSlots(Weight v);

  /** A slot shaped like {@code v}, filled with {@code init}. */
  protected Weight slot(Weight v, String slotName, double init) {
    HostTensor h = HostTensor.zeros(DType.FLOAT32, v.type().shape());
    if (init != 0) {
      for (int i = 0; i < h.size(); i++) {
        h.setDouble(i, init);
      }
    }
    return new Weight(slotName, name + "/" + v.path() + "_" + slotName, h, false, null, null);
  }

  /** A scalar slot shared by all variables (Nadam's running product). */
  protected Weight scalarSlot(String slotName, double init) {
    Weight w =
        new Weight(
            slotName, name + "/" + slotName, HostTensor.scalar((float) init), false, null, null);
    slotOrder.add(w);
    return w;
  }

  /**
   * The value the train step differentiates in place of {@code loss}: {@code loss} itself here; a
   * {@link LossScaleOptimizer} multiplies it by its loss scale. It may create the optimizer's state
   * for {@code vars}, as {@link #build} does.
   */
  public Value scaleLoss(Ops ops, Value loss, List<Weight> vars) {
    return loss;
  }

  /**
   * Emits the update of each variable from its gradient and returns the new values (the caller
   * applies constraints and assigns them). Slot updates are assigned here.
   */
  public Map<Weight, Value> applyGradients(Ops ops, List<Weight> vars, List<Value> grads) {
    build(vars);
    List<Value> g = clip(ops, grads);
    Value lr = ops.read(lrVariable);
    Value it = ops.read(iterationsVariable);
    Value step = ops.add(ops.toFloat(it), 1.0);
    prepare(ops, step);
    Map<Weight, Value> out = new LinkedHashMap<>();
    for (int i = 0; i < vars.size(); i++) {
      Weight v = vars.get(i);
      Value value = ops.read(v);
      if (weightDecay() > 0) {
        value = ops.sub(value, ops.mul(ops.mul(value, lr), weightDecay()));
      }
      out.put(v, update(ops, value, g.get(i), lr, step, slots.get(v)));
    }
    ops.assign(iterationsVariable, ops.add(it, 1.0));
    return out;
  }

  /** Emits per-step values shared by all variables, before the updates (default: none). */
  protected void prepare(Ops ops, Value step) {}

  /**
   * The new value of one variable.
   *
   * @param value the variable (after weight decay)
   * @param grad its gradient (after clipping)
   * @param lr the learning rate, float32 scalar
   * @param step the 1-based step number, float32 scalar
   * @param slots the variable's slots, in {@link #createSlots} order
   */
  protected abstract Value update(
      Ops ops, Value value, Value grad, Value lr, Value step, List<Weight> slots);

  /** Host side, before a step: brings the learning-rate variable up to date with the schedule. */
  public void beforeStep() {
    LearningRateSchedule schedule = schedule();
    if (schedule != null && lrVariable != null) {
      lrVariable.assign(Tensor.scalar((float) schedule.at(iterations)));
    }
  }

  /** Host side, after a step: counts it. */
  public void afterStep() {
    iterations++;
  }

  /**
   * Host side, after the state variables were assigned from a file: takes the step count from the
   * {@code iteration} variable, so a learning-rate schedule resumes where the saved run stopped
   * instead of at step 0. Does nothing before {@link #build}.
   */
  public void stateRestored() {
    if (iterationsVariable != null) {
      iterations = (long) iterationsVariable.read().getDouble(0);
    }
  }

  private List<Value> clip(Ops ops, List<Value> grads) {
    List<Value> out = new ArrayList<>(grads);
    Double globalClipnorm = args.get(GLOBAL_CLIPNORM);
    Double clipnorm = args.get(CLIPNORM);
    Double clipvalue = args.get(CLIPVALUE);
    if (globalClipnorm != null) {
      Value sq = null;
      for (Value g : out) {
        Value s = ops.sumAll(ops.square(g));
        sq = sq == null ? s : ops.add(sq, s);
      }
      Value norm = ops.sqrt(sq);
      Value scale = ops.div(ops.scalar(globalClipnorm), ops.maximum(norm, globalClipnorm));
      out.replaceAll(g -> ops.mul(g, scale));
    } else if (clipnorm != null) {
      out.replaceAll(
          g -> {
            Value norm = ops.sqrt(ops.sumAll(ops.square(g)));
            return ops.mul(g, ops.div(ops.scalar(clipnorm), ops.maximum(norm, clipnorm)));
          });
    }
    if (clipvalue != null) {
      double c = clipvalue;
      out.replaceAll(g -> ops.clip(g, -c, c));
    }
    return out;
  }
}
