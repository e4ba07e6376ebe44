package dev.kiln.api.optimizers;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * Adagrad: {@code a += g^2}, {@code w -= lr g / sqrt(a + eps)}; the accumulator starts at 0.1.
 * Defaults lr 0.001, eps 1e-7.
 */
public final class Adagrad extends Optimizer {
  private double initialAccumulator = 0.1;
  private final double epsilon = 1e-7;

  /** Adagrad with Keras's defaults. */
  public Adagrad() {
    this(0.001);
  }

  /** Adagrad with this learning rate. */
  public Adagrad(double learningRate) {
    super("adagrad", learningRate);
  }

  /** Sets the accumulator's initial value. */
  public Adagrad initialAccumulatorValue(double v) {
    this.initialAccumulator = v;
    return this;
  }

  @Override
  protected List<Weight> createSlots(Weight v) {
    return List.of(slot(v, "accumulator", initialAccumulator));
  }

  @Override
  protected Value update(Ops o, Value w, Value g, Value lr, Value t, List<Weight> slots) {
    Value a = o.add(o.read(slots.get(0)), o.square(g));
    o.assign(slots.get(0), a);
    return o.sub(w, o.div(o.mul(g, lr), o.sqrt(o.add(a, epsilon))));
  }

  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = super.getConfig();
    c.put("initial_accumulator_value", initialAccumulator);
    c.put("epsilon", epsilon);
    return c;
  }
}
