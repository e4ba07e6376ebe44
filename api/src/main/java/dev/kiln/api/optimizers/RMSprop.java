package dev.kiln.api.optimizers;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * RMSprop: {@code v = rho v + (1 - rho) g^2}, {@code w -= lr g / sqrt(v + eps)}; {@code centered}
 * subtracts the squared running mean of g, {@code momentum} accumulates the increments. Defaults lr
 * 0.001, rho 0.9, eps 1e-7.
 */
public final class RMSprop extends Optimizer {
  /** The decay of the squared-gradient average, in [0, 1]. */
  public static final Arg<Double> RHO = Arg.fraction("rho", 0.9);

  /** The momentum, in [0, 1] (default 0: none). */
  public static final Arg<Double> MOMENTUM = Arg.fraction("momentum", 0.0);

  /** The denominator's fuzz, {@code > 0}. */
  public static final Arg<Double> EPSILON = Arg.positive("epsilon", 1e-7);

  /** Whether the squared mean gradient is subtracted (the variance estimate). */
  public static final Arg<Boolean> CENTERED = Arg.bool("centered", false);

  /** Keras's {@code RMSprop}. */
  public static final KerasClass<RMSprop> KERAS =
      declare(
              "RMSprop",
              RMSprop.class,
              a -> new RMSprop(),
              0.001,
              null,
              RHO,
              MOMENTUM,
              EPSILON,
              CENTERED)
          .aliases("rmsprop");

  /** RMSprop with Keras's defaults. */
  public RMSprop() {
    super("rmsprop", KERAS);
  }

  /**
   * RMSprop with this learning rate.
   *
   * @throws IllegalArgumentException for a negative learning rate
   */
  public RMSprop(double learningRate) {
    this();
    setLearningRate(learningRate);
  }

  /**
   * Sets rho, momentum and centering.
   *
   * @throws IllegalArgumentException for rho or momentum outside [0, 1]
   */
  public RMSprop options(double rho, double momentum, boolean centered) {
    args().set(RHO, rho).set(MOMENTUM, momentum).set(CENTERED, centered);
    return this;
  }

  /**
   * Sets epsilon.
   *
   * @throws IllegalArgumentException for e <= 0
   */
  public RMSprop epsilon(double e) {
    args().set(EPSILON, e);
    return this;
  }

  @Override
  protected List<Weight> createSlots(Weight v) {
    List<Weight> s = new ArrayList<>(List.of(slot(v, "velocity", 0)));
    if (args().get(MOMENTUM) > 0) {
      s.add(slot(v, "momentum", 0));
    }
    if (args().get(CENTERED)) {
      s.add(slot(v, "average_gradient", 0));
    }
    return s;
  }

  @Override
  protected Value update(Ops o, Value w, Value g, Value lr, Value t, List<Weight> slots) {
    double rho = args().get(RHO);
    double momentum = args().get(MOMENTUM);
    double epsilon = args().get(EPSILON);
    Value v = o.add(o.mul(o.read(slots.get(0)), rho), o.mul(o.square(g), 1 - rho));
    o.assign(slots.get(0), v);
    Value denom;
    if (args().get(CENTERED)) {
      Weight avgSlot = slots.get(momentum > 0 ? 2 : 1);
      Value avg = o.add(o.mul(o.read(avgSlot), rho), o.mul(g, 1 - rho));
      o.assign(avgSlot, avg);
      denom = o.add(o.sub(v, o.square(avg)), epsilon);
    } else {
      denom = o.add(v, epsilon);
    }
    Value increment = o.div(o.mul(g, lr), o.sqrt(denom));
    if (momentum > 0) {
      Value m = o.add(o.mul(o.read(slots.get(1)), momentum), increment);
      o.assign(slots.get(1), m);
      return o.sub(w, m);
    }
    return o.sub(w, increment);
  }
}
