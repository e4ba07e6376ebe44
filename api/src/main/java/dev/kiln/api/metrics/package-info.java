/** Stateful metrics accumulated in backend variables, read at log points. */
package dev.kiln.api.metrics;
