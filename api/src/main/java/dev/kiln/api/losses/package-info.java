/** Losses with Keras's names, formulas, reductions, sample weights and masks. */
package dev.kiln.api.losses;
