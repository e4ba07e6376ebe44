package dev.kiln.api.optimizers;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.ir.Value;
import java.util.List;

/**
 * Nadam, Adam with Nesterov momentum and Keras's momentum schedule {@code u_t = b1 (1 - 0.5 *
 * 0.96^t)}. Defaults lr 0.001, b1 0.9, b2 0.999, eps 1e-7.
 */
public final class Nadam extends Optimizer {
  /** The first moment's decay, in [0, 1]. */
  public static final Arg<Double> BETA_1 = Arg.fraction("beta_1", 0.9);

  /** The second moment's decay, in [0, 1]. */
  public static final Arg<Double> BETA_2 = Arg.fraction("beta_2", 0.999);

  /** The denominator's fuzz, {@code > 0}. */
  public static final Arg<Double> EPSILON = Arg.positive("epsilon", 1e-7);

  /** Keras's {@code Nadam}. */
  public static final KerasClass<Nadam> KERAS =
      declare("Nadam", Nadam.class, a -> new Nadam(), 0.001, null, BETA_1, BETA_2, EPSILON)
          .aliases("nadam");

  private Weight uProduct;
  private Value ut;
  private Value ut1;
  private Value uProductT;

  /** Nadam with Keras's defaults. */
  public Nadam() {
    super("nadam", KERAS);
  }

  /**
   * Nadam with this learning rate.
   *
   * @throws IllegalArgumentException for a negative learning rate
   */
  public Nadam(double learningRate) {
    this();
    setLearningRate(learningRate);
  }

  /**
   * Sets the betas.
   *
   * @throws IllegalArgumentException outside [0, 1]
   */
  public Nadam betas(double b1, double b2) {
    args().set(BETA_1, b1).set(BETA_2, b2);
    return this;
  }

  /**
   * Sets epsilon.
   *
   * @throws IllegalArgumentException for e <= 0
   */
  public Nadam epsilon(double e) {
    args().set(EPSILON, e);
    return this;
  }

  @Override
  protected List<Weight> createSlots(Weight v) {
    if (uProduct == null) {
      uProduct = scalarSlot("u_product", 1.0);
    }
    return List.of(slot(v, "momentum", 0), slot(v, "velocity", 0));
  }

  @Override
  protected void prepare(Ops o, Value t) {
    double beta1 = args().get(BETA_1);
    Value decay = o.scalar(0.96);
    ut = o.mul(o.sub(1, o.mul(o.pow(decay, t), 0.5)), beta1);
    ut1 = o.mul(o.sub(1, o.mul(o.pow(decay, o.add(t, 1.0)), 0.5)), beta1);
    uProductT = o.mul(o.read(uProduct), ut);
    o.assign(uProduct, uProductT);
  }

  @Override
  protected Value update(Ops o, Value w, Value g, Value lr, Value t, List<Weight> slots) {
    double beta1 = args().get(BETA_1);
    double beta2 = args().get(BETA_2);
    double epsilon = args().get(EPSILON);
    Value uProductT1 = o.mul(uProductT, ut1);
    Value b2t = o.pow(o.scalar(beta2), t);
    Value m = o.read(slots.get(0));
    Value v = o.read(slots.get(1));
    m = o.add(m, o.mul(o.sub(g, m), 1 - beta1));
    v = o.add(v, o.mul(o.sub(o.square(g), v), 1 - beta2));
    o.assign(slots.get(0), m);
    o.assign(slots.get(1), v);
    Value mHat =
        o.add(
            o.div(o.mul(m, ut1), o.sub(1, uProductT1)),
            o.div(o.mul(g, o.sub(1, ut)), o.sub(1, uProductT)));
    Value vHat = o.div(v, o.sub(1, b2t));
    return o.sub(w, o.div(o.mul(mHat, lr), o.add(o.sqrt(vHat), epsilon)));
  }
}
