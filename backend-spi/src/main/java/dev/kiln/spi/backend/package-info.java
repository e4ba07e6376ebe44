/**
 * The backend SPI: providers found by ServiceLoader, backends, executables, device tensors and
 * variables, and backend selection.
 */
package dev.kiln.spi.backend;
