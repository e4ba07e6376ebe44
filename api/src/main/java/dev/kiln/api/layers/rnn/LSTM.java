package dev.kiln.api.layers.rnn;

import static dev.kiln.api.layers.rnn.RecurrentArgs.*;

import dev.kiln.api.activations.Activations;
import dev.kiln.api.constraints.Constraint;
import dev.kiln.api.initializers.Initializer;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.api.regularizers.Regularizer;
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
public class LSTM extends RNN {
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
    args().set(UNITS, units);
  }

  /** The state size. */
  public int units() {
    return args().get(UNITS);
  }

  /** The output activation by Keras name (default tanh). */
  public LSTM activation(String name) {
    args().set(ACTIVATION, Activations.get(name));
    return this;
  }

  /** Whether to add biases (default true). */
  public LSTM useBias(boolean b) {
    args().set(USE_BIAS, b);
    return this;
  }

  /** The input kernel's initializer (default Glorot uniform). */
  public LSTM kernelInitializer(Initializer i) {
    args().set(KERNEL_INITIALIZER, i);
    return this;
  }

  /** The recurrent kernel's initializer (default orthogonal). */
  public LSTM recurrentInitializer(Initializer i) {
    args().set(RECURRENT_INITIALIZER, i);
    return this;
  }

  /** The bias's initializer (default zeros). */
  public LSTM biasInitializer(Initializer i) {
    args().set(BIAS_INITIALIZER, i);
    return this;
  }

  /** A penalty on the input kernel. */
  public LSTM kernelRegularizer(Regularizer r) {
    args().set(KERNEL_REGULARIZER, r);
    return this;
  }

  /** A penalty on the recurrent kernel. */
  public LSTM recurrentRegularizer(Regularizer r) {
    args().set(RECURRENT_REGULARIZER, r);
    return this;
  }

  /** A penalty on the bias. */
  public LSTM biasRegularizer(Regularizer r) {
    args().set(BIAS_REGULARIZER, r);
    return this;
  }

  /** A penalty on the output, added to the loss (averaged over the batch). */
  public LSTM activityRegularizer(Regularizer r) {
    args().set(ACTIVITY_REGULARIZER, r);
    return this;
  }

  /** A constraint on the input kernel. */
  public LSTM kernelConstraint(Constraint c) {
    args().set(KERNEL_CONSTRAINT, c);
    return this;
  }

  /** A constraint on the recurrent kernel. */
  public LSTM recurrentConstraint(Constraint c) {
    args().set(RECURRENT_CONSTRAINT, c);
    return this;
  }

  /** A constraint on the bias. */
  public LSTM biasConstraint(Constraint c) {
    args().set(BIAS_CONSTRAINT, c);
    return this;
  }

  /** The fraction of the inputs dropped in training, one mask for every step (default 0). */
  public LSTM dropout(double rate) {
    args().set(DROPOUT, rate);
    return this;
  }

  /** The fraction of the recurrent state dropped in training, one mask for every step. */
  public LSTM recurrentDropout(double rate) {
    args().set(RECURRENT_DROPOUT, rate);
    return this;
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
  public LSTM returnSequences(boolean b) {
    super.returnSequences(b);
    return this;
  }

  @Override
  public LSTM returnState(boolean b) {
    super.returnState(b);
    return this;
  }

  @Override
  public LSTM goBackwards(boolean b) {
    super.goBackwards(b);
    return this;
  }

  @Override
  public LSTM stateful(boolean b) {
    super.stateful(b);
    return this;
  }

  @Override
  protected RNNCell makeCell() {
    LSTMCell c = new LSTMCell(units());
    c.name("lstm_cell");
    RecurrentArgs.copyShared(this, c);
    return c;
  }

  @Override
  protected Regularizer activityRegularizer() {
    return args().get(ACTIVITY_REGULARIZER);
  }

  /** A LSTM from its Keras config. */
  public static LSTM fromConfig(Map<String, Object> c) {
    return Registry.fromConfig(Kind.LAYER, "LSTM", c);
  }
}
