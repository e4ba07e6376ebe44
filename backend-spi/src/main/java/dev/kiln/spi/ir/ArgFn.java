package dev.kiln.spi.ir;

/** Index-of-extreme functions. */
public enum ArgFn {
  ARGMAX,
  ARGMIN
}
