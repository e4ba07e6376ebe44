/**
 * Runnable examples. Until the API lands, {@link dev.kiln.samples.IrDemo} trains a small MLP
 * written directly in the graph IR.
 */
package dev.kiln.samples;
