/** Reshaping layers: Flatten, Reshape, Permute, RepeatVector. */
package dev.kiln.api.layers.reshaping;
