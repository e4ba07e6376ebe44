/**
 * Kiln's own CUDA kernels as the Java side sees them: the PTX compiled ahead from {@code
 * src/main/cuda} and shipped as resources, parsed into entry points with their parameter lists; the
 * catalogue that answers which kernels run an IR node; and the launch structs (shape indexers,
 * convolution and pooling geometry) written the way the kernels read them. Nothing here touches a
 * GPU: the driver bindings load the PTX this package hands them.
 */
package dev.kiln.engine.cuda.kernels;
