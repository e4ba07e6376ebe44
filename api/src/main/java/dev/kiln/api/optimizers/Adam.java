package dev.kiln.api.optimizers;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.optimizers.schedules.LearningRateSchedule;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Adam, as Keras computes it: {@code m += (g - m)(1 - b1)}, {@code v += (g^2 - v)(1 - b2)}, {@code
 * w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)}; with {@code amsgrad}, {@code v} is
 * replaced by its running maximum. Defaults lr 0.001, b1 0.9, b2 0.999, eps 1e-7.
 */
public class Adam extends Optimizer {
  /** The first moment's decay, in [0, 1]. */
  public static final Arg<Double> BETA_1 = Arg.fraction("beta_1", 0.9);

  /** The second moment's decay, in [0, 1]. */
  public static final Arg<Double> BETA_2 = Arg.fraction("beta_2", 0.999);

  /** The denominator's fuzz, {@code > 0}. */
  public static final Arg<Double> EPSILON = Arg.positive("epsilon", 1e-7);

  /** Whether the second moment is replaced by its running maximum. */
  public static final Arg<Boolean> AMSGRAD = Arg.bool("amsgrad", false);

  /** Keras's {@code Adam}. */
  public static final KerasClass<Adam> KERAS =
      declare("Adam", Adam.class, a -> new Adam(), 0.001, null, BETA_1, BETA_2, EPSILON, AMSGRAD)
          .aliases("adam");

  /** Adam with Keras's defaults. */
  public Adam() {
    this("adam", KERAS);
  }

  /**
   * Adam with this learning rate.
   *
   * @throws IllegalArgumentException for a negative learning rate
   */
  public Adam(double learningRate) {
    this();
    setLearningRate(learningRate);
  }

  /** Adam on a schedule. */
  public Adam(LearningRateSchedule schedule) {
    this();
    setLearningRate(schedule);
  }

  /** For AdamW, whose declaration adds to Adam's arguments. */
  protected Adam(String name, KerasClass<? extends Adam> keras) {
    super(name, keras);
  }

  /**
   * Sets the betas.
   *
   * @throws IllegalArgumentException outside [0, 1]
   */
  public Adam betas(double b1, double b2) {
    args().set(BETA_1, b1).set(BETA_2, b2);
    return this;
  }

  /**
   * Sets epsilon.
   *
   * @throws IllegalArgumentException for e <= 0
   */
  public Adam epsilon(double e) {
    args().set(EPSILON, e);
    return this;
  }

  /** Uses the AMSGrad variant. */
  public Adam amsgrad(boolean a) {
    args().set(AMSGRAD, a);
    return this;
  }

  @Override
  protected List<Weight> createSlots(Weight v) {
    List<Weight> s = new ArrayList<>(List.of(slot(v, "momentum", 0), slot(v, "velocity", 0)));
    if (args().get(AMSGRAD)) {
      s.add(slot(v, "velocity_hat", 0));
    }
    return s;
  }

  /** The step size of the step being traced, and the learning rate and step it was made from. */
  private Value alpha;

  private Value alphaLr;
  private Value alphaStep;

  /**
   * {@code lr * sqrt(1 - b2^t) / (1 - b1^t)}, emitted once per traced step and shared by every
   * variable: emitted per variable it was seven scalar ops each (LeNet: 56 of the step's 125
   * kernels).
   */
  private Value stepSize(Ops o, Value lr, Value t, double beta1, double beta2) {
    if (alpha == null || alphaLr != lr || alphaStep != t) {
      Value b1t = o.pow(o.scalar(beta1), t);
      Value b2t = o.pow(o.scalar(beta2), t);
      alpha = o.div(o.mul(lr, o.sqrt(o.sub(1, b2t))), o.sub(1, b1t));
      alphaLr = lr;
      alphaStep = t;
    }
    return alpha;
  }

  @Override
  protected void prepare(Ops o, Value t) {
    // A new step is being traced: nothing of the last one is kept or reused.
    alpha = null;
    alphaLr = null;
    alphaStep = null;
  }

  @Override
  protected Value update(Ops o, Value w, Value g, Value lr, Value t, List<Weight> slots) {
    double beta1 = args().get(BETA_1);
    double beta2 = args().get(BETA_2);
    double epsilon = args().get(EPSILON);
    boolean amsgrad = args().get(AMSGRAD);
    Value alpha = stepSize(o, lr, t, beta1, beta2);
    Value m = o.read(slots.get(0));
    Value v = o.read(slots.get(1));
    if (!amsgrad
        && g.dtype() == w.dtype()
        && m.dtype() == w.dtype()
        && v.dtype() == w.dtype()
        && g.shape().equals(w.shape())) {
      // One op, so a backend can update the weight and both moments in one pass over memory.
      Value step = alpha.dtype() == w.dtype() ? alpha : o.cast(alpha, w.dtype());
      List<Value> r = o.adamUpdate(w, g, m, v, step, beta1, beta2, epsilon);
      o.assign(slots.get(0), r.get(1));
      o.assign(slots.get(1), r.get(2));
      return r.get(0);
    }
    m = o.add(m, o.mul(o.sub(g, m), 1 - beta1));
    v = o.add(v, o.mul(o.sub(o.square(g), v), 1 - beta2));
    o.assign(slots.get(0), m);
    o.assign(slots.get(1), v);
    if (amsgrad) {
      v = o.maximum(o.read(slots.get(2)), v);
      o.assign(slots.get(2), v);
    }
    return o.sub(w, o.div(o.mul(m, alpha), o.add(o.sqrt(v), epsilon)));
  }
}
