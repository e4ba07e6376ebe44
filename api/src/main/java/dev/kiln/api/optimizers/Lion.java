package dev.kiln.api.optimizers;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.ir.Value;
import java.util.List;

/**
 * Lion: {@code w -= lr * sign(b1 m + (1 - b1) g)}, then {@code m = b2 m + (1 - b2) g}. Defaults lr
 * 0.001, b1 0.9, b2 0.99.
 */
public final class Lion extends Optimizer {
  /** The interpolation factor of the update direction, in (0, 1]. */
  public static final Arg<Double> BETA_1 =
      Arg.number("beta_1", 0.9).checked("a number in (0, 1]", v -> v > 0 && v <= 1);

  /** The momentum's decay, in [0, 1]. */
  public static final Arg<Double> BETA_2 = Arg.fraction("beta_2", 0.99);

  /** Keras's {@code Lion}. */
  public static final KerasClass<Lion> KERAS =
      declare("Lion", Lion.class, a -> new Lion(), 0.001, null, BETA_1, BETA_2).aliases("lion");

  /** Lion with Keras's defaults. */
  public Lion() {
    super("lion", KERAS);
  }

  /**
   * Lion with this learning rate.
   *
   * @throws IllegalArgumentException for a negative learning rate
   */
  public Lion(double learningRate) {
    this();
    setLearningRate(learningRate);
  }

  /**
   * Sets the betas.
   *
   * @throws IllegalArgumentException for beta_1 outside (0, 1] or beta_2 outside [0, 1]
   */
  public Lion betas(double b1, double b2) {
    args().set(BETA_1, b1).set(BETA_2, b2);
    return this;
  }

  @Override
  protected List<Weight> createSlots(Weight v) {
    return List.of(slot(v, "momentum", 0));
  }

  @Override
  protected Value update(Ops o, Value w, Value g, Value lr, Value t, List<Weight> slots) {
    double beta1 = args().get(BETA_1);
    double beta2 = args().get(BETA_2);
    Value m = o.read(slots.get(0));
    Value dir = o.sign(o.add(o.mul(m, beta1), o.mul(g, 1 - beta1)));
    o.assign(slots.get(0), o.add(o.mul(m, beta2), o.mul(g, 1 - beta2)));
    return o.sub(w, o.mul(dir, lr));
  }
}
