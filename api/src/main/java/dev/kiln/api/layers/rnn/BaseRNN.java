package dev.kiln.api.layers.rnn;

import static dev.kiln.api.layers.rnn.RecurrentArgs.*;

import dev.kiln.api.activations.Activations;
import dev.kiln.api.constraints.Constraint;
import dev.kiln.api.initializers.Initializer;
import dev.kiln.api.regularizers.Regularizer;

/**
 * The recurrent layers that make their own cell of {@code units} from the arguments they declare
 * ({@link SimpleRNN}, {@link LSTM}, {@link GRU}): the setters of the arguments they share, each
 * returning the concrete layer, and the cell's making.
 *
 * @param <S> the concrete layer
 */
public abstract class BaseRNN<S extends BaseRNN<S>> extends RNN {
  /** A layer of {@code units}; the subclass's declaration checks it. */
  protected BaseRNN(int units) {
    args().set(UNITS, units);
  }

  @SuppressWarnings("unchecked")
  private S self() {
    return (S) this;
  }

  /** The state size. */
  public int units() {
    return args().get(UNITS);
  }

  /** The output activation by Keras name (default tanh). */
  public S activation(String name) {
    args().set(ACTIVATION, Activations.get(name));
    return self();
  }

  /** Whether to add biases (default true). */
  public S useBias(boolean b) {
    args().set(USE_BIAS, b);
    return self();
  }

  /** The input kernel's initializer (default Glorot uniform). */
  public S kernelInitializer(Initializer i) {
    args().set(KERNEL_INITIALIZER, i);
    return self();
  }

  /** The recurrent kernel's initializer (default orthogonal). */
  public S recurrentInitializer(Initializer i) {
    args().set(RECURRENT_INITIALIZER, i);
    return self();
  }

  /** The bias's initializer (default zeros). */
  public S biasInitializer(Initializer i) {
    args().set(BIAS_INITIALIZER, i);
    return self();
  }

  /** A penalty on the input kernel. */
  public S kernelRegularizer(Regularizer r) {
    args().set(KERNEL_REGULARIZER, r);
    return self();
  }

  /** A penalty on the recurrent kernel. */
  public S recurrentRegularizer(Regularizer r) {
    args().set(RECURRENT_REGULARIZER, r);
    return self();
  }

  /** A penalty on the bias. */
  public S biasRegularizer(Regularizer r) {
    args().set(BIAS_REGULARIZER, r);
    return self();
  }

  /**
   * A penalty on the outputs (the returned states included), added to the loss over the batch size,
   * as Keras 3.
   */
  public S activityRegularizer(Regularizer r) {
    args().set(ACTIVITY_REGULARIZER, r);
    return self();
  }

  /** A constraint on the input kernel. */
  public S kernelConstraint(Constraint c) {
    args().set(KERNEL_CONSTRAINT, c);
    return self();
  }

  /** A constraint on the recurrent kernel. */
  public S recurrentConstraint(Constraint c) {
    args().set(RECURRENT_CONSTRAINT, c);
    return self();
  }

  /** A constraint on the bias. */
  public S biasConstraint(Constraint c) {
    args().set(BIAS_CONSTRAINT, c);
    return self();
  }

  /** The fraction of the inputs dropped in training, one mask for every step (default 0). */
  public S dropout(double rate) {
    args().set(DROPOUT, rate);
    return self();
  }

  /** The fraction of the recurrent state dropped in training, one mask for every step. */
  public S recurrentDropout(double rate) {
    args().set(RECURRENT_DROPOUT, rate);
    return self();
  }

  @Override
  public S returnSequences(boolean b) {
    super.returnSequences(b);
    return self();
  }

  @Override
  public S returnState(boolean b) {
    super.returnState(b);
    return self();
  }

  @Override
  public S goBackwards(boolean b) {
    super.goBackwards(b);
    return self();
  }

  @Override
  public S stateful(boolean b) {
    super.stateful(b);
    return self();
  }

  /** Names {@code cell} as Keras does ({@code lstm_cell}) and gives it this layer's arguments. */
  protected final <C extends RNNCell> C ownCell(C cell, String name) {
    cell.name(name);
    RecurrentArgs.copyShared(this, cell);
    return cell;
  }

  @Override
  protected Regularizer activityRegularizer() {
    return args().get(ACTIVITY_REGULARIZER);
  }
}
