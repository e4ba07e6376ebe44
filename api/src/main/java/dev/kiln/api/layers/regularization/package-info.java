/**
 * Regularization layers: SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, AlphaDropout and
 * ActivityRegularization. The random ones act only in training and are the identity in inference.
 */
package dev.kiln.api.layers.regularization;
