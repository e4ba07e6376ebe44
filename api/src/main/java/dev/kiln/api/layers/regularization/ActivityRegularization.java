package dev.kiln.api.layers.regularization;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.regularizers.Regularizers;
import dev.kiln.spi.ir.Value;

/**
 * Passes its input through and adds {@code l1 * sum|x| + l2 * sum x^2} of it to the training loss,
 * as Keras's {@code ActivityRegularization}; the penalty is divided by the batch size, as Keras 3
 * divides every activity penalty.
 *
 * {@snippet :
 * KerasTensor y = new ActivityRegularization(0.0, 1e-3).apply(hidden);
 * }
 */
public class ActivityRegularization extends Layer {
  /** The L1 factor. */
  public static final Arg<Double> L1 = Arg.nonNegative("l1", 0.0);

  /** The L2 factor. */
  public static final Arg<Double> L2 = Arg.nonNegative("l2", 0.0);

  /** ActivityRegularization's declaration. */
  public static final KerasClass<ActivityRegularization> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "ActivityRegularization",
          ActivityRegularization.class,
          a -> new ActivityRegularization(a.get(L1), a.get(L2)),
          L1,
          L2);

  /** No penalty (both factors 0), Keras's default. */
  public ActivityRegularization() {
    this(0, 0);
  }

  /**
   * A penalty with these factors.
   *
   * @throws IllegalArgumentException if a factor is negative
   */
  public ActivityRegularization(double l1, double l2) {
    args().set(L1, l1);
    args().set(L2, l2);
    this.supportsMasking = true;
  }

  @Override
  protected Value call(Ops ops, Value x) {
    double l1 = args().get(L1);
    double l2 = args().get(L2);
    if (l1 != 0 || l2 != 0) {
      addActivityPenalty(ops, Regularizers.l1l2(l1, l2), x);
    }
    return x;
  }
}
