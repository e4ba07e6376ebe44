/**
 * The conformance kit every backend runs: the float64 reference evaluator, the reference backend,
 * the op cases, the gradient checks and whole-graph train steps.
 */
package dev.kiln.spi.testkit;
