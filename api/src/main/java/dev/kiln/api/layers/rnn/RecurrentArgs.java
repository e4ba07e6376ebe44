package dev.kiln.api.layers.rnn;

import dev.kiln.api.activations.ActivationFunction;
import dev.kiln.api.constraints.Constraint;
import dev.kiln.api.initializers.Initializer;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.LayerArgs;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.Args;
import dev.kiln.api.regularizers.Regularizer;

/**
 * The Keras arguments the recurrent cells and layers share, declared once: a cell and the layer
 * that wraps it ({@code LSTMCell} and {@code LSTM}) declare the same constants, so the layer's
 * values pass to its cell key by key.
 */
public final class RecurrentArgs {
  private RecurrentArgs() {}

  /** The size of the state and output. */
  public static final Arg<Integer> UNITS = Arg.positiveInt("units").required();

  /** The output activation (default tanh). */
  public static final Arg<ActivationFunction> ACTIVATION =
      LayerArgs.activation("activation", "tanh");

  /** The gates' activation (default sigmoid). */
  public static final Arg<ActivationFunction> RECURRENT_ACTIVATION =
      LayerArgs.activation("recurrent_activation", "sigmoid");

  /** Whether to add biases. */
  public static final Arg<Boolean> USE_BIAS = Arg.bool("use_bias", true);

  /** The input kernel's initializer. */
  public static final Arg<Initializer> KERNEL_INITIALIZER =
      LayerArgs.initializer("kernel_initializer", "glorot_uniform");

  /** The recurrent kernel's initializer (orthogonal by default). */
  public static final Arg<Initializer> RECURRENT_INITIALIZER =
      LayerArgs.initializer("recurrent_initializer", "orthogonal");

  /** The bias's initializer. */
  public static final Arg<Initializer> BIAS_INITIALIZER =
      LayerArgs.initializer("bias_initializer", "zeros");

  /** LSTM only: start the forget gate's bias at 1. */
  public static final Arg<Boolean> UNIT_FORGET_BIAS = Arg.bool("unit_forget_bias", true);

  /** A penalty on the input kernel. */
  public static final Arg<Regularizer> KERNEL_REGULARIZER =
      LayerArgs.regularizer("kernel_regularizer");

  /** A penalty on the recurrent kernel. */
  public static final Arg<Regularizer> RECURRENT_REGULARIZER =
      LayerArgs.regularizer("recurrent_regularizer");

  /** A penalty on the bias. */
  public static final Arg<Regularizer> BIAS_REGULARIZER = LayerArgs.regularizer("bias_regularizer");

  /** A penalty on the layer's output. */
  public static final Arg<Regularizer> ACTIVITY_REGULARIZER =
      LayerArgs.regularizer("activity_regularizer");

  /** A constraint on the input kernel. */
  public static final Arg<Constraint> KERNEL_CONSTRAINT = LayerArgs.constraint("kernel_constraint");

  /** A constraint on the recurrent kernel. */
  public static final Arg<Constraint> RECURRENT_CONSTRAINT =
      LayerArgs.constraint("recurrent_constraint");

  /** A constraint on the bias. */
  public static final Arg<Constraint> BIAS_CONSTRAINT = LayerArgs.constraint("bias_constraint");

  /** The fraction of the inputs dropped in training (one mask for all steps). */
  public static final Arg<Double> DROPOUT = Arg.fraction("dropout", 0.0);

  /** The fraction of the recurrent state dropped in training (one mask for all steps). */
  public static final Arg<Double> RECURRENT_DROPOUT = Arg.fraction("recurrent_dropout", 0.0);

  /** The seed of the dropout masks (Kiln draws them from the step's seed). */
  public static final Arg<Long> SEED = Arg.seed("seed");

  /** GRU only: apply the reset gate after the recurrent matmul (Keras 3's default, cuDNN's). */
  public static final Arg<Boolean> RESET_AFTER = Arg.bool("reset_after", true);

  /** Return the output of every step rather than of the last. */
  public static final Arg<Boolean> RETURN_SEQUENCES = Arg.bool("return_sequences", false);

  /** Return the final states after the output. */
  public static final Arg<Boolean> RETURN_STATE = Arg.bool("return_state", false);

  /** Run over the sequence from its end (outputs in the order they were computed, as Keras). */
  public static final Arg<Boolean> GO_BACKWARDS = Arg.bool("go_backwards", false);

  /** Keep the final states of a batch as the initial states of the next. */
  public static final Arg<Boolean> STATEFUL = Arg.bool("stateful", false);

  /** Unroll the loop; accepted for Keras configs, the scan gives the same values. */
  public static final Arg<Boolean> UNROLL = Arg.bool("unroll", false);

  /** Give 0 rather than the previous output at masked steps. */
  public static final Arg<Boolean> ZERO_OUTPUT_FOR_MASK = Arg.bool("zero_output_for_mask", false);

  /** Copies every argument {@code to} declares that {@code from} declares too. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static void copyShared(Layer from, Layer to) {
    Args src = from.args();
    Args dst = to.args();
    for (Arg<?> a : dst.declaration().args()) {
      if (src.declaration().args().contains(a)) {
        dst.set((Arg) a, src.get(a));
      }
    }
  }
}
