package dev.kiln.api.optimizers;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.optimizers.schedules.LearningRateSchedule;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Adam, as Keras computes it: {@code m += (g - m)(1 - b1)}, {@code v += (g^2 - v)(1 - b2)}, {@code
 * w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)}; with {@code amsgrad}, {@code v} is
 * replaced by its running maximum. Defaults lr 0.001, b1 0.9, b2 0.999, eps 1e-7.
 */
public class Adam extends Optimizer {
  private double beta1 = 0.9;
  private double beta2 = 0.999;
  private double epsilon = 1e-7;
  private boolean amsgrad;

  /** Adam with Keras's defaults. */
  public Adam() {
    this(0.001);
  }

  /** Adam with this learning rate. */
  public Adam(double learningRate) {
    super("adam", learningRate);
  }

  /** Adam on a schedule. */
  public Adam(LearningRateSchedule schedule) {
    super("adam", schedule);
  }

  /** For AdamW. */
  protected Adam(String name, double learningRate) {
    super(name, learningRate);
  }

  /** Sets the betas. */
  public Adam betas(double b1, double b2) {
    this.beta1 = b1;
    this.beta2 = b2;
    return this;
  }

  /** Sets epsilon. */
  public Adam epsilon(double e) {
    this.epsilon = e;
    return this;
  }

  /** Uses the AMSGrad variant. */
  public Adam amsgrad(boolean a) {
    this.amsgrad = a;
    return this;
  }

  @Override
  protected List<Weight> createSlots(Weight v) {
    List<Weight> s = new ArrayList<>(List.of(slot(v, "momentum", 0), slot(v, "velocity", 0)));
    if (amsgrad) {
      s.add(slot(v, "velocity_hat", 0));
    }
    return s;
  }

  @Override
  protected Value update(Ops o, Value w, Value g, Value lr, Value t, List<Weight> slots) {
    Value b1t = o.pow(o.scalar(beta1), t);
    Value b2t = o.pow(o.scalar(beta2), t);
    Value alpha = o.div(o.mul(lr, o.sqrt(o.sub(1, b2t))), o.sub(1, b1t));
    Value m = o.read(slots.get(0));
    Value v = o.read(slots.get(1));
    if (!amsgrad
        && g.dtype() == w.dtype()
        && m.dtype() == w.dtype()
        && v.dtype() == w.dtype()
        && g.shape().equals(w.shape())) {
      // One op, so a backend can update the weight and both moments in one pass over memory.
      Value step = alpha.dtype() == w.dtype() ? alpha : o.cast(alpha, w.dtype());
      List<Value> r = o.adamUpdate(w, g, m, v, step, beta1, beta2, epsilon);
      o.assign(slots.get(0), r.get(1));
      o.assign(slots.get(1), r.get(2));
      return r.get(0);
    }
    m = o.add(m, o.mul(o.sub(g, m), 1 - beta1));
    v = o.add(v, o.mul(o.sub(o.square(g), v), 1 - beta2));
    o.assign(slots.get(0), m);
    o.assign(slots.get(1), v);
    if (amsgrad) {
      v = o.maximum(o.read(slots.get(2)), v);
      o.assign(slots.get(2), v);
    }
    return o.sub(w, o.div(o.mul(m, alpha), o.add(o.sqrt(v), epsilon)));
  }

  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = super.getConfig();
    c.put("beta_1", beta1);
    c.put("beta_2", beta2);
    c.put("epsilon", epsilon);
    c.put("amsgrad", amsgrad);
    return c;
  }
}
