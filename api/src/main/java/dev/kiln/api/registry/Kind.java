package dev.kiln.api.registry;

/** The kinds of serializable objects, each with the Keras module its classes live in. */
public enum Kind {
  /** Layers and models. */
  LAYER("layer", "keras.layers"),
  /** Activation functions. */
  ACTIVATION("activation", "keras.activations"),
  /** Losses. */
  LOSS("loss", "keras.losses"),
  /** Metrics. */
  METRIC("metric", "keras.metrics"),
  /** Optimizers. */
  OPTIMIZER("optimizer", "keras.optimizers"),
  /** Learning-rate schedules. */
  SCHEDULE("learning rate schedule", "keras.optimizers.schedules"),
  /** Weight initializers. */
  INITIALIZER("initializer", "keras.initializers"),
  /** Weight penalties. */
  REGULARIZER("regularizer", "keras.regularizers"),
  /** Weight constraints. */
  CONSTRAINT("constraint", "keras.constraints");

  private final String noun;
  private final String module;

  Kind(String noun, String module) {
    this.noun = noun;
    this.module = module;
  }

  /** The word used in messages ({@code layer}, {@code loss}). */
  public String noun() {
    return noun;
  }

  /** Keras's module for this kind ({@code keras.layers}). */
  public String module() {
    return module;
  }
}
