/**
 * The op vocabulary that layers, losses, metrics and optimizers emit their computation through:
 * {@link dev.kiln.api.ops.Ops}, stateless, and the {@link dev.kiln.api.ops.TraceContext} that holds
 * one trace's state (weight reads, assignments, masks, added losses, random keys).
 */
package dev.kiln.api.ops;
