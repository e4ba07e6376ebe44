/** Writing and reading weights, atomically. */
package dev.kiln.api.saving;
