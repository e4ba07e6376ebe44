package dev.kiln.engine.cuda;

import dev.kiln.engine.cuda.driver.CudaDriver;
import dev.kiln.engine.cuda.driver.CudaLibraries;
import dev.kiln.engine.cuda.driver.CudaLibraries.Library;
import dev.kiln.engine.cuda.driver.CudaLibraries.Located;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The CUDA devices this machine can use, or why there are none. {@link #probe} never throws: a
 * machine without a GPU or a driver gets a reason ({@code no libcuda.so.1 found; searched ...},
 * {@code cuInit failed: CUDA_ERROR_NO_DEVICE ...}) and runs on the CPU.
 */
public final class CudaDevices {
  private static volatile Status shared;

  private CudaDevices() {}

  /**
   * One CUDA device.
   *
   * @param index its ordinal ({@code cuda:N})
   * @param name the product name
   * @param major compute capability, major
   * @param minor compute capability, minor
   * @param multiprocessors streaming multiprocessors
   * @param totalMemory bytes
   */
  public record Info(
      int index, String name, int major, int minor, int multiprocessors, long totalMemory) {
    /** {@code NVIDIA H200, compute 9.0, 132 SMs, 139.8 GiB}. */
    public String describe() {
      return String.format(
          Locale.ROOT,
          "%s, compute %d.%d, %d SMs, %.1f GiB",
          name,
          major,
          minor,
          multiprocessors,
          totalMemory / (double) (1L << 30));
    }
  }

  /**
   * What the probe found.
   *
   * @param devices the usable devices (empty when there are none)
   * @param reason why there are none, or null
   * @param driverVersion the driver's CUDA version ({@code 13000}), or 0 when unknown
   * @param libraries each optional library's search result (only searched when a device is usable)
   * @param driver the bound driver when a device is usable, else null
   */
  public record Status(
      List<Info> devices,
      String reason,
      int driverVersion,
      Map<Library, Located> libraries,
      CudaDriver driver) {
    /** Copies the collections. */
    public Status {
      devices = List.copyOf(devices);
      libraries = Map.copyOf(libraries);
    }

    /** No device, because of {@code reason}. */
    public static Status none(String reason) {
      return new Status(List.of(), reason, 0, Map.of(), null);
    }

    /** Whether at least one device is usable. */
    public boolean usable() {
      return !devices.isEmpty();
    }

    /** The library's search result, if it was searched. */
    public Optional<Located> library(Library library) {
      return Optional.ofNullable(libraries.get(library));
    }

    /**
     * One line for {@code kiln backends}: {@code CUDA 13.0: 1 device; cuBLAS found, cuDNN not
     * found, NVRTC found} or {@code CUDA: none (reason)}.
     */
    public String summary() {
      if (!usable()) {
        return "CUDA: none (" + reason + ")";
      }
      StringBuilder b =
          new StringBuilder("CUDA ")
              .append(driverVersion / 1000)
              .append('.')
              .append(driverVersion % 1000 / 10)
              .append(": ")
              .append(devices.size())
              .append(devices.size() == 1 ? " device; " : " devices; ");
      List<String> parts = new ArrayList<>();
      for (Library l : List.of(Library.CUBLAS, Library.CUDNN, Library.NVRTC)) {
        parts.add(
            l.title()
                + library(l).map(x -> x.found() ? " found" : " not found").orElse(" not searched"));
      }
      return b.append(String.join(", ", parts)).toString();
    }
  }

  /** The probe of this process's environment, done once. */
  public static Status shared() {
    Status s = shared;
    if (s == null) {
      synchronized (CudaDevices.class) {
        s = shared;
        if (s == null) {
          s = probe(CudaLibraries.Settings.fromEnvironment(), CudaLibraries.Loader.SYSTEM);
          shared = s;
        }
      }
    }
    return s;
  }

  /** Finds the driver, initializes it and lists the devices; never throws. */
  public static Status probe(CudaLibraries.Settings settings, CudaLibraries.Loader loader) {
    try {
      Located driverLibrary = CudaLibraries.locate(Library.CUDA, settings, loader);
      if (!driverLibrary.found()) {
        return Status.none(
            "no libcuda.so.1 found; searched " + String.join(", ", driverLibrary.searched()));
      }
      CudaDriver driver;
      try {
        driver = CudaDriver.bind(driverLibrary);
      } catch (RuntimeException e) {
        return Status.none("the CUDA driver cannot be used: " + e.getMessage());
      }
      return probe(driver, settings, loader);
    } catch (RuntimeException | LinkageError e) {
      return Status.none("probing CUDA failed: " + e);
    }
  }

  /** Initializes {@code driver} and lists its devices; never throws. */
  static Status probe(
      CudaDriver driver, CudaLibraries.Settings settings, CudaLibraries.Loader loader) {
    try {
      try {
        driver.init();
      } catch (RuntimeException e) {
        return Status.none(
            e.getMessage().replaceFirst("^cuInit\\(Flags=0\\) failed", "cuInit failed"));
      }
      int version = driver.driverVersion();
      int count = driver.deviceCount();
      if (count == 0) {
        return Status.none("the CUDA driver reports no devices");
      }
      List<Info> devices = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        int d = driver.device(i);
        devices.add(
            new Info(
                i,
                driver.deviceName(d),
                driver.deviceAttribute(CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, d),
                driver.deviceAttribute(CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, d),
                driver.deviceAttribute(CudaDriver.ATTRIBUTE_MULTIPROCESSOR_COUNT, d),
                driver.deviceTotalMemory(d)));
      }
      Map<Library, Located> libraries = new EnumMap<>(Library.class);
      // cuBLASLt first: cuBLAS links to it, and a loaded soname satisfies that link.
      for (Library l : List.of(Library.CUBLAS_LT, Library.CUBLAS, Library.CUDNN, Library.NVRTC)) {
        libraries.put(l, CudaLibraries.locate(l, settings, loader));
      }
      return new Status(devices, null, version, libraries, driver);
    } catch (RuntimeException | LinkageError e) {
      return Status.none("listing CUDA devices failed: " + e.getMessage());
    }
  }
}
