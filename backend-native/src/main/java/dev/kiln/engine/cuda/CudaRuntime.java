package dev.kiln.engine.cuda;

import dev.kiln.engine.cuda.kernels.CudaKernel;
import java.lang.foreign.MemorySegment;

/**
 * What the CUDA executor needs of a device: memory, copies, kernel launches on one stream, and a
 * wait. The real one drives the CUDA driver ({@link CudaDriverRuntime}); tests use an in-memory
 * fake, so the executor's planning and bookkeeping run without a GPU. Work is ordered: every call
 * runs after the calls before it, as on one stream.
 */
public interface CudaRuntime extends AutoCloseable {
  /**
   * Free and total memory of the device, in bytes.
   *
   * @param free bytes the device can still allocate
   * @param total the device's memory
   */
  record MemoryInfo(long free, long total) {}

  /** The device's name for messages, e.g. {@code cuda:0 (NVIDIA H200)}. */
  String name();

  /** The device's multiprocessor count, which picks GEMM tile sizes. */
  int multiprocessors();

  /**
   * The most bytes a program's convolution workspace may take; larger batches run in chunks of
   * images. 256 MiB by default.
   */
  default long workspaceLimit() {
    return 256L << 20;
  }

  /**
   * Allocates {@code bytes} of device memory.
   *
   * @return the device address, or 0 when the device is out of memory
   */
  long allocate(long bytes);

  /** Frees memory from {@link #allocate}; the memory may still be in use by queued work. */
  void free(long address);

  /** The device's memory usage. */
  MemoryInfo memoryInfo();

  /** Copies {@code bytes} from host memory to the device, after the queued work. */
  void copyToDevice(MemorySegment host, long device, long bytes);

  /** Copies {@code bytes} from the device to host memory; returns when the bytes are there. */
  void copyToHost(long device, MemorySegment host, long bytes);

  /** Copies {@code bytes} between device addresses, after the queued work. */
  void copyOnDevice(long destination, long source, long bytes);

  /**
   * Queues one kernel launch.
   *
   * @param launch the launch
   * @param pointers the device address of each of the launch's pointer arguments, in order; the
   *     caller reuses the array once the call returns
   */
  void launch(CudaLaunch launch, long[] pointers);

  /**
   * The device's plan for a cuDNN convolution pass, made when a program is compiled; empty when the
   * device runs convolutions with Kiln's kernels (no cuDNN, or cuDNN cannot run this one). Launches
   * of {@link dev.kiln.engine.cuda.kernels.KernelFamily#CUDNN_CONVOLUTION} name the plan's id.
   */
  default java.util.Optional<CudnnPlan> cudnnPlan(CudnnConvolution convolution) {
    return java.util.Optional.empty();
  }

  /** The kernel's entry point exists with the parameters the launch passes, or this throws. */
  default void check(CudaKernel kernel) {}

  /**
   * Whether the device compiles generated kernels ({@link #compile}); programs plan fused chains
   * only then. False by default.
   */
  default boolean canCompile() {
    return false;
  }

  /**
   * Compiles generated kernels of fused elementwise chains and loads them, so that launches of
   * their {@link FusedElementwise.Kernel#kernel()} run. A kernel that does not compile is left out
   * (its chain then runs op by op); this never fails for one. Compiled kernels stay loaded until
   * the runtime closes, so programs sharing a chain share its kernel.
   *
   * @return the names of the kernels that can be launched, among {@code kernels}; none by default
   */
  default java.util.Set<String> compile(java.util.List<FusedElementwise.Kernel> kernels) {
    return java.util.Set.of();
  }

  /** Waits until the queued work is done. */
  void synchronize();

  /**
   * Whether {@link #capture} can record work into a graph. False by default: a runtime without
   * graphs runs every step as it is queued.
   */
  default boolean canCapture() {
    return false;
  }

  /**
   * Records the launches and device copies that {@code work} queues into a graph, without running
   * them, and returns a handle to the graph ready to launch. Between its start and end nothing may
   * be allocated, freed, waited for or copied to or from the host (a real device refuses those
   * under stream capture). The runtime is held for the whole capture, so other threads' work on the
   * same stream cannot land in the graph. The graph bakes in every address and kernel argument that
   * {@code work} passed.
   *
   * @return a handle for {@link #launchGraph} and {@link #destroyGraph}
   * @throws dev.kiln.engine.cuda.driver.CudaException when the device cannot capture the work; the
   *     capture is then ended and nothing was queued
   * @throws UnsupportedOperationException when {@link #canCapture} is false
   */
  default long capture(Runnable work) {
    throw new UnsupportedOperationException(name() + " cannot capture work into graphs");
  }

  /** Queues one run of a graph from {@link #capture}, after the queued work. */
  default void launchGraph(long graph) {
    throw new UnsupportedOperationException(name() + " cannot capture work into graphs");
  }

  /** Destroys a graph from {@link #capture}; a launch already queued still runs. */
  default void destroyGraph(long graph) {
    throw new UnsupportedOperationException(name() + " cannot capture work into graphs");
  }

  @Override
  void close();
}
