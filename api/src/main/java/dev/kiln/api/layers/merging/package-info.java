/** Merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot. */
package dev.kiln.api.layers.merging;
