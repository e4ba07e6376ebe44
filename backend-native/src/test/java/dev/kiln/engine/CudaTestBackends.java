package dev.kiln.engine;

import dev.kiln.engine.cuda.CudaDevices;
import dev.kiln.engine.cuda.CudaDriverRuntime;
import dev.kiln.engine.cuda.FakeCudaRuntime;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendOptions;

/**
 * The Kiln engine on {@code cuda:0} for other modules' tests (the api's, through this module's
 * test-jar): on a fake device that runs every launch on the host by the kernels' documented ABI, or
 * on the machine's real GPU through the driver. Both run programs through the CUDA executor
 * whatever {@link NativeDevices#CUDA_EXECUTOR_READY} and {@code -Dkiln.cuda.executor} say, and both
 * make {@code cuda:0} the default device, so everything a model compiles runs there.
 */
public final class CudaTestBackends {
  private CudaTestBackends() {}

  /**
   * A backend whose default device is an emulated {@code cuda:0} of {@code capacity} bytes. A small
   * convolution workspace makes convolutions of more than a few images run in chunks, as large
   * batches do on a GPU.
   */
  public static Backend emulated(long capacity) {
    return new NativeBackend(
        BackendOptions.defaults(),
        new NativeDevices(() -> CudaExecutableTest.ONE_GPU, "cuda:0", "the emulated-GPU backend"),
        d -> new FakeCudaRuntime(capacity, true).limitWorkspace(64L << 10));
  }

  /**
   * A backend on an emulated {@code cuda:0} for the conformance kit: 4 GiB, a 2 KiB convolution
   * workspace (so Kiln's convolution kernels run in chunks of images), set up by {@code setUp} (a
   * cuDNN, NVRTC, ...) and added to {@code devices}, so that the suite can check afterwards what
   * its devices did.
   */
  static Backend emulatedForTheKit(
      java.util.function.UnaryOperator<FakeCudaRuntime> setUp,
      java.util.List<FakeCudaRuntime> devices) {
    return new NativeBackend(
        BackendOptions.defaults(),
        new NativeDevices(() -> CudaExecutableTest.ONE_GPU, "cuda:0", "the emulated-GPU test"),
        d -> {
          FakeCudaRuntime f = setUp.apply(new FakeCudaRuntime(4L << 30, true).limitWorkspace(2048));
          devices.add(f);
          return f;
        });
  }

  /** {@link #emulated(long)} with 4 GiB. */
  public static Backend emulated() {
    return emulated(4L << 30);
  }

  /**
   * The engine on the CPU whatever the machine has and whatever {@code -Dkiln.device} or {@code
   * -Dkiln.cuda.executor} say: the reference the CUDA results are compared with.
   */
  public static Backend cpu() {
    return new NativeBackend(
        BackendOptions.defaults(),
        new NativeDevices(
            () -> CudaDevices.Status.none("the CPU reference probes no GPU"),
            "cpu",
            "the CPU reference",
            false));
  }

  /** Why no real CUDA device is usable here, or null when {@code cuda:0} is. */
  public static String gpuUnavailable() {
    CudaDevices.Status s = CudaDevices.shared();
    return s.usable() ? null : s.reason();
  }

  /**
   * The engine on the machine's real {@code cuda:0}, through the CUDA driver.
   *
   * @throws dev.kiln.spi.backend.BackendException naming the reason when no CUDA device is usable
   *     (check {@link #gpuUnavailable()} first to skip instead)
   */
  public static Backend gpu() {
    CudaDevices.Status s = CudaDevices.shared();
    return new NativeBackend(
        BackendOptions.defaults(),
        new NativeDevices(() -> s, "cuda:0", "the GPU tests"),
        d -> new CudaDriverRuntime(s, s.devices().get(d.index())));
  }
}
