/** Special functions shared by the reference evaluator and the backends. */
package dev.kiln.spi.math;
