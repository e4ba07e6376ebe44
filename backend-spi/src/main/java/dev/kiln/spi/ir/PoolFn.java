package dev.kiln.spi.ir;

/** Pooling functions. */
public enum PoolFn {
  MAX,
  /** The mean over the window's positions inside the input (padding is not counted). */
  AVG
}
