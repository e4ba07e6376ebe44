/**
 * One registry for every serializable kind (layers, activations, losses, metrics, optimizers,
 * schedules, initializers, regularizers, constraints), found by Keras class name, and the declared
 * arguments each class reads and writes its config through.
 */
package dev.kiln.api.registry;
