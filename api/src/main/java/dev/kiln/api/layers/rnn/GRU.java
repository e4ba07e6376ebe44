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
 * The gated recurrent unit layer over {@code (batch, timesteps, features)}: Keras's {@code GRU}, an
 * {@link RNN} over a {@link GRUCell} named {@code gru_cell}. Weights {@code kernel (in, 3 units)},
 * {@code recurrent_kernel (units, 3 units)}, {@code bias (2, 3 units)} (or {@code (3 units,)}
 * without {@code reset_after}), gates z, r, h.
 *
 * {@snippet :
 * KerasTensor y = new GRU(16).resetAfter(false).apply(Input.of(10, 4)); // (batch, 16)
 * }
 */
public class GRU extends RNN {
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
    args().set(UNITS, units);
  }

  /** The state size. */
  public int units() {
    return args().get(UNITS);
  }

  /** The output activation by Keras name (default tanh). */
  public GRU activation(String name) {
    args().set(ACTIVATION, Activations.get(name));
    return this;
  }

  /** Whether to add biases (default true). */
  public GRU useBias(boolean b) {
    args().set(USE_BIAS, b);
    return this;
  }

  /** The input kernel's initializer (default Glorot uniform). */
  public GRU kernelInitializer(Initializer i) {
    args().set(KERNEL_INITIALIZER, i);
    return this;
  }

  /** The recurrent kernel's initializer (default orthogonal). */
  public GRU recurrentInitializer(Initializer i) {
    args().set(RECURRENT_INITIALIZER, i);
    return this;
  }

  /** The bias's initializer (default zeros). */
  public GRU biasInitializer(Initializer i) {
    args().set(BIAS_INITIALIZER, i);
    return this;
  }

  /** A penalty on the input kernel. */
  public GRU kernelRegularizer(Regularizer r) {
    args().set(KERNEL_REGULARIZER, r);
    return this;
  }

  /** A penalty on the recurrent kernel. */
  public GRU recurrentRegularizer(Regularizer r) {
    args().set(RECURRENT_REGULARIZER, r);
    return this;
  }

  /** A penalty on the bias. */
  public GRU biasRegularizer(Regularizer r) {
    args().set(BIAS_REGULARIZER, r);
    return this;
  }

  /** A penalty on the output, added to the loss (averaged over the batch). */
  public GRU activityRegularizer(Regularizer r) {
    args().set(ACTIVITY_REGULARIZER, r);
    return this;
  }

  /** A constraint on the input kernel. */
  public GRU kernelConstraint(Constraint c) {
    args().set(KERNEL_CONSTRAINT, c);
    return this;
  }

  /** A constraint on the recurrent kernel. */
  public GRU recurrentConstraint(Constraint c) {
    args().set(RECURRENT_CONSTRAINT, c);
    return this;
  }

  /** A constraint on the bias. */
  public GRU biasConstraint(Constraint c) {
    args().set(BIAS_CONSTRAINT, c);
    return this;
  }

  /** The fraction of the inputs dropped in training, one mask for every step (default 0). */
  public GRU dropout(double rate) {
    args().set(DROPOUT, rate);
    return this;
  }

  /** The fraction of the recurrent state dropped in training, one mask for every step. */
  public GRU recurrentDropout(double rate) {
    args().set(RECURRENT_DROPOUT, rate);
    return this;
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
  public GRU returnSequences(boolean b) {
    super.returnSequences(b);
    return this;
  }

  @Override
  public GRU returnState(boolean b) {
    super.returnState(b);
    return this;
  }

  @Override
  public GRU goBackwards(boolean b) {
    super.goBackwards(b);
    return this;
  }

  @Override
  public GRU stateful(boolean b) {
    super.stateful(b);
    return this;
  }

  @Override
  protected RNNCell makeCell() {
    GRUCell c = new GRUCell(units());
    c.name("gru_cell");
    RecurrentArgs.copyShared(this, c);
    return c;
  }

  @Override
  protected Regularizer activityRegularizer() {
    return args().get(ACTIVITY_REGULARIZER);
  }

  /** A GRU from its Keras config. */
  public static GRU fromConfig(Map<String, Object> c) {
    return Registry.fromConfig(Kind.LAYER, "GRU", c);
  }
}
