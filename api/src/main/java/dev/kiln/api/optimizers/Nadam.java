package dev.kiln.api.optimizers;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * Nadam, Adam with Nesterov momentum and Keras's momentum schedule {@code u_t = b1 (1 - 0.5 *
 * 0.96^t)}. Defaults lr 0.001, b1 0.9, b2 0.999, eps 1e-7.
 */
public final class Nadam extends Optimizer {
  private final double beta1 = 0.9;
  private final double beta2 = 0.999;
  private final double epsilon = 1e-7;
  private Weight uProduct;
  private Value ut;
  private Value ut1;
  private Value uProductT;

  /** Nadam with Keras's defaults. */
  public Nadam() {
    this(0.001);
  }

  /** Nadam with this learning rate. */
  public Nadam(double learningRate) {
    super("nadam", learningRate);
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
    Value decay = o.scalar(0.96);
    ut = o.mul(o.sub(1, o.mul(o.pow(decay, t), 0.5)), beta1);
    ut1 = o.mul(o.sub(1, o.mul(o.pow(decay, o.add(t, 1.0)), 0.5)), beta1);
    uProductT = o.mul(o.read(uProduct), ut);
    o.assign(uProduct, uProductT);
  }

  @Override
  protected Value update(Ops o, Value w, Value g, Value lr, Value t, List<Weight> slots) {
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

  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = super.getConfig();
    c.put("beta_1", beta1);
    c.put("beta_2", beta2);
    c.put("epsilon", epsilon);
    return c;
  }
}
