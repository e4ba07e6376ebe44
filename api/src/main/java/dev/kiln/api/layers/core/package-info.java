/** Core layers: Input, Dense, Activation, Dropout, Embedding, Masking, Identity. */
package dev.kiln.api.layers.core;
