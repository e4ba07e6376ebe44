package dev.kiln.api.optimizers;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * Adamax, Adam with the infinity norm: {@code m += (g - m)(1 - b1)}, {@code u = max(b2 u, |g|)},
 * {@code w -= lr m / ((1 - b1^t)(u + eps))}. Defaults lr 0.001, b1 0.9, b2 0.999, eps 1e-7.
 */
public final class Adamax extends Optimizer {
  private final double beta1 = 0.9;
  private final double beta2 = 0.999;
  private final double epsilon = 1e-7;

  /** Adamax with Keras's defaults. */
  public Adamax() {
    this(0.001);
  }

  /** Adamax with this learning rate. */
  public Adamax(double learningRate) {
    super("adamax", learningRate);
  }

  @Override
  protected List<Weight> createSlots(Weight v) {
    return List.of(slot(v, "m", 0), slot(v, "norm", 0));
  }

  @Override
  protected Value update(Ops o, Value w, Value g, Value lr, Value t, List<Weight> slots) {
    Value m = o.read(slots.get(0));
    m = o.add(m, o.mul(o.sub(g, m), 1 - beta1));
    Value u = o.maximum(o.mul(o.read(slots.get(1)), beta2), o.abs(g));
    o.assign(slots.get(0), m);
    o.assign(slots.get(1), u);
    Value corr = o.sub(1, o.pow(o.scalar(beta1), t));
    return o.sub(w, o.div(o.mul(m, lr), o.mul(o.add(u, epsilon), corr)));
  }

  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = super.getConfig();
    c.put("beta_1", beta1);
    c.put("beta_2", beta2);
    c.put("epsilon", epsilon);
    return c;
  }
}
