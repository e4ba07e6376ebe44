/**
 * The Keras-style API: layers, models, losses, optimizers, metrics, callbacks, the training loop,
 * data and saving. It lands with the API issue and builds on the IR and SPI of backend-spi only.
 */
package dev.kiln.api;
