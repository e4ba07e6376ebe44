package dev.kiln.spi.ir;

/** The distribution a random op draws from. */
public enum Distribution {
  /** Uniform on {@code [a, b)}. */
  UNIFORM,
  /** Normal with mean {@code a} and standard deviation {@code b}. */
  NORMAL,
  /** 1 with probability {@code a}, else 0. */
  BERNOULLI
}
