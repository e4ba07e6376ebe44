package dev.kiln.api.optimizers;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.optimizers.schedules.LearningRateSchedule;
import dev.kiln.spi.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * Gradient descent with optional momentum and Nesterov momentum: {@code m = momentum * m - lr * g};
 * {@code w += m} (or {@code w += momentum * m - lr * g} with Nesterov). Default lr 0.01.
 */
public final class SGD extends Optimizer {
  private double momentum;
  private boolean nesterov;

  /** Plain SGD with lr 0.01. */
  public SGD() {
    this(0.01);
  }

  /** Plain SGD. */
  public SGD(double learningRate) {
    super("SGD", learningRate);
  }

  /** SGD with momentum. */
  public SGD(double learningRate, double momentum, boolean nesterov) {
    super("SGD", learningRate);
    if (momentum < 0 || momentum > 1) {
      throw new IllegalArgumentException(
          "`momentum` must be in the range [0, 1]. Received: momentum=" + momentum);
    }
    this.momentum = momentum;
    this.nesterov = nesterov;
  }

  /** SGD on a schedule. */
  public SGD(LearningRateSchedule schedule) {
    super("SGD", schedule);
  }

  @Override
  protected List<Weight> createSlots(Weight v) {
    return momentum > 0 ? List.of(slot(v, "momentum", 0)) : List.of();
  }

  @Override
  protected Value update(Ops o, Value w, Value g, Value lr, Value step, List<Weight> slots) {
    if (momentum == 0) {
      return o.sub(w, o.mul(g, lr));
    }
    Weight ms = slots.get(0);
    Value m = o.sub(o.mul(o.read(ms), momentum), o.mul(g, lr));
    o.assign(ms, m);
    if (nesterov) {
      return o.add(w, o.sub(o.mul(m, momentum), o.mul(g, lr)));
    }
    return o.add(w, m);
  }

  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = super.getConfig();
    c.put("momentum", momentum);
    c.put("nesterov", nesterov);
    return c;
  }
}
