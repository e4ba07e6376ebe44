package dev.kiln.api.layers.rnn;

import static dev.kiln.api.layers.rnn.RecurrentArgs.*;

import dev.kiln.api.activations.ActivationFunction;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Args;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.List;

/**
 * The cell of a fully connected recurrence: {@code h_t = activation(x_t @ kernel + h_{t-1} @
 * recurrent_kernel + bias)}; the output is {@code h_t}. Weights {@code kernel (in, units)}, {@code
 * recurrent_kernel (units, units)}, {@code bias (units,)}.
 *
 * {@snippet :
 * Layer rnn = new RNN(new SimpleRNNCell(8)).returnSequences(true);
 * }
 */
public class SimpleRNNCell extends RNNCell {
  /** SimpleRNNCell's declaration. */
  public static final KerasClass<SimpleRNNCell> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "SimpleRNNCell",
          SimpleRNNCell.class,
          a -> new SimpleRNNCell(a.get(UNITS)),
          UNITS,
          ACTIVATION,
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
          SEED);

  private Weight kernel;
  private Weight recurrentKernel;
  private Weight bias;

  /**
   * A cell of {@code units}.
   *
   * @throws dev.kiln.api.registry.ArgumentException if {@code units <= 0}
   */
  public SimpleRNNCell(int units) {
    args().set(UNITS, units);
  }

  /** The state size. */
  public int units() {
    return args().get(UNITS);
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

  @Override
  protected void build(List<Shape> inputShapes) {
    int in = Cells.features(this, inputShapes.get(0));
    Args a = args();
    int u = units();
    kernel =
        addWeight(
            "kernel",
            new int[] {in, u},
            a.get(KERNEL_INITIALIZER),
            true,
            a.get(KERNEL_REGULARIZER),
            a.get(KERNEL_CONSTRAINT));
    recurrentKernel =
        addWeight(
            "recurrent_kernel",
            new int[] {u, u},
            a.get(RECURRENT_INITIALIZER),
            true,
            a.get(RECURRENT_REGULARIZER),
            a.get(RECURRENT_CONSTRAINT));
    if (a.get(USE_BIAS)) {
      bias =
          addWeight(
              "bias",
              new int[] {u},
              a.get(BIAS_INITIALIZER),
              true,
              a.get(BIAS_REGULARIZER),
              a.get(BIAS_CONSTRAINT));
    }
  }

  @Override
  public Value project(Ops ops, Value x) {
    Value y = ops.matmul(x, ops.read(kernel));
    return bias == null ? y : ops.add(y, ops.read(bias));
  }

  @Override
  public Step step(Ops ops, Value projected, List<Value> states, Value recurrentMask) {
    Value h = states.get(0);
    if (recurrentMask != null) {
      h = ops.mul(h, recurrentMask);
    }
    Value z = ops.add(projected, ops.matmul(h, ops.read(recurrentKernel)));
    ActivationFunction act = args().get(ACTIVATION);
    Value out = act == null ? z : act.apply(ops, z);
    return new Step(out, List.of(out));
  }
}
