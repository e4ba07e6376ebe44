package dev.kiln.api.layers;

import dev.kiln.api.constraints.Constraint;
import dev.kiln.api.initializers.Initializer;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.Args;
import dev.kiln.api.regularizers.Regularizer;

/**
 * A layer made of a kernel and an optional bias that declares Keras's kernel and bias arguments
 * ({@code kernel_initializer} ... {@code bias_constraint}) and {@code activity_regularizer}: {@code
 * Dense}, {@code EinsumDense}, and {@code MultiHeadAttention} and {@code GroupQueryAttention},
 * which hand these arguments to their projections. A subclass lists the arguments in its {@code
 * KERAS} declaration, in its Keras order; the setters here return the subclass.
 *
 * @param <S> the subclass, returned by the setters
 */
public abstract class ProjectionLayer<S extends ProjectionLayer<S>> extends Layer {
  /** The kernel's initializer (default Glorot uniform). */
  public static final Arg<Initializer> KERNEL_INITIALIZER =
      LayerArgs.initializer("kernel_initializer", "glorot_uniform");

  /** The bias's initializer (default zeros). */
  public static final Arg<Initializer> BIAS_INITIALIZER =
      LayerArgs.initializer("bias_initializer", "zeros");

  /** A penalty on the kernel. */
  public static final Arg<Regularizer> KERNEL_REGULARIZER =
      LayerArgs.regularizer("kernel_regularizer");

  /** A penalty on the bias. */
  public static final Arg<Regularizer> BIAS_REGULARIZER = LayerArgs.regularizer("bias_regularizer");

  /** A penalty on the output (on each projection's output for the attention layers). */
  public static final Arg<Regularizer> ACTIVITY_REGULARIZER =
      LayerArgs.regularizer("activity_regularizer");

  /** A constraint on the kernel. */
  public static final Arg<Constraint> KERNEL_CONSTRAINT = LayerArgs.constraint("kernel_constraint");

  /** A constraint on the bias. */
  public static final Arg<Constraint> BIAS_CONSTRAINT = LayerArgs.constraint("bias_constraint");

  /** For subclasses. */
  protected ProjectionLayer() {}

  /** This layer as its subclass, for the setters. */
  @SuppressWarnings("unchecked")
  protected final S self() {
    return (S) this;
  }

  /** The kernel's initializer (default Glorot uniform). */
  public S kernelInitializer(Initializer i) {
    args().set(KERNEL_INITIALIZER, i);
    return self();
  }

  /** The bias's initializer (default zeros). */
  public S biasInitializer(Initializer i) {
    args().set(BIAS_INITIALIZER, i);
    return self();
  }

  /** A penalty on the kernel. */
  public S kernelRegularizer(Regularizer r) {
    args().set(KERNEL_REGULARIZER, r);
    return self();
  }

  /** A penalty on the bias. */
  public S biasRegularizer(Regularizer r) {
    args().set(BIAS_REGULARIZER, r);
    return self();
  }

  /** A penalty on the output, added to the loss (over the batch size, as Keras 3). */
  public S activityRegularizer(Regularizer r) {
    args().set(ACTIVITY_REGULARIZER, r);
    return self();
  }

  /** A constraint on the kernel. */
  public S kernelConstraint(Constraint c) {
    args().set(KERNEL_CONSTRAINT, c);
    return self();
  }

  /** A constraint on the bias. */
  public S biasConstraint(Constraint c) {
    args().set(BIAS_CONSTRAINT, c);
    return self();
  }

  /** A trainable kernel of {@code shape} with this layer's kernel arguments. */
  protected final Weight addKernel(String name, int[] shape) {
    Args a = args();
    return addWeight(
        name,
        shape,
        a.get(KERNEL_INITIALIZER),
        true,
        a.get(KERNEL_REGULARIZER),
        a.get(KERNEL_CONSTRAINT));
  }

  /** A trainable bias of {@code shape} with this layer's bias arguments. */
  protected final Weight addBias(String name, int[] shape) {
    Args a = args();
    return addWeight(
        name,
        shape,
        a.get(BIAS_INITIALIZER),
        true,
        a.get(BIAS_REGULARIZER),
        a.get(BIAS_CONSTRAINT));
  }

  /**
   * Gives {@code sub} this layer's kernel, bias and activity arguments, as Keras's attention layers
   * pass theirs to their projections; returns {@code sub}.
   */
  protected final <T extends ProjectionLayer<T>> T shareArgs(T sub) {
    Args a = args();
    Args b = sub.args();
    b.set(KERNEL_INITIALIZER, a.get(KERNEL_INITIALIZER));
    b.set(BIAS_INITIALIZER, a.get(BIAS_INITIALIZER));
    b.set(KERNEL_REGULARIZER, a.get(KERNEL_REGULARIZER));
    b.set(BIAS_REGULARIZER, a.get(BIAS_REGULARIZER));
    b.set(ACTIVITY_REGULARIZER, a.get(ACTIVITY_REGULARIZER));
    b.set(KERNEL_CONSTRAINT, a.get(KERNEL_CONSTRAINT));
    b.set(BIAS_CONSTRAINT, a.get(BIAS_CONSTRAINT));
    return sub;
  }
}
