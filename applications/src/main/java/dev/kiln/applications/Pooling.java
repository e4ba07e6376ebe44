package dev.kiln.applications;

/** What ends a model built with {@code includeTop(false)} (Keras's {@code pooling} argument). */
public enum Pooling {
  /** No pooling: the output is the last convolutional block's 4D feature map. */
  NONE,
  /** Global average pooling: the output is {@code (batch, channels)}. */
  AVG,
  /** Global max pooling: the output is {@code (batch, channels)}. */
  MAX
}
