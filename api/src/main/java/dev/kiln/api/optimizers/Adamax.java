package dev.kiln.api.optimizers;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.ir.Value;
import java.util.List;

/**
 * Adamax, Adam with the infinity norm: {@code m += (g - m)(1 - b1)}, {@code u = max(b2 u, |g|)},
 * {@code w -= lr m / ((1 - b1^t)(u + eps))}. Defaults lr 0.001, b1 0.9, b2 0.999, eps 1e-7.
 */
public final class Adamax extends Optimizer {
  /** The first moment's decay, in [0, 1]. */
  public static final Arg<Double> BETA_1 = Arg.fraction("beta_1", 0.9);

  /** The infinity norm's decay, in [0, 1]. */
  public static final Arg<Double> BETA_2 = Arg.fraction("beta_2", 0.999);

  /** The denominator's fuzz, {@code > 0}. */
  public static final Arg<Double> EPSILON = Arg.positive("epsilon", 1e-7);

  /** Keras's {@code Adamax}. */
  public static final KerasClass<Adamax> KERAS =
      declare("Adamax", Adamax.class, a -> new Adamax(), 0.001, null, BETA_1, BETA_2, EPSILON)
          .aliases("adamax");

  /** Adamax with Keras's defaults. */
  public Adamax() {
    super("adamax", KERAS);
  }

  /**
   * Adamax with this learning rate.
   *
   * @throws IllegalArgumentException for a negative learning rate
   */
  public Adamax(double learningRate) {
    this();
    setLearningRate(learningRate);
  }

  /**
   * Sets the betas.
   *
   * @throws IllegalArgumentException outside [0, 1]
   */
  public Adamax betas(double b1, double b2) {
    args().set(BETA_1, b1).set(BETA_2, b2);
    return this;
  }

  /**
   * Sets epsilon.
   *
   * @throws IllegalArgumentException for e <= 0
   */
  public Adamax epsilon(double e) {
    args().set(EPSILON, e);
    return this;
  }

  @Override
  protected List<Weight> createSlots(Weight v) {
    return List.of(slot(v, "m", 0), slot(v, "norm", 0));
  }

  @Override
  protected Value update(Ops o, Value w, Value g, Value lr, Value t, List<Weight> slots) {
    double beta1 = args().get(BETA_1);
    double beta2 = args().get(BETA_2);
    double epsilon = args().get(EPSILON);
    Value m = o.read(slots.get(0));
    m = o.add(m, o.mul(o.sub(g, m), 1 - beta1));
    Value u = o.maximum(o.mul(o.read(slots.get(1)), beta2), o.abs(g));
    o.assign(slots.get(0), m);
    o.assign(slots.get(1), u);
    Value corr = o.sub(1, o.pow(o.scalar(beta1), t));
    return o.sub(w, o.div(o.mul(m, lr), o.mul(o.add(u, epsilon), corr)));
  }
}
