/**
 * Activation layers with arguments: ReLU, LeakyReLU, PReLU, ELU and Softmax. Each keeps NaN: a NaN
 * input gives a NaN output.
 */
package dev.kiln.api.layers.activations;
