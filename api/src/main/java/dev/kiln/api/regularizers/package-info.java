/** L1, L2 and L1L2 weight penalties. */
package dev.kiln.api.regularizers;
