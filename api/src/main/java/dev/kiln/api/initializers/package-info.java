/** Weight initializers with Keras's names, defaults and fan computations. */
package dev.kiln.api.initializers;
