/**
 * The {@code nd4j} backend: IR graphs interpreted with ND4J arrays and ops (ND4J's CPU backend,
 * linux-x86_64), variables kept as INDArrays across runs.
 */
package dev.kiln.nd4j;
