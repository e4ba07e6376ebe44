package dev.kiln.api.optimizers;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.ir.Value;
import java.util.List;

/**
 * Adagrad: {@code a += g^2}, {@code w -= lr g / sqrt(a + eps)}; the accumulator starts at 0.1.
 * Defaults lr 0.001, eps 1e-7.
 */
public final class Adagrad extends Optimizer {
  /** The accumulator's starting value, {@code >= 0}. */
  public static final Arg<Double> INITIAL_ACCUMULATOR_VALUE =
      Arg.nonNegative("initial_accumulator_value", 0.1);

  /** The denominator's fuzz, {@code > 0}. */
  public static final Arg<Double> EPSILON = Arg.positive("epsilon", 1e-7);

  /** Keras's {@code Adagrad}. */
  public static final KerasClass<Adagrad> KERAS =
      declare(
              "Adagrad",
              Adagrad.class,
              a -> new Adagrad(),
              0.001,
              null,
              INITIAL_ACCUMULATOR_VALUE,
              EPSILON)
          .aliases("adagrad");

  /** Adagrad with Keras's defaults. */
  public Adagrad() {
    super("adagrad", KERAS);
  }

  /**
   * Adagrad with this learning rate.
   *
   * @throws IllegalArgumentException for a negative learning rate
   */
  public Adagrad(double learningRate) {
    this();
    setLearningRate(learningRate);
  }

  /**
   * Sets the accumulator's initial value.
   *
   * @throws IllegalArgumentException for v < 0
   */
  public Adagrad initialAccumulatorValue(double v) {
    args().set(INITIAL_ACCUMULATOR_VALUE, v);
    return this;
  }

  /**
   * Sets epsilon.
   *
   * @throws IllegalArgumentException for e <= 0
   */
  public Adagrad epsilon(double e) {
    args().set(EPSILON, e);
    return this;
  }

  @Override
  protected List<Weight> createSlots(Weight v) {
    return List.of(slot(v, "accumulator", args().get(INITIAL_ACCUMULATOR_VALUE)));
  }

  @Override
  protected Value update(Ops o, Value w, Value g, Value lr, Value t, List<Weight> slots) {
    Value a = o.add(o.read(slots.get(0)), o.square(g));
    o.assign(slots.get(0), a);
    return o.sub(w, o.div(o.mul(g, lr), o.sqrt(o.add(a, args().get(EPSILON)))));
  }
}
