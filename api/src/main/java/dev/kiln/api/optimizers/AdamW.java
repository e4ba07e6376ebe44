package dev.kiln.api.optimizers;

/** Adam with decoupled weight decay (default 0.004), as Keras's AdamW. */
public final class AdamW extends Adam {
  /** AdamW with Keras's defaults (lr 0.001, weight decay 0.004). */
  public AdamW() {
    this(0.001, 0.004);
  }

  /** AdamW with this learning rate and weight decay. */
  public AdamW(double learningRate, double weightDecay) {
    super("adamw", learningRate);
    weightDecay(weightDecay);
  }
}
