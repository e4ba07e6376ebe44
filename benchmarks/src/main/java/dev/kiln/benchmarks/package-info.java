/**
 * JMH benchmarks and end-to-end benchmarks of Kiln against its peers (DL4J, PyTorch). They land
 * with the CPU-engine issue.
 */
package dev.kiln.benchmarks;
