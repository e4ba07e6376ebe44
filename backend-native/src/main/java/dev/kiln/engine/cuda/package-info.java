/**
 * The Kiln engine's CUDA device: which GPUs this machine has ({@link
 * dev.kiln.engine.cuda.CudaDevices}) and, built on the raw bindings in {@code cuda.driver}, the
 * device runtime and kernels.
 */
package dev.kiln.engine.cuda;
