/** Preprocessing layers: Rescaling and Normalization (with adapt). */
package dev.kiln.api.layers.preprocessing;
