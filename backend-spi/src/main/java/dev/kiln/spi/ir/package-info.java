/**
 * The graph IR: SSA values with static types, ops with their shape rules, the graph builder,
 * rewrites and the text dump.
 */
package dev.kiln.spi.ir;
