package dev.kiln.api.layers.rnn;

import static dev.kiln.api.layers.rnn.RecurrentArgs.*;

import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import java.util.Map;

/**
 * A fully connected recurrence, {@code h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel +
 * bias)}, over {@code (batch, timesteps, features)}: Keras's {@code SimpleRNN}, an {@link RNN} over
 * a {@link SimpleRNNCell} named {@code simple_rnn_cell}. Weights {@code kernel (in, units)}, {@code
 * recurrent_kernel (units, units)}, {@code bias (units,)}.
 *
 * {@snippet :
 * KerasTensor y = new SimpleRNN(16).returnSequences(true).apply(Input.of(10, 4)); // (batch, 10, 16)
 * }
 */
public class SimpleRNN extends BaseRNN<SimpleRNN> {
  /** SimpleRNN's declaration: the cell's arguments and the RNN's. */
  public static final KerasClass<SimpleRNN> KERAS =
      KerasClass.of(
              Kind.LAYER,
              "SimpleRNN",
              SimpleRNN.class,
              a -> new SimpleRNN(a.get(UNITS)),
              UNITS,
              ACTIVATION,
              USE_BIAS,
              KERNEL_INITIALIZER,
              RECURRENT_INITIALIZER,
              BIAS_INITIALIZER,
              KERNEL_REGULARIZER,
              RECURRENT_REGULARIZER,
              BIAS_REGULARIZER,
              ACTIVITY_REGULARIZER,
              KERNEL_CONSTRAINT,
              RECURRENT_CONSTRAINT,
              BIAS_CONSTRAINT,
              DROPOUT,
              RECURRENT_DROPOUT,
              SEED,
              RETURN_SEQUENCES,
              RETURN_STATE,
              GO_BACKWARDS,
              STATEFUL,
              UNROLL,
              ZERO_OUTPUT_FOR_MASK)
          .tolerating("time_major", "implementation", "use_cudnn");

  /**
   * A layer of {@code units}.
   *
   * @throws dev.kiln.api.registry.ArgumentException if {@code units <= 0}
   */
  public SimpleRNN(int units) {
    super(units);
  }

  @Override
  protected RNNCell makeCell() {
    return ownCell(new SimpleRNNCell(units()), "simple_rnn_cell");
  }

  /** A SimpleRNN from its Keras config. */
  public static SimpleRNN fromConfig(Map<String, Object> c) {
    return Registry.fromConfig(Kind.LAYER, "SimpleRNN", c);
  }
}
