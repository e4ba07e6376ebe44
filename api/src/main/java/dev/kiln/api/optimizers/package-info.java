/** Optimizers whose update is part of the compiled train step, with clipping and weight decay. */
package dev.kiln.api.optimizers;
