/**
 * Convolution layers, as Keras 3's: Conv1D/2D/3D, their transposes, depthwise and separable
 * convolutions, with Keras's arguments, weight names, shapes (HWIO kernels) and order.
 */
package dev.kiln.api.layers.convolutional;
