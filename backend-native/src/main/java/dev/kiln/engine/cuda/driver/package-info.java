/**
 * Raw FFM bindings of the CUDA driver API, cuBLAS, cuBLASLt, cuDNN and NVRTC: library discovery,
 * method handles looked up once, and the check that turns every status code into a {@link
 * dev.kiln.engine.cuda.driver.CudaException} naming the call, its arguments and the error. Nothing
 * here is compiled natively; the libraries are NVIDIA's, found on the machine at run time.
 */
package dev.kiln.engine.cuda.driver;
