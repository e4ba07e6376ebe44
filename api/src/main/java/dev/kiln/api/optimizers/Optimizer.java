package dev.kiln.api.optimizers;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.optimizers.schedules.LearningRateSchedule;
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
 * The base of the optimizers. The update is emitted into the train-step graph ({@link
 * #applyGradients}); its state (the step count, the learning rate, slots such as Adam's moments)
 * lives in backend variables. Gradient clipping ({@code clipnorm}, {@code clipvalue}, {@code
 * globalClipnorm}) and decoupled weight decay apply to every optimizer, as in Keras 3.
 */
public abstract class Optimizer {
  private final String name;
  private double learningRate;
  private LearningRateSchedule schedule;
  private Double clipnorm;
  private Double clipvalue;
  private Double globalClipnorm;
  private double weightDecay;
  private Weight lrVariable;
  private Weight iterationsVariable;
  private long iterations;
  private final Map<Weight, List<Weight>> slots = new IdentityHashMap<>();
  private final List<Weight> slotOrder = new ArrayList<>();

  /** An optimizer named {@code name} with a fixed learning rate. */
  protected Optimizer(String name, double learningRate) {
    this.name = name;
    if (!(learningRate >= 0)) {
      throw new IllegalArgumentException(
          "Argument `learning_rate` must be >= 0. Received: learning_rate=" + learningRate);
    }
    this.learningRate = learningRate;
  }

  /** An optimizer whose learning rate follows a schedule. */
  protected Optimizer(String name, LearningRateSchedule schedule) {
    this.name = name;
    this.schedule = schedule;
    this.learningRate = schedule.at(0);
  }

  /** The name ({@code adam}). */
  public String name() {
    return name;
  }

  /** Rescales each gradient whose L2 norm exceeds {@code v} to norm {@code v}. */
  public Optimizer clipnorm(double v) {
    if (globalClipnorm != null) {
      throw new IllegalArgumentException("Only one of `clipnorm` and `global_clipnorm` can be set");
    }
    this.clipnorm = v;
    return this;
  }

  /** Clips each gradient element into {@code [-v, v]}. */
  public Optimizer clipvalue(double v) {
    this.clipvalue = v;
    return this;
  }

  /** Rescales all gradients together when their joint L2 norm exceeds {@code v}. */
  public Optimizer globalClipnorm(double v) {
    if (clipnorm != null) {
      throw new IllegalArgumentException("Only one of `clipnorm` and `global_clipnorm` can be set");
    }
    this.globalClipnorm = v;
    return this;
  }

  /** Decoupled weight decay: {@code w -= w * weightDecay * lr} before each update. */
  public Optimizer weightDecay(double v) {
    this.weightDecay = v;
    return this;
  }

  /** The weight decay factor. */
  public double weightDecay() {
    return weightDecay;
  }

  /** The learning rate the next step uses. */
  public double learningRate() {
    return schedule != null ? schedule.at(iterations) : learningRate;
  }

  /**
   * Sets a fixed learning rate (callbacks such as ReduceLROnPlateau use this).
   *
   * @throws KilnException if the learning rate follows a schedule
   */
  public void setLearningRate(double lr) {
    if (schedule != null) {
      throw new KilnException(
          "This optimizer was created with a `LearningRateSchedule` object as its"
              + " `learning_rate` constructor argument, hence its learning rate is not settable.");
    }
    this.learningRate = lr;
    if (lrVariable != null) {
      lrVariable.assign(Tensor.scalar((float) lr));
    }
  }

  /** The schedule, or null. */
  public LearningRateSchedule schedule() {
    return schedule;
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
      if (weightDecay > 0) {
        value = ops.sub(value, ops.mul(ops.mul(value, lr), weightDecay));
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
    if (schedule != null && lrVariable != null) {
      lrVariable.assign(Tensor.scalar((float) schedule.at(iterations)));
    }
  }

  /** Host side, after a step: counts it. */
  public void afterStep() {
    iterations++;
  }

  private List<Value> clip(Ops ops, List<Value> grads) {
    List<Value> out = new ArrayList<>(grads);
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

  /** Keras's configuration keys common to all optimizers. */
  public Map<String, Object> getConfig() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("name", name);
    c.put("learning_rate", schedule == null ? learningRate : schedule.config());
    c.put("weight_decay", weightDecay == 0 ? null : weightDecay);
    c.put("clipnorm", clipnorm);
    c.put("global_clipnorm", globalClipnorm);
    c.put("clipvalue", clipvalue);
    return c;
  }
}
