/** Activation functions by Keras name. */
package dev.kiln.api.activations;
