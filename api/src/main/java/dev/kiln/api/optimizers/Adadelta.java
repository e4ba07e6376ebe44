package dev.kiln.api.optimizers;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * Adadelta: running averages of squared gradients and squared updates set a per-weight step; {@code
 * w += lr * delta}. Defaults lr 0.001, rho 0.95, eps 1e-7.
 */
public final class Adadelta extends Optimizer {
  private double rho = 0.95;
  private final double epsilon = 1e-7;

  /** Adadelta with Keras's defaults. */
  public Adadelta() {
    this(0.001);
  }

  /** Adadelta with this learning rate. */
  public Adadelta(double learningRate) {
    super("adadelta", learningRate);
  }

  /** Sets rho. */
  public Adadelta rho(double r) {
    this.rho = r;
    return this;
  }

  @Override
  protected List<Weight> createSlots(Weight v) {
    return List.of(slot(v, "accumulated_grad", 0), slot(v, "accumulated_delta_var", 0));
  }

  @Override
  protected Value update(Ops o, Value w, Value g, Value lr, Value t, List<Weight> slots) {
    Value ag = o.add(o.mul(o.read(slots.get(0)), rho), o.mul(o.square(g), 1 - rho));
    Value av = o.read(slots.get(1));
    Value delta = o.neg(o.mul(o.div(o.sqrt(o.add(av, epsilon)), o.sqrt(o.add(ag, epsilon))), g));
    o.assign(slots.get(0), ag);
    o.assign(slots.get(1), o.add(o.mul(av, rho), o.mul(o.square(delta), 1 - rho)));
    return o.add(w, o.mul(delta, lr));
  }

  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = super.getConfig();
    c.put("rho", rho);
    c.put("epsilon", epsilon);
    return c;
  }
}
