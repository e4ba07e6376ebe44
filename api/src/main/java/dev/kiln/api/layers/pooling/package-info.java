/**
 * Pooling layers, as Keras 3's: max and average pooling over 1, 2 or 3 spatial axes, and their
 * global forms.
 */
package dev.kiln.api.layers.pooling;
