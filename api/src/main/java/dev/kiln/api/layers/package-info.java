/**
 * The layer base class, weights, input specs, and the registry from Keras class names to layers.
 */
package dev.kiln.api.layers;
