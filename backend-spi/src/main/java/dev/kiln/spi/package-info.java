/** Kiln's element types, shapes and host tensors: the vocabulary every module shares. */
package dev.kiln.spi;
