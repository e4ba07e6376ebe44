/**
 * Attention layers with Keras 3's names, arguments and weights: {@link
 * dev.kiln.api.layers.attention.Attention}, {@link
 * dev.kiln.api.layers.attention.AdditiveAttention}, {@link
 * dev.kiln.api.layers.attention.MultiHeadAttention} and {@link
 * dev.kiln.api.layers.attention.GroupQueryAttention}.
 */
package dev.kiln.api.layers.attention;
