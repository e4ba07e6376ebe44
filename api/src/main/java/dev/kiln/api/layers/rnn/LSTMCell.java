package dev.kiln.api.layers.rnn;

import static dev.kiln.api.layers.rnn.RecurrentArgs.*;

import dev.kiln.api.initializers.Initializer;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Args;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.List;

/**
 * The long short-term memory cell (Hochreiter 1997), as Keras: with {@code z = x_t @ kernel +
 * h_{t-1} @ recurrent_kernel + bias} split in four blocks {@code i, f, c, o},
 *
 * <pre>
 * c_t = sigma(f) * c_{t-1} + sigma(i) * activation(c)
 * h_t = sigma(o) * activation(c_t)
 * </pre>
 *
 * where sigma is the recurrent activation. States {@code [h, c]}, output {@code h}. Weights {@code
 * kernel (in, 4 units)}, {@code recurrent_kernel (units, 4 units)}, {@code bias (4 units,)}, gate
 * blocks in the order i, f, c, o along the last axis.
 */
public class LSTMCell extends RNNCell {
  /** LSTMCell's declaration. */
  public static final KerasClass<LSTMCell> KERAS =
      KerasClass.of(
              Kind.LAYER,
              "LSTMCell",
              LSTMCell.class,
              a -> new LSTMCell(a.get(UNITS)),
              UNITS,
              ACTIVATION,
              RECURRENT_ACTIVATION,
              USE_BIAS,
              KERNEL_INITIALIZER,
              RECURRENT_INITIALIZER,
              BIAS_INITIALIZER,
              UNIT_FORGET_BIAS,
              KERNEL_REGULARIZER,
              RECURRENT_REGULARIZER,
              BIAS_REGULARIZER,
              KERNEL_CONSTRAINT,
              RECURRENT_CONSTRAINT,
              BIAS_CONSTRAINT,
              DROPOUT,
              RECURRENT_DROPOUT,
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
  public LSTMCell(int units) {
    args().set(UNITS, units);
  }

  /** The state size. */
  public int units() {
    return args().get(UNITS);
  }

  @Override
  public List<Integer> stateSizes() {
    return List.of(units(), units());
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

  @Override
  protected void build(List<Shape> inputShapes) {
    int in = Cells.features(this, inputShapes.get(0));
    Args a = args();
    int u = units();
    kernel =
        addWeight(
            "kernel",
            new int[] {in, 4 * u},
            a.get(KERNEL_INITIALIZER),
            true,
            a.get(KERNEL_REGULARIZER),
            a.get(KERNEL_CONSTRAINT));
    recurrentKernel =
        addWeight(
            "recurrent_kernel",
            new int[] {u, 4 * u},
            a.get(RECURRENT_INITIALIZER),
            true,
            a.get(RECURRENT_REGULARIZER),
            a.get(RECURRENT_CONSTRAINT));
    if (a.get(USE_BIAS)) {
      Initializer init = a.get(BIAS_INITIALIZER);
      if (a.get(UNIT_FORGET_BIAS)) {
        init = forgetBiasOne(init, u);
      }
      bias =
          addWeight(
              "bias",
              new int[] {4 * u},
              init,
              true,
              a.get(BIAS_REGULARIZER),
              a.get(BIAS_CONSTRAINT));
    }
  }

  // Keras: the i block from the bias initializer, the f block ones, the c and o blocks again from
  // the initializer (drawn as one block of 2 units).
  static Initializer forgetBiasOne(Initializer init, int u) {
    return (shape, dtype) -> {
      HostTensor first = init.initialize(Shape.of(u), dtype);
      HostTensor rest = init.initialize(Shape.of(2 * u), dtype);
      HostTensor out = HostTensor.zeros(dtype, shape);
      for (int j = 0; j < u; j++) {
        out.setDouble(j, first.getDouble(j));
        out.setDouble(u + j, 1.0);
      }
      for (int j = 0; j < 2 * u; j++) {
        out.setDouble(2 * u + j, rest.getDouble(j));
      }
      return out;
    };
  }

  @Override
  public Value project(Ops ops, Value x) {
    Value y = ops.matmul(x, ops.read(kernel));
    return bias == null ? y : ops.add(y, ops.read(bias));
  }

  @Override
  public Step step(Ops ops, Value projected, List<Value> states, Value recurrentMask) {
    Value h = states.get(0);
    Value c = states.get(1);
    if (recurrentMask != null) {
      h = ops.mul(h, recurrentMask);
    }
    Value z = ops.add(projected, ops.matmul(h, ops.read(recurrentKernel)));
    List<Value> g = ops.split(z, 4, -1);
    Args a = args();
    Value i = Cells.apply(a.get(RECURRENT_ACTIVATION), ops, g.get(0));
    Value f = Cells.apply(a.get(RECURRENT_ACTIVATION), ops, g.get(1));
    Value candidate = Cells.apply(a.get(ACTIVATION), ops, g.get(2));
    Value o = Cells.apply(a.get(RECURRENT_ACTIVATION), ops, g.get(3));
    Value cNext = ops.add(ops.mul(f, c), ops.mul(i, candidate));
    Value hNext = ops.mul(o, Cells.apply(a.get(ACTIVATION), ops, cNext));
    return new Step(hNext, List.of(hNext, cNext));
  }
}
