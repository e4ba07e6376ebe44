package dev.kiln.api.layers.rnn;

import static dev.kiln.api.layers.rnn.RecurrentArgs.*;

import dev.kiln.api.activations.Activations;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import java.util.Map;

/**
 * The long short-term memory layer over {@code (batch, timesteps, features)}: Keras's {@code LSTM},
 * an {@link RNN} over an {@link LSTMCell} named {@code lstm_cell}. Weights {@code kernel (in, 4
 * units)}, {@code recurrent_kernel (units, 4 units)}, {@code bias (4 units,)}, gates i, f, c, o;
 * states {@code [h, c]}.
 *
 * {@snippet :
 * KerasTensor x = Input.of(30, 1);
 * KerasTensor h = new LSTM(32).apply(x); // (batch, 32)
 * List<KerasTensor> outAndStates = new LSTM(32).returnState(true).applyAll(List.of(x));
 * KerasTensor y = new LSTM(32).apply(x, outAndStates.get(1), outAndStates.get(2)); // initial states
 * }
 */
public class LSTM extends BaseRNN<LSTM> {
  /** LSTM's declaration: the cell's arguments and the RNN's. */
  public static final KerasClass<LSTM> KERAS =
      KerasClass.of(
              Kind.LAYER,
              "LSTM",
              LSTM.class,
              a -> new LSTM(a.get(UNITS)),
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
  public LSTM(int units) {
    super(units);
  }

  /** Whether the forget gate's bias starts at 1 (default true). */
  public LSTM unitForgetBias(boolean b) {
    args().set(UNIT_FORGET_BIAS, b);
    return this;
  }

  /** The gates' activation by Keras name (default sigmoid). */
  public LSTM recurrentActivation(String name) {
    args().set(RECURRENT_ACTIVATION, Activations.get(name));
    return this;
  }

  @Override
  protected RNNCell makeCell() {
    return ownCell(new LSTMCell(units()), "lstm_cell");
  }

  /** A LSTM from its Keras config. */
  public static LSTM fromConfig(Map<String, Object> c) {
    return Registry.fromConfig(Kind.LAYER, "LSTM", c);
  }
}
