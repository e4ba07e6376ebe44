package dev.kiln.api.optimizers;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.optimizers.schedules.LearningRateSchedule;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.ir.Value;
import java.util.List;

/**
 * Gradient descent with optional momentum and Nesterov momentum: {@code m = momentum * m - lr * g};
 * {@code w += m} (or {@code w += momentum * m - lr * g} with Nesterov). Default lr 0.01.
 */
public final class SGD extends Optimizer {
  /** The momentum, in [0, 1] (default 0: none). */
  public static final Arg<Double> MOMENTUM = Arg.fraction("momentum", 0.0);

  /** Whether the momentum is Nesterov's. */
  public static final Arg<Boolean> NESTEROV = Arg.bool("nesterov", false);

  /** Keras's {@code SGD}. */
  public static final KerasClass<SGD> KERAS =
      declare("SGD", SGD.class, a -> new SGD(), 0.01, null, MOMENTUM, NESTEROV).aliases("sgd");

  /** Plain SGD with lr 0.01. */
  public SGD() {
    super("SGD", KERAS);
  }

  /**
   * Plain SGD.
   *
   * @throws IllegalArgumentException for a negative learning rate
   */
  public SGD(double learningRate) {
    this();
    setLearningRate(learningRate);
  }

  /**
   * SGD with momentum.
   *
   * @throws IllegalArgumentException for a negative learning rate or a momentum outside [0, 1]
   */
  public SGD(double learningRate, double momentum, boolean nesterov) {
    this(learningRate);
    momentum(momentum).nesterov(nesterov);
  }

  /** SGD on a schedule. */
  public SGD(LearningRateSchedule schedule) {
    this();
    setLearningRate(schedule);
  }

  /**
   * Sets the momentum.
   *
   * @throws IllegalArgumentException outside [0, 1]
   */
  public SGD momentum(double m) {
    args().set(MOMENTUM, m);
    return this;
  }

  /** Uses Nesterov momentum. */
  public SGD nesterov(boolean n) {
    args().set(NESTEROV, n);
    return this;
  }

  @Override
  protected List<Weight> createSlots(Weight v) {
    return args().get(MOMENTUM) > 0 ? List.of(slot(v, "momentum", 0)) : List.of();
  }

  @Override
  protected Value update(Ops o, Value w, Value g, Value lr, Value step, List<Weight> slots) {
    double momentum = args().get(MOMENTUM);
    boolean nesterov = args().get(NESTEROV);
    if (momentum == 0) {
      return o.sub(w, o.mul(g, lr));
    }
    Weight ms = slots.get(0);
    Value m = o.sub(o.mul(o.read(ms), momentum), o.mul(g, lr));
    o.assign(ms, m);
    if (nesterov) {
      return o.add(w, o.sub(o.mul(m, momentum), o.mul(g, lr)));
    }
    return o.add(w, m);
  }
}
