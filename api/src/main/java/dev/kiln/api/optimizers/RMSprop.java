package dev.kiln.api.optimizers;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * RMSprop: {@code v = rho v + (1 - rho) g^2}, {@code w -= lr g / sqrt(v + eps)}; {@code centered}
 * subtracts the squared running mean of g, {@code momentum} accumulates the increments. Defaults lr
 * 0.001, rho 0.9, eps 1e-7.
 */
public final class RMSprop extends Optimizer {
  private double rho = 0.9;
  private double momentum;
  private double epsilon = 1e-7;
  private boolean centered;

  /** RMSprop with Keras's defaults. */
  public RMSprop() {
    this(0.001);
  }

  /** RMSprop with this learning rate. */
  public RMSprop(double learningRate) {
    super("rmsprop", learningRate);
  }

  /** Sets rho, momentum and centering. */
  public RMSprop options(double rho, double momentum, boolean centered) {
    this.rho = rho;
    this.momentum = momentum;
    this.centered = centered;
    return this;
  }

  @Override
  protected List<Weight> createSlots(Weight v) {
    List<Weight> s = new ArrayList<>(List.of(slot(v, "velocity", 0)));
    if (momentum > 0) {
      s.add(slot(v, "momentum", 0));
    }
    if (centered) {
      s.add(slot(v, "average_gradient", 0));
    }
    return s;
  }

  @Override
  protected Value update(Ops o, Value w, Value g, Value lr, Value t, List<Weight> slots) {
    Value v = o.add(o.mul(o.read(slots.get(0)), rho), o.mul(o.square(g), 1 - rho));
    o.assign(slots.get(0), v);
    Value denom;
    if (centered) {
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

  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = super.getConfig();
    c.put("rho", rho);
    c.put("momentum", momentum);
    c.put("epsilon", epsilon);
    c.put("centered", centered);
    return c;
  }
}
