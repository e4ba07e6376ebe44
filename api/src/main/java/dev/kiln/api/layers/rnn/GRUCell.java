package dev.kiln.api.layers.rnn;

import static dev.kiln.api.layers.rnn.RecurrentArgs.*;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Args;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.List;

/**
 * The gated recurrent unit cell (Cho 2014), as Keras: gate blocks {@code z} (update), {@code r}
 * (reset), {@code h} (candidate) along the last axis of {@code kernel (in, 3 units)} and {@code
 * recurrent_kernel (units, 3 units)}; {@code h_t = z * h_{t-1} + (1 - z) * hh}. With {@code
 * reset_after} (the default) {@code hh = activation(x W_h + b_h + r * (h_{t-1} U_h + rb_h))} and
 * the bias is {@code (2, 3 units)} (input row, recurrent row); without it {@code hh = activation(x
 * W_h + b_h + (r * h_{t-1}) U_h)} and the bias is {@code (3 units,)}.
 */
public class GRUCell extends RNNCell {
  /** GRUCell's declaration. */
  public static final KerasClass<GRUCell> KERAS =
      KerasClass.of(
              Kind.LAYER,
              "GRUCell",
              GRUCell.class,
              a -> new GRUCell(a.get(UNITS)),
              UNITS,
              ACTIVATION,
              RECURRENT_ACTIVATION,
              USE_BIAS,
              KERNEL_INITIALIZER,
              RECURRENT_INITIALIZER,
              BIAS_INITIALIZER,
              KERNEL_REGULARIZER,
              RECURRENT_REGULARIZER,
              BIAS_REGULARIZER,
              KERNEL_CONSTRAINT,
              RECURRENT_CONSTRAINT,
              BIAS_CONSTRAINT,
              DROPOUT,
              RECURRENT_DROPOUT,
              RESET_AFTER,
              SEED)
          .tolerating("implementation");

  private Weight kernel;
  private Weight recurrentKernel;
  private Weight bias;

  /**
   * A cell of {@code units}.
   *
   * @throws dev.kiln.api.registry.ArgumentException if {@code units <= 0}
   */
  public GRUCell(int units) {
    args().set(UNITS, units);
  }

  /** The state size. */
  public int units() {
    return args().get(UNITS);
  }

  /** Whether the reset gate applies after the recurrent matmul (default true). */
  public GRUCell resetAfter(boolean b) {
    args().set(RESET_AFTER, b);
    return this;
  }

  @Override
  public List<Integer> stateSizes() {
    return List.of(units());
  }

  @Override
  public int outputSize() {
    return units();
  }

  @Override
  public double dropout() {
    return args().get(DROPOUT);
  }

  @Override
  public double recurrentDropout() {
    return args().get(RECURRENT_DROPOUT);
  }

  private boolean resetAfter() {
    return args().get(RESET_AFTER);
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    int in = Cells.features(this, inputShapes.get(0));
    Args a = args();
    int u = units();
    kernel =
        addWeight(
            "kernel",
            new int[] {in, 3 * u},
            a.get(KERNEL_INITIALIZER),
            true,
            a.get(KERNEL_REGULARIZER),
            a.get(KERNEL_CONSTRAINT));
    recurrentKernel =
        addWeight(
            "recurrent_kernel",
            new int[] {u, 3 * u},
            a.get(RECURRENT_INITIALIZER),
            true,
            a.get(RECURRENT_REGULARIZER),
            a.get(RECURRENT_CONSTRAINT));
    if (a.get(USE_BIAS)) {
      bias =
          addWeight(
              "bias",
              resetAfter() ? new int[] {2, 3 * u} : new int[] {3 * u},
              a.get(BIAS_INITIALIZER),
              true,
              a.get(BIAS_REGULARIZER),
              a.get(BIAS_CONSTRAINT));
    }
  }

  private Value inputBias(Ops ops) {
    Value b = ops.read(bias);
    return resetAfter() ? ops.reshape(ops.sliceAxis(b, 0, 0, 1), 3 * units()) : b;
  }

  @Override
  public Value project(Ops ops, Value x) {
    Value y = ops.matmul(x, ops.read(kernel));
    return bias == null ? y : ops.add(y, inputBias(ops));
  }

  @Override
  public Step step(Ops ops, Value projected, List<Value> states, Value recurrentMask) {
    Args a = args();
    int u = units();
    Value hPrev = states.get(0);
    Value h = recurrentMask == null ? hPrev : ops.mul(hPrev, recurrentMask);
    List<Value> x = ops.split(projected, 3, -1);
    Value uAll = ops.read(recurrentKernel);
    Value z;
    Value r;
    Value candidate;
    if (resetAfter()) {
      Value inner = ops.matmul(h, uAll);
      if (bias != null) {
        inner = ops.add(inner, ops.reshape(ops.sliceAxis(ops.read(bias), 0, 1, 1), 3 * u));
      }
      List<Value> rec = ops.split(inner, 3, -1);
      z = Cells.apply(a.get(RECURRENT_ACTIVATION), ops, ops.add(x.get(0), rec.get(0)));
      r = Cells.apply(a.get(RECURRENT_ACTIVATION), ops, ops.add(x.get(1), rec.get(1)));
      candidate = ops.add(x.get(2), ops.mul(r, rec.get(2)));
    } else {
      Value uZr = ops.sliceAxis(uAll, 1, 0, 2 * u);
      Value uH = ops.sliceAxis(uAll, 1, 2 * u, u);
      List<Value> rec = ops.split(ops.matmul(h, uZr), 2, -1);
      z = Cells.apply(a.get(RECURRENT_ACTIVATION), ops, ops.add(x.get(0), rec.get(0)));
      r = Cells.apply(a.get(RECURRENT_ACTIVATION), ops, ops.add(x.get(1), rec.get(1)));
      candidate = ops.add(x.get(2), ops.matmul(ops.mul(r, h), uH));
    }
    Value hh = Cells.apply(a.get(ACTIVATION), ops, candidate);
    // h_t = z * h_{t-1} + (1 - z) * hh, written as hh + z * (h_{t-1} - hh)
    Value next = ops.add(hh, ops.mul(z, ops.sub(hPrev, hh)));
    return new Step(next, List.of(next));
  }
}
