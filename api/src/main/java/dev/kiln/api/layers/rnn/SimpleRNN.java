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
 * A fully connected recurrence, {@code h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel +
 * bias)}, over {@code (batch, timesteps, features)}: Keras's {@code SimpleRNN}, an {@link RNN} over
 * a {@link SimpleRNNCell} named {@code simple_rnn_cell}. Weights {@code kernel (in, units)}, {@code
 * recurrent_kernel (units, units)}, {@code bias (units,)}.
 *
 * {@snippet :
 * KerasTensor y = new SimpleRNN(16).returnSequences(true).apply(Input.of(10, 4)); // (batch, 10, 16)
 * }
 */
public class SimpleRNN extends RNN {
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
    args().set(UNITS, units);
  }

  /** The state size. */
  public int units() {
    return args().get(UNITS);
  }

  /** The output activation by Keras name (default tanh). */
  public SimpleRNN activation(String name) {
    args().set(ACTIVATION, Activations.get(name));
    return this;
  }

  /** Whether to add biases (default true). */
  public SimpleRNN useBias(boolean b) {
    args().set(USE_BIAS, b);
    return this;
  }

  /** The input kernel's initializer (default Glorot uniform). */
  public SimpleRNN kernelInitializer(Initializer i) {
    args().set(KERNEL_INITIALIZER, i);
    return this;
  }

  /** The recurrent kernel's initializer (default orthogonal). */
  public SimpleRNN recurrentInitializer(Initializer i) {
    args().set(RECURRENT_INITIALIZER, i);
    return this;
  }

  /** The bias's initializer (default zeros). */
  public SimpleRNN biasInitializer(Initializer i) {
    args().set(BIAS_INITIALIZER, i);
    return this;
  }

  /** A penalty on the input kernel. */
  public SimpleRNN kernelRegularizer(Regularizer r) {
    args().set(KERNEL_REGULARIZER, r);
    return this;
  }

  /** A penalty on the recurrent kernel. */
  public SimpleRNN recurrentRegularizer(Regularizer r) {
    args().set(RECURRENT_REGULARIZER, r);
    return this;
  }

  /** A penalty on the bias. */
  public SimpleRNN biasRegularizer(Regularizer r) {
    args().set(BIAS_REGULARIZER, r);
    return this;
  }

  /** A penalty on the output, added to the loss (averaged over the batch). */
  public SimpleRNN activityRegularizer(Regularizer r) {
    args().set(ACTIVITY_REGULARIZER, r);
    return this;
  }

  /** A constraint on the input kernel. */
  public SimpleRNN kernelConstraint(Constraint c) {
    args().set(KERNEL_CONSTRAINT, c);
    return this;
  }

  /** A constraint on the recurrent kernel. */
  public SimpleRNN recurrentConstraint(Constraint c) {
    args().set(RECURRENT_CONSTRAINT, c);
    return this;
  }

  /** A constraint on the bias. */
  public SimpleRNN biasConstraint(Constraint c) {
    args().set(BIAS_CONSTRAINT, c);
    return this;
  }

  /** The fraction of the inputs dropped in training, one mask for every step (default 0). */
  public SimpleRNN dropout(double rate) {
    args().set(DROPOUT, rate);
    return this;
  }

  /** The fraction of the recurrent state dropped in training, one mask for every step. */
  public SimpleRNN recurrentDropout(double rate) {
    args().set(RECURRENT_DROPOUT, rate);
    return this;
  }

  @Override
  public SimpleRNN returnSequences(boolean b) {
    super.returnSequences(b);
    return this;
  }

  @Override
  public SimpleRNN returnState(boolean b) {
    super.returnState(b);
    return this;
  }

  @Override
  public SimpleRNN goBackwards(boolean b) {
    super.goBackwards(b);
    return this;
  }

  @Override
  public SimpleRNN stateful(boolean b) {
    super.stateful(b);
    return this;
  }

  @Override
  protected RNNCell makeCell() {
    SimpleRNNCell c = new SimpleRNNCell(units());
    c.name("simple_rnn_cell");
    RecurrentArgs.copyShared(this, c);
    return c;
  }

  @Override
  protected Regularizer activityRegularizer() {
    return args().get(ACTIVITY_REGULARIZER);
  }

  /** A SimpleRNN from its Keras config. */
  public static SimpleRNN fromConfig(Map<String, Object> c) {
    return Registry.fromConfig(Kind.LAYER, "SimpleRNN", c);
  }
}
