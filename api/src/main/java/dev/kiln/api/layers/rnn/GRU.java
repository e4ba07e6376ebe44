package dev.kiln.api.layers.rnn;

import static dev.kiln.api.layers.rnn.RecurrentArgs.*;

import dev.kiln.api.activations.Activations;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import java.util.Map;

/**
 * The gated recurrent unit layer over {@code (batch, timesteps, features)}: Keras's {@code GRU}, an
 * {@link RNN} over a {@link GRUCell} named {@code gru_cell}. Weights {@code kernel (in, 3 units)},
 * {@code recurrent_kernel (units, 3 units)}, {@code bias (2, 3 units)} (or {@code (3 units,)}
 * without {@code reset_after}), gates z, r, h.
 *
 * {@snippet :
 * KerasTensor y = new GRU(16).resetAfter(false).apply(Input.of(10, 4)); // (batch, 16)
 * }
 */
public class GRU extends BaseRNN<GRU> {
  /** GRU's declaration: the cell's arguments and the RNN's. */
  public static final KerasClass<GRU> KERAS =
      KerasClass.of(
              Kind.LAYER,
              "GRU",
              GRU.class,
              a -> new GRU(a.get(UNITS)),
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
              ACTIVITY_REGULARIZER,
              KERNEL_CONSTRAINT,
              RECURRENT_CONSTRAINT,
              BIAS_CONSTRAINT,
              DROPOUT,
              RECURRENT_DROPOUT,
              RESET_AFTER,
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
  public GRU(int units) {
    super(units);
  }

  /**
   * Whether the reset gate applies after the recurrent matmul (default true, bias {@code (2, 3
   * units)}); false is the original GRU with bias {@code (3 units,)}.
   */
  public GRU resetAfter(boolean b) {
    args().set(RESET_AFTER, b);
    return this;
  }

  /** The gates' activation by Keras name (default sigmoid). */
  public GRU recurrentActivation(String name) {
    args().set(RECURRENT_ACTIVATION, Activations.get(name));
    return this;
  }

  @Override
  protected RNNCell makeCell() {
    return ownCell(new GRUCell(units()), "gru_cell");
  }

  /** A GRU from its Keras config. */
  public static GRU fromConfig(Map<String, Object> c) {
    return Registry.fromConfig(Kind.LAYER, "GRU", c);
  }
}
