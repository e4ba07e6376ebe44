package dev.kiln.api.optimizers;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * Lion: {@code w -= lr * sign(b1 m + (1 - b1) g)}, then {@code m = b2 m + (1 - b2) g}. Defaults lr
 * 0.001, b1 0.9, b2 0.99.
 */
public final class Lion extends Optimizer {
  private final double beta1 = 0.9;
  private final double beta2 = 0.99;

  /** Lion with Keras's defaults. */
  public Lion() {
    this(0.001);
  }

  /** Lion with this learning rate. */
  public Lion(double learningRate) {
    super("lion", learningRate);
  }

  @Override
  protected List<Weight> createSlots(Weight v) {
    return List.of(slot(v, "momentum", 0));
  }

  @Override
  protected Value update(Ops o, Value w, Value g, Value lr, Value t, List<Weight> slots) {
    Value m = o.read(slots.get(0));
    Value dir = o.sign(o.add(o.mul(m, beta1), o.mul(g, 1 - beta1)));
    o.assign(slots.get(0), o.add(o.mul(m, beta2), o.mul(g, 1 - beta2)));
    return o.sub(w, o.mul(dir, lr));
  }

  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = super.getConfig();
    c.put("beta_1", beta1);
    c.put("beta_2", beta2);
    return c;
  }
}
