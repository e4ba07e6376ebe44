/** The {@code Ops} that layers, losses, metrics and optimizers emit their computation through. */
package dev.kiln.api.ops;
