package dev.kiln.api.layers.normalization;

import dev.kiln.api.constraints.Constraint;
import dev.kiln.api.initializers.Initializer;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.LayerArgs;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.Args;
import dev.kiln.api.regularizers.Regularizer;

/**
 * A normalization followed by Keras's optional affine step, {@code gamma * x + beta}: the {@code
 * epsilon}, {@code center}, {@code scale} and {@code beta_*} / {@code gamma_*} arguments that
 * {@code BatchNormalization}, {@code LayerNormalization} and {@code GroupNormalization} share. A
 * subclass lists the arguments in its {@code KERAS} declaration, in its Keras order; the setters
 * here return the subclass.
 *
 * @param <S> the subclass, returned by the setters
 */
public abstract class AffineNormalization<S extends AffineNormalization<S>> extends Layer {
  /** Added to the variance before the square root. */
  public static final Arg<Double> EPSILON = Arg.nonNegative("epsilon", 1e-3);

  /** Whether to add {@code beta}. */
  public static final Arg<Boolean> CENTER = Arg.bool("center", true);

  /** Whether to multiply by {@code gamma}. */
  public static final Arg<Boolean> SCALE = Arg.bool("scale", true);

  /** The initializer of {@code beta}. */
  public static final Arg<Initializer> BETA_INITIALIZER =
      LayerArgs.initializer("beta_initializer", "zeros");

  /** The initializer of {@code gamma}. */
  public static final Arg<Initializer> GAMMA_INITIALIZER =
      LayerArgs.initializer("gamma_initializer", "ones");

  /** A penalty on {@code beta}. */
  public static final Arg<Regularizer> BETA_REGULARIZER = LayerArgs.regularizer("beta_regularizer");

  /** A penalty on {@code gamma}. */
  public static final Arg<Regularizer> GAMMA_REGULARIZER =
      LayerArgs.regularizer("gamma_regularizer");

  /** A constraint on {@code beta}. */
  public static final Arg<Constraint> BETA_CONSTRAINT = LayerArgs.constraint("beta_constraint");

  /** A constraint on {@code gamma}. */
  public static final Arg<Constraint> GAMMA_CONSTRAINT = LayerArgs.constraint("gamma_constraint");

  /** For subclasses. */
  protected AffineNormalization() {}

  /** This layer as its subclass, for the setters. */
  @SuppressWarnings("unchecked")
  protected final S self() {
    return (S) this;
  }

  /** Added to the variance (default 1e-3). */
  public S epsilon(double e) {
    args().set(EPSILON, e);
    return self();
  }

  /** Whether to add {@code beta} (default true). */
  public S center(boolean c) {
    args().set(CENTER, c);
    return self();
  }

  /** Whether to multiply by {@code gamma} (default true). */
  public S scale(boolean s) {
    args().set(SCALE, s);
    return self();
  }

  /** The initializer of {@code beta} (default zeros). */
  public S betaInitializer(Initializer i) {
    args().set(BETA_INITIALIZER, i);
    return self();
  }

  /** The initializer of {@code gamma} (default ones). */
  public S gammaInitializer(Initializer i) {
    args().set(GAMMA_INITIALIZER, i);
    return self();
  }

  /** A penalty on {@code beta}. */
  public S betaRegularizer(Regularizer r) {
    args().set(BETA_REGULARIZER, r);
    return self();
  }

  /** A penalty on {@code gamma}. */
  public S gammaRegularizer(Regularizer r) {
    args().set(GAMMA_REGULARIZER, r);
    return self();
  }

  /** A constraint on {@code beta}. */
  public S betaConstraint(Constraint c) {
    args().set(BETA_CONSTRAINT, c);
    return self();
  }

  /** A constraint on {@code gamma}. */
  public S gammaConstraint(Constraint c) {
    args().set(GAMMA_CONSTRAINT, c);
    return self();
  }

  /** The trainable {@code gamma} of {@code shape}, with the {@code gamma_*} arguments. */
  protected final Weight addGamma(int[] shape) {
    Args a = args();
    return addWeight(
        "gamma",
        shape,
        a.get(GAMMA_INITIALIZER),
        true,
        a.get(GAMMA_REGULARIZER),
        a.get(GAMMA_CONSTRAINT));
  }

  /** The trainable {@code beta} of {@code shape}, with the {@code beta_*} arguments. */
  protected final Weight addBeta(int[] shape) {
    Args a = args();
    return addWeight(
        "beta",
        shape,
        a.get(BETA_INITIALIZER),
        true,
        a.get(BETA_REGULARIZER),
        a.get(BETA_CONSTRAINT));
  }
}
