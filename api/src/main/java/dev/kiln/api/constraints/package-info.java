/** Weight constraints applied after each optimizer update. */
package dev.kiln.api.constraints;
