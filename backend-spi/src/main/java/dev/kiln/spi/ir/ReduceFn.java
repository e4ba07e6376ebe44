package dev.kiln.spi.ir;

/** Reduction functions. */
public enum ReduceFn {
  SUM,
  MEAN,
  MAX,
  MIN,
  PROD
}
