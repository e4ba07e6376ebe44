/**
 * Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization,
 * UnitNormalization, RMSNormalization, with Keras 3's arguments and weights.
 */
package dev.kiln.api.layers.normalization;
