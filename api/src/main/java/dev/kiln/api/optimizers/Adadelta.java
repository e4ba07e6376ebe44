package dev.kiln.api.optimizers;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.ir.Value;
import java.util.List;

/**
 * Adadelta: running averages of squared gradients and squared updates set a per-weight step; {@code
 * w += lr * delta}. Defaults lr 0.001, rho 0.95, eps 1e-7.
 */
public final class Adadelta extends Optimizer {
  /** The decay of the running averages, in [0, 1]. */
  public static final Arg<Double> RHO = Arg.fraction("rho", 0.95);

  /** The fuzz in both square roots, {@code > 0}. */
  public static final Arg<Double> EPSILON = Arg.positive("epsilon", 1e-7);

  /** Keras's {@code Adadelta}. */
  public static final KerasClass<Adadelta> KERAS =
      declare("Adadelta", Adadelta.class, a -> new Adadelta(), 0.001, null, RHO, EPSILON)
          .aliases("adadelta");

  /** Adadelta with Keras's defaults. */
  public Adadelta() {
    super("adadelta", KERAS);
  }

  /**
   * Adadelta with this learning rate.
   *
   * @throws IllegalArgumentException for a negative learning rate
   */
  public Adadelta(double learningRate) {
    this();
    setLearningRate(learningRate);
  }

  /**
   * Sets rho.
   *
   * @throws IllegalArgumentException outside [0, 1]
   */
  public Adadelta rho(double r) {
    args().set(RHO, r);
    return this;
  }

  /**
   * Sets epsilon.
   *
   * @throws IllegalArgumentException for e <= 0
   */
  public Adadelta epsilon(double e) {
    args().set(EPSILON, e);
    return this;
  }

  @Override
  protected List<Weight> createSlots(Weight v) {
    return List.of(slot(v, "accumulated_grad", 0), slot(v, "accumulated_delta_var", 0));
  }

  @Override
  protected Value update(Ops o, Value w, Value g, Value lr, Value t, List<Weight> slots) {
    double rho = args().get(RHO);
    double epsilon = args().get(EPSILON);
    Value ag = o.add(o.mul(o.read(slots.get(0)), rho), o.mul(o.square(g), 1 - rho));
    Value av = o.read(slots.get(1));
    Value delta = o.neg(o.mul(o.div(o.sqrt(o.add(av, epsilon)), o.sqrt(o.add(ag, epsilon))), g));
    o.assign(slots.get(0), ag);
    o.assign(slots.get(1), o.add(o.mul(av, rho), o.mul(o.square(delta), 1 - rho)));
    return o.add(w, o.mul(delta, lr));
  }
}
