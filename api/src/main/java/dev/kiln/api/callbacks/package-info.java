/**
 * Training callbacks: progress bar, early stopping, checkpoints, learning-rate control, logging.
 */
package dev.kiln.api.callbacks;
