/** Counter-based random numbers that every backend reproduces exactly. */
package dev.kiln.spi.random;
