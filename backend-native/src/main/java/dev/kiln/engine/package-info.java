/**
 * The Kiln engine, Kiln's own backend: CPU kernels written with the Vector API, a CUDA device
 * through the FFM API, memory planning and fusion. It lands with the CPU-engine issue; until then
 * the module is empty and the IR runs on the test kit's reference backend.
 */
package dev.kiln.engine;
