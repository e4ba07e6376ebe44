/**
 * Reverse-mode automatic differentiation on the IR: one gradient rule per op, written with other
 * ops.
 */
package dev.kiln.spi.autodiff;
